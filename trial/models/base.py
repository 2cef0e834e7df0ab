"""Abstract bases: every model of the project has history; clinical records are never deleted."""

from django.db import models
from django.utils.translation import gettext_lazy
from simple_history.models import HistoricalRecords


class AuditedModel(models.Model):
    """A record whose every change is kept (who, when, old and new values, why)."""

    created_at = models.DateTimeField(gettext_lazy("created at"), auto_now_add=True, editable=False)
    history = HistoricalRecords(inherit=True)

    # Changes to configuration need no reason; changes to clinical data do (see ClinicalRecord).
    requires_change_reason = False

    class Meta:
        abstract = True


class ClinicalRecord(AuditedModel):
    """Patient data: a correction needs a reason, and a wrong record is marked, never deleted."""

    entered_in_error = models.BooleanField(gettext_lazy("entered in error"), default=False)
    entered_in_error_reason = models.TextField(
        gettext_lazy("reason for the entry in error"), blank=True
    )

    requires_change_reason = True

    class Meta:
        abstract = True

    def entered_anew(self) -> None:
        """A one-per-patient record marked entered in error is recorded again on its row: it
        counts again (its history keeps the mark, who made it and why)."""
        self.entered_in_error, self.entered_in_error_reason = False, ""
