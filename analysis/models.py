"""Data cut-offs and the exports made at them (docs/protocol.md "Endpoints the data managers
export")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from trial.models import AuditedModel


class DataCutoff(AuditedModel):
    """A frozen data cut-off: the date the analysis stops at, who decided it and why.

    Frozen, a cut-off is a date: its exports read the database as it is now, so they are
    provisional. Locked, its exports are the files built at the lock (the snapshot), byte for
    byte, whatever is entered or corrected afterwards; unlocking (with a reason) re-opens it and
    the next lock builds a new snapshot (docs/protocol.md "Endpoints the data managers export").
    """

    cutoff_date = models.DateField(help_text="Events on or before this date count.")
    reason = models.TextField(help_text="Why this cut-off (interim, final, DSMB …).")
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    frozen_at = models.DateTimeField()
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lock_number = models.PositiveIntegerField(
        default=0, help_text="How many times the cut-off was locked (names its snapshot)."
    )
    snapshot = models.JSONField(
        default=list,
        blank=True,
        help_text="The files built at the lock: part, name, path under MEDIA_ROOT, sha256, size.",
    )

    class Meta:
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
        return f"Cut-off {self.cutoff_date:%Y-%m-%d}"

    @property
    def locked(self) -> bool:
        return self.locked_at is not None


class ExportKind(models.TextChoices):
    SURVIVAL = "survival", "Survival datasets"
    ODM = "odm", "Clinical data (CDISC ODM 1.3.2)"


class ExportStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


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
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    message = models.TextField(blank=True)
    directory = models.CharField(max_length=200, blank=True, help_text="Under MEDIA_ROOT.")
    files = models.JSONField(default=list, blank=True, help_text="name, sha256, size of each.")
    checksum = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the manifest.")
    provisional = models.BooleanField(
        default=True,
        help_text="Built from the database as it was (the cut-off was not locked): a later "
        "export of the same cut-off may differ.",
    )
    lock_number = models.PositiveIntegerField(
        null=True, blank=True, help_text="The lock whose snapshot the files were copied from."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="export_progress_pct"),
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(checksum=""), name="export_done_has_checksum"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.cutoff} ({self.get_status_display()})"
