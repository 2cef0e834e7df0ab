"""Data cut-offs and the exports made at them (docs/protocol.md "Endpoints the data managers
export")."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from trial.models import AuditedModel


class DataCutoff(AuditedModel):
    """A frozen data cut-off: the date the analysis stops at, who decided it and why."""

    cutoff_date = models.DateField(help_text="Events on or before this date count.")
    reason = models.TextField(help_text="Why this cut-off (interim, final, DSMB …).")
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    frozen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cutoff_date"], name="data_cutoff_unique_date"),
            models.CheckConstraint(condition=~Q(reason=""), name="data_cutoff_has_reason"),
        ]

    def __str__(self) -> str:
        return f"Cut-off {self.cutoff_date:%Y-%m-%d}"


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
