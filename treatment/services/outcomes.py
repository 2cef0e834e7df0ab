"""Responses, transplant and the end of treatment (docs/protocol.md "Treatment period")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from treatment.events import end_of_treatment_recorded
from treatment.models import (
    Cycle,
    EndOfTreatment,
    EndOfTreatmentReason,
    ResponseAssessment,
    Transplant,
)
from treatment.rules import response_blasts_check
from treatment.services.common import (
    local_date,
    require_entry,
    treatment_signature_break,
)
from trial.audit import record_save
from trial.models import Death, Patient, User
from trial.validation import Errors, add_error, not_before_randomisation, not_in_future, raise_if


@transaction.atomic
def response_record(
    *,
    patient: Patient,
    assessment_date: dt.date,
    response: str,
    marrow_blast_pct: Decimal | None,
    by: User,
    now: dt.datetime,
    comment: str = "",
    assessment: ResponseAssessment | None = None,
    reason: str = "",
    confirmation: str = "",
) -> ResponseAssessment:
    """Record (or correct, with a reason) an ELN 2017 response assessment after salvage.

    :raises StateConflict: the patient is not randomised.
    :raises ValidationError: no cycle started by that date, a date in the future, or blasts
        that contradict the response.
    """
    require_entry(patient=patient, by=by)
    errors = response_blasts_check(response, marrow_blast_pct)
    not_in_future(errors, today=local_date(now), assessment_date=assessment_date)
    cycle = (
        Cycle.objects.filter(
            patient=patient, entered_in_error=False, start_date__lte=assessment_date
        )
        .order_by("-number")
        .first()
    )
    if cycle is None:
        add_error(
            errors,
            "assessment_date",
            "A response is assessed after salvage: no cycle started on or before this date.",
        )
    raise_if(errors)
    assert cycle is not None
    assessment = assessment or ResponseAssessment(patient=patient)
    changing = assessment.pk is not None
    assessment.cycle, assessment.assessment_date, assessment.response = (
        cycle,
        assessment_date,
        response,
    )
    assessment.marrow_blast_pct, assessment.comment = marrow_blast_pct, comment
    record_save(instance=assessment, by=by, reason=reason, confirmation=confirmation)
    what = f"Response of {assessment_date:%Y-%m-%d} {'changed' if changing else 'added'}"
    treatment_signature_break(patient=patient, by=by, now=now, what=what)
    return assessment


@transaction.atomic
def transplant_record(
    *,
    patient: Patient,
    transplant_date: dt.date,
    donor_type: str,
    disease_status: str,
    by: User,
    now: dt.datetime,
    comment: str = "",
    transplant: Transplant | None = None,
    reason: str = "",
) -> Transplant:
    """Record (or correct, with a reason) an allogeneic transplant; allowed at any time after
    randomisation, during treatment or follow-up.

    :raises ValidationError: a date before randomisation, after death, or in the future.
    """
    randomization = require_entry(patient=patient, by=by)
    errors: Errors = {}
    not_in_future(errors, today=local_date(now), transplant_date=transplant_date)
    not_before_randomisation(
        errors, randomized_on=randomization.randomized_on, transplant_date=transplant_date
    )
    _after_death(errors, patient, "transplant_date", transplant_date)
    raise_if(errors)
    transplant = transplant or Transplant(patient=patient)
    changing = transplant.pk is not None
    transplant.transplant_date, transplant.donor_type = transplant_date, donor_type
    transplant.disease_status, transplant.comment = disease_status, comment
    record_save(instance=transplant, by=by, reason=reason)
    what = f"Transplant {'changed' if changing else 'added'}"
    treatment_signature_break(patient=patient, by=by, now=now, what=what)
    return transplant


def _after_death(errors: Errors, patient: Patient, field: str, day: dt.date) -> None:
    death = Death.objects.filter(patient=patient, entered_in_error=False).first()
    if death is not None and day > death.death_date:
        add_error(errors, field, f"The patient died on {death.death_date:%Y-%m-%d}.")


@transaction.atomic
def end_of_treatment_record(
    *,
    patient: Patient,
    end_date: dt.date,
    end_reason: str,
    by: User,
    now: dt.datetime,
    comment: str = "",
    reason: str = "",
) -> EndOfTreatment:
    """Record (or correct, with a reason) the end of the treatment period.

    Recording it starts post-treatment follow-up: the patient's visits are planned at once.

    :raises ValidationError: a date before the last cycle, randomisation or after death,
        or "never started" for a patient with cycles.
    """
    randomization = require_entry(patient=patient, by=by)
    Patient.objects.select_for_update().get(pk=patient.pk)
    errors: Errors = {}
    not_in_future(errors, today=local_date(now), end_date=end_date)
    not_before_randomisation(errors, randomized_on=randomization.randomized_on, end_date=end_date)
    last = Cycle.objects.filter(patient=patient, entered_in_error=False).order_by("-number").first()
    if last is not None and end_date < last.start_date:
        add_error(errors, "end_date", f"Cycle {last.number} started on {last.start_date:%Y-%m-%d}.")
    if last is not None and end_reason == EndOfTreatmentReason.NEVER_STARTED:
        add_error(errors, "reason", "Cycles are recorded: treatment did start.")
    _after_death(errors, patient, "end_date", end_date)
    raise_if(errors)
    eot = EndOfTreatment.objects.filter(patient=patient).first() or EndOfTreatment(patient=patient)
    created = eot.pk is None
    eot.end_date, eot.reason, eot.comment = end_date, end_reason, comment
    record_save(instance=eot, by=by, reason=reason)
    what = f"End of treatment {'recorded' if created else 'changed'}"
    treatment_signature_break(patient=patient, by=by, now=now, what=what)
    end_of_treatment_recorded(patient=patient, today=local_date(now))
    return eot
