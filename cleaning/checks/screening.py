"""Edit checks of screening and enrolment (docs/protocol.md "Screening and eligibility")."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _

from cleaning.checks.base import Finding, Outcome, PatientData, fmt
from cleaning.fields import queryable_fields
from cleaning.rules import CleaningRules
from trial.models import Baseline, PatientStatus
from trial.rules import age_check


def age_under_minimum(
    data: PatientData, patient_id: int, rules: CleaningRules
) -> Iterator[Outcome]:
    """Flag at screening what the investigator's confirmation will refuse (the same rule)."""
    patient = data.patients.get(patient_id)
    if patient is None:
        return
    for message in age_check(patient.age_at_screening).get("age_at_screening", []):
        yield Finding(
            patient,
            "age_at_screening",
            _("%(message)s Eligibility cannot be confirmed unless the age is corrected.")
            % {"message": message},
        )


def consent_before_screening(
    data: PatientData, patient_id: int, rules: CleaningRules
) -> Iterator[Outcome]:
    patient, consent = data.patients.get(patient_id), data.consents.get(patient_id)
    if patient is None or consent is None or consent.consent_date >= patient.screening_date:
        return
    yield Finding(
        consent,
        "consent_date",
        _(
            "Consent dated %(consent)s is before the patient entered the screening log on "
            "%(screening)s."
        )
        % {"consent": fmt(consent.consent_date), "screening": fmt(patient.screening_date)},
    )


def baseline_required_at_enrolment(
    data: PatientData, patient_id: int, rules: CleaningRules
) -> Iterator[Outcome]:
    patient, baseline = data.patients.get(patient_id), data.baselines.get(patient_id)
    if patient is None or baseline is None or patient.status != PatientStatus.ENROLLED:
        return
    for name in rules.baseline_required_fields:
        if getattr(baseline, name) in (None, ""):
            label = str(dict(queryable_fields(Baseline)).get(name, name))
            yield Finding(
                baseline,
                name,
                _("%(field)s is required by the protocol for every enrolled patient and is empty.")
                % {"field": label},
            )
    tested = data.tested_genes.get(patient_id, set())
    missing = [gene for gene in rules.baseline_required_genes if gene not in tested]
    if missing:
        yield Finding(
            baseline,
            "mutations",
            _(
                "No mutation result recorded for %(genes)s (needed for every enrolled "
                "patient; record 'not tested' if it was not tested)."
            )
            % {"genes": ", ".join(missing)},
        )
