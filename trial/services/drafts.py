"""Drafts of the long forms: the one completeness rule (docs/protocol.md "Data cleaning and
locking").

A long form may be saved as a draft with required fields left empty; the draft is shown as
"incomplete" with what it misses, and it is never counted as data (eligibility, enrolment,
randomisation, edit checks, SDV, derivations, datasets and exports all leave it out) until the
ordinary save, which validates everything, completes it. The page, the API and the form status
matrix all ask `record_missing_fields`.
"""

from __future__ import annotations

from django.db import models

from trial.models import Baseline, Patient
from trial.validation import Errors

REQUIRED_MESSAGE = "This field is required."

# model label → the fields a complete record must hold (a draft may leave them empty)
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "trial.baseline": (
        "assessment_date",
        "disease_status",
        "diagnosis_date",
        "induction_start_date",
        "prior_induction_cycles",
        "ecog",
        "wbc",
        "blood_blast_pct",
        "cytogenetic_risk",
        "planned_regimen",
    ),
}


def record_missing_fields(record: models.Model) -> list[str]:
    """The required fields the record leaves empty, in the order of its form."""
    names = REQUIRED_FIELDS.get(record._meta.label_lower, ())
    return [name for name in names if getattr(record, name) in (None, "")]


def missing_errors(record: models.Model) -> Errors:
    """A "required" error on every required field the record leaves empty."""
    return {name: [REQUIRED_MESSAGE] for name in record_missing_fields(record)}


def missing_labels(record: models.Model) -> list[str]:
    """The required fields the record leaves empty, as the form labels them."""
    fields = {f.name: f for f in record._meta.concrete_fields}
    return [str(fields[name].verbose_name) for name in record_missing_fields(record)]


def is_draft(record: models.Model) -> bool:
    return bool(getattr(record, "draft", False))


BASELINE_DRAFT = "The baseline record is a draft (missing: %(missing)s): complete it first."


def baseline_draft_problem(patient: Patient) -> str:
    """Why the patient's baseline does not count yet (a draft), or "" when it is not a draft."""
    draft = Baseline.objects.filter(patient=patient, entered_in_error=False, draft=True).first()
    if draft is None:
        return ""
    return BASELINE_DRAFT % {"missing": ", ".join(missing_labels(draft)) or "nothing"}
