"""Corrections that apply to any clinical record."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from trial.audit import reason_prefixed, record_save, require
from trial.exceptions import StateConflict
from trial.models import ClinicalRecord, User
from trial.permissions import Action


@transaction.atomic
def record_mark_entered_in_error(
    *, record: ClinicalRecord, by: User, reason: str
) -> ClinicalRecord:
    """Mark a clinical record as entered in error; it stays in the database and its history.

    :raises ValidationError: without a reason.
    :raises StateConflict: already marked.
    """
    site = getattr(record, "site", None) or record.patient.site  # type: ignore[attr-defined]
    require(user=by, action=Action.SCREEN, site=site)
    if not reason.strip():
        raise ValidationError({"reason": ["Say why this record was entered in error."]})
    if record.entered_in_error:
        raise StateConflict("This record is already marked as entered in error.")
    record.entered_in_error, record.entered_in_error_reason = True, reason.strip()
    record_save(instance=record, by=by, reason=reason_prefixed("Entered in error: ", reason))
    return record
