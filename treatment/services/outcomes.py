"""Responses, transplant and the end of treatment (docs/protocol.md "Treatment period"), each
recording the relapse it finds through `relapse_record` (docs/protocol.md "Relapse")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from randomization.models import Randomization
from treatment.events import end_of_treatment_recorded
from treatment.models import (
    Cycle,
    EndOfTreatment,
    EndOfTreatmentReason,
    Relapse,
    RelapseFoundAt,
    Response,
    ResponseAssessment,
    Transplant,
)
from treatment.rules import response_blasts_check
from treatment.selectors import REMISSION, first_remission, in_remission_on, relapse_of
from treatment.services.common import (
    local_date,
    not_after_death,
    require_entry,
    treatment_signature_break,
)
from treatment.services.relapse import (
    RelapseFinding,
    already_recorded,
    errors_as,
    relapse_errors,
    relapse_record,
    relapse_withdraw,
    remission_rule_message,
)
from trial.audit import record_save
from trial.models import Patient, User
from trial.validation import (
    Errors,
    add_error,
    merge,
    model_errors,
    not_before_randomisation,
    not_in_future,
    raise_if,
    values_errors,
)

# Disease that only a patient never in CR/CRi can have: after CR/CRi it is a relapse.
_DISEASE = {Response.PR, Response.SD, Response.PD}
# Where a relapse's errors go on the response form.
_RESPONSE_FIELDS: dict[str, str] = {NON_FIELD_ERRORS: "response", "relapse_date": "assessment_date"}


def _cycle_on(patient: Patient, day: dt.date) -> Cycle | None:
    """The last cycle started on or before a day: the one a response assessment follows."""
    return (
        Cycle.objects.filter(patient=patient, entered_in_error=False, start_date__lte=day)
        .order_by("-number")
        .first()
    )


def response_errors(
    *,
    patient: Patient,
    assessment: ResponseAssessment | None,
    today: dt.date,
    assessment_date: dt.date | None,
    response: str | None,
    marrow_blast_pct: Decimal | None,
    finding: RelapseFinding,
) -> Errors:
    """Every rule on a response assessment that its values allow checking (None: not known
    yet, the rules that need it wait)."""
    errors = (
        response_blasts_check(
            response,
            marrow_blast_pct,
            other_relapse_evidence=finding.peripheral_blood or finding.extramedullary,
        )
        if response
        else {}
    )
    if assessment_date is None:
        return errors
    not_in_future(errors, today=today, assessment_date=assessment_date)
    if _cycle_on(patient, assessment_date) is None:
        add_error(
            errors,
            "assessment_date",
            _("A response is assessed after salvage: no cycle started on or before this date."),
        )
    if response == Response.RELAPSE:
        _relapse_errors(errors, patient, assessment_date, finding)
    remission = _remission_before(patient, assessment_date, assessment)
    if response in _DISEASE and remission is not None:
        add_error(
            errors,
            "response",
            _(
                "The patient is in %(response)s since %(date)s: disease after CR/CRi is a "
                "relapse (ELN 2017). Choose “Relapse after CR/CRi”."
            )
            % {
                "response": remission.get_response_display(),
                "date": f"{remission.assessment_date:%Y-%m-%d}",
            },
        )
    return errors


def _relapse_errors(
    errors: Errors, patient: Patient, day: dt.date, finding: RelapseFinding
) -> None:
    """What `relapse_record` will check of the relapse this assessment reports, told now."""
    if relapse_of(patient) is None and first_remission(patient, before=day) is None:
        add_error(errors, "response", remission_rule_message(patient, day))
    for message in finding.errors().get("extramedullary_site", []):
        add_error(errors, "extramedullary_site", message)


def response_form_errors(
    *,
    patient: Patient,
    assessment: ResponseAssessment | None,
    today: dt.date,
    values: dict[str, Any],
) -> Errors:
    """The checks of `response_record` (the model's ranges, then the rules) on the values a
    form could read."""
    names = ("assessment_date", "response", "marrow_blast_pct", "comment")
    errors = values_errors(ResponseAssessment, {name: values.get(name) for name in names})
    finding = RelapseFinding.from_assessment(
        marrow_blast_pct=values.get("marrow_blast_pct"),
        peripheral_blood=bool(values.get("peripheral_blood")),
        extramedullary=bool(values.get("extramedullary")),
        extramedullary_site=values.get("extramedullary_site") or "",
    )
    rules = response_errors(
        patient=patient,
        assessment=assessment,
        today=today,
        assessment_date=values.get("assessment_date"),
        response=values.get("response"),
        marrow_blast_pct=values.get("marrow_blast_pct"),
        finding=finding,
    )
    if "marrow_blast_pct" not in values or "marrow_blast_pct" in errors:
        rules.pop("marrow_blast_pct", None)  # the blasts could not be read: their rules wait
    return merge(errors, rules)


def _remission_before(
    patient: Patient, day: dt.date, assessment: ResponseAssessment | None
) -> ResponseAssessment | None:
    """The CR/CRi the patient is in on `day`, or None: a CR/CRi before it (other than this
    assessment) and no relapse recorded on or before it (other than one this assessment
    reported, which a correction takes back)."""
    remissions = ResponseAssessment.objects.filter(
        patient=patient, entered_in_error=False, response__in=REMISSION, assessment_date__lt=day
    )
    relapses = Relapse.objects.filter(
        patient=patient, entered_in_error=False, relapse_date__lte=day
    )
    if assessment is not None and assessment.pk is not None:
        remissions = remissions.exclude(pk=assessment.pk)
        relapses = relapses.exclude(assessment=assessment)
    if relapses.exists():
        return None
    return remissions.order_by("assessment_date", "pk").first()


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
    peripheral_blood: bool = False,
    extramedullary: bool = False,
    extramedullary_site: str = "",
    confirmation: str = "",
) -> ResponseAssessment:
    """Record (or correct, with a reason) an ELN 2017 response assessment after salvage.

    "Relapse after CR/CRi" records the patient's relapse through `relapse_record` (bone marrow
    when the blasts are ≥ 5%, or the blood or extramedullary finding); correcting the
    assessment the relapse was found at corrects the relapse, or withdraws it when the
    response is no longer a relapse.

    :raises StateConflict: the patient is not randomised.
    :raises ValidationError: no cycle started by that date, a date in the future, blasts that
        contradict the response, PR/SD/PD in a patient in CR/CRi (that is a relapse), or a
        relapse without a previous CR/CRi.
    """
    require_entry(patient=patient, by=by)
    finding = RelapseFinding.from_assessment(
        marrow_blast_pct=marrow_blast_pct,
        peripheral_blood=peripheral_blood,
        extramedullary=extramedullary,
        extramedullary_site=extramedullary_site,
    )
    errors = response_errors(
        patient=patient,
        assessment=assessment,
        today=local_date(now),
        assessment_date=assessment_date,
        response=response,
        marrow_blast_pct=marrow_blast_pct,
        finding=finding,
    )
    assessment = assessment or ResponseAssessment(patient=patient)
    changing = assessment.pk is not None
    was_relapse = changing and assessment.response == Response.RELAPSE
    assessment.assessment_date, assessment.response = assessment_date, response
    assessment.marrow_blast_pct, assessment.comment = marrow_blast_pct, comment
    raise_if(model_errors(errors, assessment, exclude=["patient", "cycle"]))
    cycle = _cycle_on(patient, assessment_date)
    assert cycle is not None  # response_errors refused a date before every cycle
    assessment.cycle = cycle
    record_save(instance=assessment, by=by, reason=reason, confirmation=confirmation)
    what = f"Response of {assessment_date:%Y-%m-%d} {'changed' if changing else 'added'}"
    treatment_signature_break(patient=patient, by=by, now=now, what=what)
    _relapse_follow(assessment, finding, was_relapse=was_relapse, by=by, now=now, reason=reason)
    _relapses_still_after_remission(patient)
    return assessment


def _relapse_follow(
    assessment: ResponseAssessment,
    finding: RelapseFinding,
    *,
    was_relapse: bool,
    by: User,
    now: dt.datetime,
    reason: str,
) -> None:
    """Keep the relapse record in step with the assessment that reports it."""
    patient, day = assessment.patient, assessment.assessment_date
    relapse = relapse_of(patient)
    found_here = relapse is not None and relapse.assessment_id == assessment.pk
    if assessment.response != Response.RELAPSE:
        if found_here and was_relapse:
            assert relapse is not None
            relapse_withdraw(relapse=relapse, by=by, now=now, reason=reason)
        return
    if relapse is None:
        with errors_as(_RESPONSE_FIELDS):
            relapse_record(
                patient=patient,
                relapse_date=day,
                finding=finding,
                found_at=RelapseFoundAt.RESPONSE,
                assessment=assessment,
                by=by,
                now=now,
            )
    elif found_here:
        if relapse.relapse_date != day or not finding.same_as(relapse):
            with errors_as(_RESPONSE_FIELDS):
                relapse_record(
                    patient=patient,
                    relapse=relapse,
                    relapse_date=day,
                    finding=finding,
                    found_at=relapse.found_at,
                    comment=relapse.comment,
                    by=by,
                    now=now,
                    reason=reason,
                )
    elif relapse.relapse_date > day:
        raise ValidationError(
            {
                "assessment_date": [
                    _(
                        "The relapse is recorded on %(date)s, after this assessment that reports "
                        "it: correct the relapse record (with a reason) if it began earlier."
                    )
                    % {"date": f"{relapse.relapse_date:%Y-%m-%d}"}
                ]
            }
        )


def _relapses_still_after_remission(patient: Patient) -> None:
    """A correction may not take away the CR/CRi that the patient's relapse follows."""
    relapse = relapse_of(patient)
    if relapse is not None and first_remission(patient, before=relapse.relapse_date) is None:
        raise ValidationError(
            {
                "response": [
                    _(
                        "The relapse of %(date)s follows a CR/CRi, and no other CR/CRi is "
                        "recorded before it: correct or withdraw the relapse first."
                    )
                    % {"date": f"{relapse.relapse_date:%Y-%m-%d}"}
                ]
            }
        )


