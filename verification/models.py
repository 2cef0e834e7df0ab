"""Source-data verification marks, locks, and casebook builds (docs/protocol.md "Data cleaning
and locking").

An SDV mark points at one record of any app (content type + id) and optionally one field of it,
like a data query. A later change to a marked field ends the mark (`unverified_at` with the
reason); verifying again adds a new mark, so the marks are their own history. A lock covers one
record, one patient, or every record dated on or before a cut-off; unlocking ends it with a
reason, and the row stays.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from trial.models import AuditedModel, Patient, Site
from trial.querysets import SiteScopedQuerySet


class SdvMark(AuditedModel):
    """A monitor's word that a record (or one field of it) matches the source documents."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="sdv_marks")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    field_name = models.CharField(
        max_length=64,
        blank=True,
        help_text=gettext_lazy("The field verified; empty: the whole record."),
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField()
    unverified_at = models.DateTimeField(null=True, blank=True)
    unverified_reason = models.TextField(blank=True)

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("source-data verification mark")
        verbose_name_plural = gettext_lazy("source-data verification marks")
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "field_name"],
                condition=Q(unverified_at__isnull=True),
                name="one_valid_sdv_mark_per_field",
            ),
            models.CheckConstraint(
                condition=Q(unverified_at__isnull=True) | ~Q(unverified_reason=""),
                name="sdv_unverified_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        what = self.field_name or _("record")
        return _("SDV of %(what)s by %(user)s on %(day)s") % {
            "what": what,
            "user": self.verified_by,
            "day": f"{self.verified_at:%Y-%m-%d}",
        }

    @property
    def valid(self) -> bool:
        return self.unverified_at is None


class LockScope(models.TextChoices):
    RECORD = "record", gettext_lazy("One record")
    PATIENT = "patient", gettext_lazy("One patient")
    DATABASE = "database", gettext_lazy("Database at a cut-off")


class Lock(AuditedModel):
    """A lock in force while `unlocked_at` is empty; the row stays after unlocking."""

    scope = models.CharField(max_length=10, choices=LockScope.choices)
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="locks"
    )
    content_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    cutoff_date = models.DateField(
        null=True,
        blank=True,
        help_text=gettext_lazy("Database lock: data dated on or before it are locked."),
    )
    reason = models.TextField(blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    locked_at = models.DateTimeField()
    unlocked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unlocked_at = models.DateTimeField(null=True, blank=True)
    unlock_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = gettext_lazy("lock")
        verbose_name_plural = gettext_lazy("locks")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(scope="record", patient__isnull=False, object_id__isnull=False)
                    | Q(scope="patient", patient__isnull=False, object_id__isnull=True)
                    | Q(scope="database", patient__isnull=True, cutoff_date__isnull=False)
                ),
                name="lock_scope_has_its_target",
            ),
            models.CheckConstraint(
                condition=Q(unlocked_at__isnull=True) | ~Q(unlock_reason=""),
                name="unlock_has_reason",
            ),
            models.UniqueConstraint(
                fields=["scope"],
                condition=Q(scope="database", unlocked_at__isnull=True),
                name="one_database_lock_in_force",
            ),
        ]

    def __str__(self) -> str:
        if self.scope == LockScope.DATABASE:
            return _("Database locked at the %(day)s cut-off") % {
                "day": f"{self.cutoff_date:%Y-%m-%d}"
            }
        if self.scope == LockScope.PATIENT:
            return _("Patient %(patient)s locked") % {"patient": self.patient}
        return _("Record %(type)s#%(id)s of %(patient)s locked") % {
            "type": self.content_type_id,
            "id": self.object_id,
            "patient": self.patient,
        }

    @property
    def in_force(self) -> bool:
        return self.unlocked_at is None


class CasebookBuildState(models.TextChoices):
    QUEUED = "queued", gettext_lazy("Queued")
    RUNNING = "running", gettext_lazy("Building")
    DONE = "done", gettext_lazy("Done")
    FAILED = "failed", gettext_lazy("Failed")


class CasebookBuild(AuditedModel):
    """The casebooks of every patient of a site, built by the worker as one ZIP of PDFs, with
    its progress for the page that follows it."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    state = models.CharField(
        max_length=10, choices=CasebookBuildState.choices, default=CasebookBuildState.QUEUED
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    file_name = models.CharField(
        max_length=200, blank=True, help_text=gettext_lazy("The ZIP of PDFs, under MEDIA_ROOT.")
    )

    site_path = "site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = gettext_lazy("casebook build")
        verbose_name_plural = gettext_lazy("casebook builds")

    def __str__(self) -> str:
        return _("Casebooks of %(site)s (%(state)s, %(done)s/%(total)s)") % {
            "site": self.site,
            "state": self.get_state_display(),
            "done": self.done,
            "total": self.total,
        }
