"""Data cut-offs and the exports made at them (docs/protocol.md "Endpoints the data managers
export")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from trial.models import AuditedModel


class DataCutoff(AuditedModel):
    """A frozen data cut-off: the date the analysis stops at, who decided it and why.

    Frozen, a cut-off is a date: its exports read the database as it is now, so they are
    provisional. Locked, its exports are the files built at the lock (the snapshot), byte for
    byte, whatever is entered or corrected afterwards; unlocking (with a reason) re-opens it and
    the next lock builds a new snapshot (docs/protocol.md "Endpoints the data managers export").
    """

    cutoff_date = models.DateField(help_text=_("Events on or before this date count."))
    reason = models.TextField(help_text=_("Why this cut-off (interim, final, DSMB …)."))
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    frozen_at = models.DateTimeField()
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lock_number = models.PositiveIntegerField(
        default=0, help_text=_("How many times the cut-off was locked (names its snapshot).")
    )
    snapshot = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            "The files built at the lock: part, name, path under MEDIA_ROOT, sha256, size."
        ),
    )

    class Meta:
        verbose_name = _("data cut-off")
        verbose_name_plural = _("data cut-offs")
        constraints = [
            models.UniqueConstraint(fields=["cutoff_date"], name="data_cutoff_unique_date"),
            models.CheckConstraint(condition=~Q(reason=""), name="data_cutoff_has_reason"),
            models.CheckConstraint(
                condition=Q(locked_at__isnull=True, locked_by__isnull=True)
                | Q(locked_at__isnull=False, locked_by__isnull=False),
                name="data_cutoff_lock_has_who_and_when",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Cut-off %(date)s") % {"date": f"{self.cutoff_date:%Y-%m-%d}"})

    @property
    def locked(self) -> bool:
        return self.locked_at is not None


class ExportKind(models.TextChoices):
    SURVIVAL = "survival", _("Survival datasets")
    ODM = "odm", _("Clinical data (CDISC ODM 1.3.2)")


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class DatasetExport(AuditedModel):
    """One export: who asked for it, when, at which cut-off, its files and their checksum."""

    cutoff = models.ForeignKey(DataCutoff, on_delete=models.PROTECT, related_name="exports")
    kind = models.CharField(max_length=10, choices=ExportKind.choices)
    formats = models.JSONField(default=list, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text=_("Percent done."))
    message = models.TextField(blank=True)
    directory = models.CharField(max_length=200, blank=True, help_text=_("Under MEDIA_ROOT."))
    files = models.JSONField(default=list, blank=True, help_text=_("name, sha256, size of each."))
    checksum = models.CharField(max_length=64, blank=True, help_text=_("SHA-256 of the manifest."))
    provisional = models.BooleanField(
        default=True,
        help_text=_(
            "Built from the database as it was (the cut-off was not locked): a later "
            "export of the same cut-off may differ."
        ),
    )
    lock_number = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("The lock whose snapshot the files were copied from."),
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("dataset export")
        verbose_name_plural = _("dataset exports")
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="export_progress_pct"),
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(checksum=""), name="export_done_has_checksum"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.cutoff} ({self.get_status_display()})"