def transplant_errors(
    *, randomization: Randomization, today: dt.date, transplant_date: dt.date | None
) -> Errors:
    """A transplant is dated in the past, after randomisation and before death."""
    errors: Errors = {}
    if transplant_date is None:
        return errors
    not_in_future(errors, today=today, transplant_date=transplant_date)
    not_before_randomisation(
        errors, randomized_on=randomization.randomized_on, transplant_date=transplant_date
    )
    not_after_death(errors, randomization.patient, "transplant_date", transplant_date)
    return errors


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
    errors = transplant_errors(
        randomization=randomization, today=local_date(now), transplant_date=transplant_date
    )
    transplant = transplant or Transplant(patient=patient)
    changing = transplant.pk is not None
    transplant.transplant_date, transplant.donor_type = transplant_date, donor_type
    transplant.disease_status, transplant.comment = disease_status, comment
    raise_if(model_errors(errors, transplant, exclude=["patient"]))
    record_save(instance=transplant, by=by, reason=reason)
    what = f"Transplant {'changed' if changing else 'added'}"
    treatment_signature_break(patient=patient, by=by, now=now, what=what)
    return transplant


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
    relapse_date: dt.date | None = None,
    relapse_finding: RelapseFinding | None = None,
) -> EndOfTreatment:
    """Record (or correct, with a reason) the end of the treatment period.

    Recording it starts post-treatment follow-up: the patient's visits are planned at once.
    Progression in a patient in CR/CRi is a relapse (ELN 2017): unless one is recorded already,
    the relapse comes with it (`relapse_date`, `relapse_finding`) and is recorded through
    `relapse_record`, in the same transaction.

    :raises ValidationError: a date before the last cycle, randomisation or after death,
        "never started" for a patient with cycles, progression in CR/CRi without the relapse,
        or a relapse that the end of treatment cannot report (after it, or other than the one
        recorded).
    """
    randomization = require_entry(patient=patient, by=by)
    Patient.objects.select_for_update().get(pk=patient.pk)
    raise_if(
        end_of_treatment_errors(
            randomization=randomization,
            today=local_date(now),
            end_date=end_date,
            end_reason=end_reason,
            relapse_date=relapse_date,
            relapse_finding=relapse_finding,
        )
    )
    eot = EndOfTreatment.objects.filter(patient=patient).first() or EndOfTreatment(patient=patient)
    created = eot.pk is None
    eot.entered_anew()
    eot.end_date, eot.reason, eot.comment = end_date, end_reason, comment
    record_save(instance=eot, by=by, reason=reason)
    what = f"End of treatment {'recorded' if created else 'changed'}"
    treatment_signature_break(patient=patient, by=by, now=now, what=what)
    if relapse_date is not None and relapse_of(patient) is None:
        relapse_record(
            patient=patient,
            relapse_date=relapse_date,
            finding=relapse_finding or RelapseFinding(),
            found_at=RelapseFoundAt.END_OF_TREATMENT,
            by=by,
            now=now,
        )
    end_of_treatment_recorded(patient=patient, today=local_date(now))
    return eot


def end_of_treatment_errors(
    *,
    randomization: Randomization,
    today: dt.date,
    end_date: dt.date | None,
    end_reason: str | None,
    relapse_date: dt.date | None = None,
    relapse_finding: RelapseFinding | None = None,
) -> Errors:
    """Every rule on the end of treatment that its values allow checking (None: not known
    yet), with those of the relapse it reports."""
    patient = randomization.patient
    errors: Errors = {}
    last = Cycle.objects.filter(patient=patient, entered_in_error=False).order_by("-number").first()
    if last is not None and end_reason == EndOfTreatmentReason.NEVER_STARTED:
        add_error(errors, "end_reason", _("Cycles are recorded: treatment did start."))
    if end_date is None:
        return errors
    not_in_future(errors, today=today, end_date=end_date)
    not_before_randomisation(errors, randomized_on=randomization.randomized_on, end_date=end_date)
    if last is not None and end_date < last.start_date:
        add_error(
            errors,
            "end_date",
            _("Cycle %(number)s started on %(date)s.")
            % {"number": last.number, "date": f"{last.start_date:%Y-%m-%d}"},
        )
    not_after_death(errors, patient, "end_date", end_date)
    _relapse_at_end_errors(errors, patient, end_date, end_reason or "", relapse_date)
    if relapse_date is not None and relapse_of(patient) is None:
        finding = relapse_finding or RelapseFinding()
        merge(
            errors,
            relapse_errors(
                patient=patient, today=today, relapse_date=relapse_date, finding=finding
            ),
        )
    return errors


def end_of_treatment_form_errors(
    *, randomization: Randomization, today: dt.date, values: dict[str, Any]
) -> Errors:
    """The rules of `end_of_treatment_record` on the values a form could read."""
    errors = end_of_treatment_errors(
        randomization=randomization,
        today=today,
        end_date=values.get("end_date"),
        end_reason=values.get("end_reason"),
        relapse_date=values.get("relapse_date"),
        relapse_finding=RelapseFinding.from_values(values),
    )
    if "marrow_blast_pct" not in values:
        errors.pop("marrow_blast_pct", None)  # the blasts could not be read: their rules wait
    return errors


def _relapse_at_end_errors(
    errors: Errors, patient: Patient, end_date: dt.date, end_reason: str, day: dt.date | None
) -> None:
    """Progression after CR/CRi is a relapse: the end of treatment asks for it."""
    relapse = relapse_of(patient)
    if day is None:
        remission = in_remission_on(patient, end_date) if relapse is None else None
        if end_reason == EndOfTreatmentReason.PROGRESSION and remission is not None:
            add_error(
                errors,
                "relapse_date",
                _(
                    "The patient is in %(response)s since %(date)s: progression after CR/CRi is "
                    "a relapse (ELN 2017). Give the date of the relapse and how it was "
                    "established."
                )
                % {
                    "response": remission.get_response_display(),
                    "date": f"{remission.assessment_date:%Y-%m-%d}",
                },
            )
    elif day > end_date:
        add_error(
            errors, "relapse_date", _("The relapse that ended treatment cannot be after its end.")
        )
    elif relapse is not None and relapse.relapse_date != day:
        add_error(
            errors,
            "relapse_date",
            already_recorded(relapse.relapse_date),
        )
