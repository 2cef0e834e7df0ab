"""Follow-up records: visits, death, withdrawal, contact attempts, loss to follow-up.

Recording a death, a withdrawal or a loss to follow-up refreshes that patient's schedule at
once, so later visits are cancelled (with the reason) without waiting for the nightly run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from followup.models import (
    RECORDABLE_STATUSES,
    ContactAttempt,
    ContactOutcome,
    FollowupDiseaseStatus,
    Visit,
    VisitStatus,
    VitalStatus,
)
from followup.schedule import FollowupRules
from followup.selectors import last_known_alive
from followup.services.refresh import patient_schedule_refresh
from randomization.models import Randomization
from treatment.models import Relapse, RelapseFoundAt
from treatment.selectors import relapse_of
from treatment.services import RelapseFinding, relapse_errors, relapse_record, relapse_withdraw
from treatment.services.relapse import errors_as
from trial.audit import record_save, require
from trial.exceptions import StateConflict
from trial.models import Death, LossToFollowUp, Patient, User, Withdrawal
from trial.permissions import Action
from trial.validation import (
    Errors,
    add_error,
    model_errors,
    not_before_randomisation,
    not_in_future,
    raise_if,
)


def _randomized_on(patient: Patient) -> dt.date:
    randomization = Randomization.objects.filter(patient=patient).first()
    if randomization is None:
        raise StateConflict(
            _("Patient %(patient)s is not randomised; follow-up does not apply.")
            % {"patient": patient}
        )
    return randomization.randomized_on


def _lock_visit(visit: Visit) -> Visit:
    visit = Visit.objects.select_for_update().select_related("patient__site").get(pk=visit.pk)
    if visit.status == VisitStatus.CANCELLED:
        raise StateConflict(
            _("Visit %(number)s was cancelled (%(why)s).")
            % {"number": visit.number, "why": visit.status_reason}
        )
    return visit


@transaction.atomic
def visit_record(
    *,
    visit: Visit,
    by: User,
    today: dt.date,
    contact_date: dt.date,
    vital_status: str,
    disease_status: str,
    relapse_date: dt.date | None = None,
    relapse_finding: RelapseFinding | None = None,
    new_treatment: bool = False,
    new_treatment_detail: str = "",
    transplant: bool = False,
    transplant_date: dt.date | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
    confirmation: str = "",
) -> Visit:
    """Record (or correct, with a reason) a follow-up visit as done.

    A visit reporting a relapse links to the patient's relapse record: the one already
    recorded, or the one this visit records through the treatment period's `relapse_record`
    (`relapse_date` and `relapse_finding`; docs/protocol.md "Relapse"). A correction that
    takes back the relapse of the one visit it was found at withdraws the record.
    `now` is the instant of the entry (by default the start of `today`).

    :raises PermissionDenied: the user may not enter follow-up at the patient's site.
    :raises StateConflict: the visit was cancelled.
    :raises ValidationError: dates in the future or out of order, a relapse without its date,
        without a previous CR/CRi or other than the one recorded, "remission kept" after a
        recorded relapse, a transplant without its date, or "dead" without a death record.
    """
    require(user=by, action=Action.ENTER_FOLLOWUP, site=visit.patient.site)
    visit = _lock_visit(visit)
    now = now or timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    errors = visit_errors(
        visit=visit,
        today=today,
        contact_date=contact_date,
        vital_status=vital_status,
        disease_status=disease_status,
        relapse_date=relapse_date,
        relapse_finding=relapse_finding,
        transplant=transplant,
        transplant_date=transplant_date,
    )
    raise_if(errors)
    first_entry = visit.status in RECORDABLE_STATUSES
    previous_relapse = visit.relapse
    visit.status, visit.not_done_reason = VisitStatus.DONE, ""
    visit.contact_date, visit.vital_status, visit.disease_status = (
        contact_date,
        vital_status,
        disease_status,
    )
    visit.relapse = None
    if disease_status == FollowupDiseaseStatus.RELAPSE:
        visit.relapse = relapse_of(visit.patient) or _relapse_found(
            visit, relapse_date, relapse_finding, by=by, now=now
        )
    visit.new_treatment, visit.new_treatment_detail = new_treatment, new_treatment_detail
    visit.transplant, visit.transplant_date = transplant, transplant_date if transplant else None
    _save_entry(visit, by=by, reason=reason, first_entry=first_entry, confirmation=confirmation)
    if previous_relapse is not None and visit.relapse is None:
        _relapse_taken_back(visit, previous_relapse, by=by, now=now, reason=reason)
    return visit


def visit_errors(
    *,
    visit: Visit,
    today: dt.date,
    contact_date: dt.date | None,
    vital_status: str | None,
    disease_status: str | None,
    relapse_date: dt.date | None = None,
    relapse_finding: RelapseFinding | None = None,
    transplant: bool = False,
    transplant_date: dt.date | None = None,
) -> Errors:
    """Every rule on a visit recorded as done that its values allow checking (None: not known
    yet), with those of the relapse it finds."""
    errors: Errors = {}
    if contact_date is not None:
        not_in_future(errors, today=today, contact_date=contact_date)
        if contact_date < visit.anchor_date and not visit.anchor_provisional:
            add_error(errors, "contact_date", _("The contact is before the end of treatment."))
    if disease_status is not None:
        _disease_status_errors(errors, visit, disease_status, contact_date, relapse_date)
    if disease_status == FollowupDiseaseStatus.RELAPSE and relapse_date is not None:
        _new_relapse_errors(errors, visit, today, relapse_date, relapse_finding)
    if transplant and transplant_date is None:
        add_error(errors, "transplant_date", _("Give the date of the transplant."))
    for name, value in (("relapse_date", relapse_date), ("transplant_date", transplant_date)):
        if value is not None and contact_date is not None and value > contact_date:
            add_error(errors, name, _("This date is after the date of contact."))
    if vital_status == VitalStatus.DEAD and not Death.objects.filter(patient_id=visit.patient_id):
        add_error(errors, "vital_status", _("Record the death (date and cause) first."))
    return errors


def visit_form_errors(*, visit: Visit, today: dt.date, values: dict[str, Any]) -> Errors:
    """The rules of `visit_record` on the values a visit form could read."""
    errors = visit_errors(
        visit=visit,
        today=today,
        contact_date=values.get("contact_date"),
        vital_status=values.get("vital_status"),
        disease_status=values.get("disease_status"),
        relapse_date=values.get("relapse_date"),
        relapse_finding=RelapseFinding.from_values(values),
        transplant=bool(values.get("transplant")),
        transplant_date=values.get("transplant_date"),
    )
    if "marrow_blast_pct" not in values:
        errors.pop("marrow_blast_pct", None)  # the blasts could not be read: their rules wait
    return errors


# Where a relapse's errors go on the visit form.
_VISIT_FIELDS: dict[str, str] = {NON_FIELD_ERRORS: "disease_status"}


def _new_relapse_errors(
    errors: Errors,
    visit: Visit,
    today: dt.date,
    relapse_date: dt.date,
    finding: RelapseFinding | None,
) -> None:
    """What `relapse_record` will check of a relapse this visit records, told now."""
    if relapse_of(visit.patient) is not None:
        return
    found = relapse_errors(
        patient=visit.patient,
        today=today,
        relapse_date=relapse_date,
        finding=finding or RelapseFinding(),
    )
    for name, messages in found.items():
        for message in messages:
            add_error(errors, _VISIT_FIELDS.get(name, name), message)


def _disease_status_errors(
    errors: Errors,
    visit: Visit,
    disease_status: str,
    contact_date: dt.date | None,
    relapse_date: dt.date | None,
) -> None:
    """The disease status agrees with the relapse record (docs/protocol.md "Relapse")."""
    relapse = relapse_of(visit.patient)
    taking_back = disease_status != FollowupDiseaseStatus.RELAPSE
    if taking_back and relapse is not None and visit.relapse_id == relapse.pk:
        relapse = (
            None if _reported_here_only(visit, relapse) else relapse
        )  # this correction takes back the relapse that only this visit reported
    if relapse is None:
        if disease_status == FollowupDiseaseStatus.RELAPSE and relapse_date is None:
            add_error(errors, "relapse_date", _("Give the date of the relapse."))
        return
    recorded = relapse.relapse_date
    if disease_status == FollowupDiseaseStatus.RELAPSE and relapse_date not in (None, recorded):
        add_error(
            errors,
            "relapse_date",
            _(
                "The relapse is recorded on %(date)s: this visit reports that "
                "relapse. Leave the date empty, or correct the relapse record (with a "
                "reason) if that date is wrong."
            )
            % {"date": f"{recorded:%Y-%m-%d}"},
        )
    remission_kept = disease_status == FollowupDiseaseStatus.REMISSION
    if remission_kept and contact_date is not None and recorded <= contact_date:
        add_error(
            errors,
            "disease_status",
            _(
                "A relapse is recorded on %(date)s: the remission was not kept "
                "to this contact. Choose relapse, or correct the relapse record."
            )
            % {"date": f"{recorded:%Y-%m-%d}"},
        )


def _relapse_found(
    visit: Visit,
    relapse_date: dt.date | None,
    finding: RelapseFinding | None,
    *,
    by: User,
    now: dt.datetime,
) -> Relapse:
    assert relapse_date is not None
    with errors_as(_VISIT_FIELDS):
        return relapse_record(
            patient=visit.patient,
            relapse_date=relapse_date,
            finding=finding or RelapseFinding(),
            found_at=RelapseFoundAt.FOLLOWUP_VISIT,
            by=by,
            now=now,
        )


def _reported_here_only(visit: Visit, relapse: Relapse) -> bool:
    """The relapse was found at a follow-up visit and no other visit reports it."""
    if relapse.found_at != RelapseFoundAt.FOLLOWUP_VISIT:
        return False
    others = Visit.objects.filter(relapse=relapse, entered_in_error=False).exclude(pk=visit.pk)
    return not others.exists()


def _relapse_taken_back(
    visit: Visit, relapse: Relapse, *, by: User, now: dt.datetime, reason: str
) -> None:
    """A visit corrected to say no relapse withdraws the relapse it alone reported."""
    relapse.refresh_from_db()
    if relapse.entered_in_error or not _reported_here_only(visit, relapse):
        return
    with errors_as(_VISIT_FIELDS):
        relapse_withdraw(
            relapse=relapse, by=by, now=now, reason=f"Visit {visit.number} corrected: {reason}"
        )


def _save_entry(
    visit: Visit, *, by: User, reason: str, first_entry: bool, confirmation: str = ""
) -> None:
    """A first entry on a scheduled visit is data entry; changing it again is a correction."""
    if first_entry:
        reason = reason.strip() or "Visit recorded"
    record_save(instance=visit, by=by, reason=reason, confirmation=confirmation)


@transaction.atomic
def visit_not_done_record(
    *, visit: Visit, by: User, not_done_reason: str, reason: str = ""
) -> Visit:
    """Record why a visit was not done.

    :raises StateConflict: the visit was cancelled.
    :raises ValidationError: without a reason not done.
    """
    require(user=by, action=Action.ENTER_FOLLOWUP, site=visit.patient.site)
    visit = _lock_visit(visit)
    if not not_done_reason.strip():
        raise ValidationError({"not_done_reason": [_("Say why the visit was not done.")]})
    first_entry = visit.status in RECORDABLE_STATUSES
    visit.status, visit.not_done_reason = VisitStatus.NOT_DONE, not_done_reason.strip()
    visit.contact_date = None
    _save_entry(visit, by=by, reason=reason, first_entry=first_entry)
    return visit


def _last_seen_alive(patient: Patient) -> dt.date | None:
    return last_known_alive(patient)


def death_errors(*, patient: Patient, today: dt.date, death_date: dt.date | None) -> Errors:
    """A death is dated in the past, after randomisation, and (when first recorded) not
    before a day the patient was known alive."""
    errors: Errors = {}
    randomization = Randomization.objects.filter(patient=patient).first()
    if death_date is None or randomization is None:
        return errors
    not_in_future(errors, today=today, death_date=death_date)
    not_before_randomisation(
        errors, randomized_on=randomization.randomized_on, death_date=death_date
    )
    alive = None if Death.objects.filter(patient=patient).exists() else _last_seen_alive(patient)
    if alive is not None and death_date < alive:
        add_error(
            errors,
            "death_date",
            _("The patient was known alive on %(date)s.") % {"date": f"{alive:%Y-%m-%d}"},
        )
    return errors


@transaction.atomic
def death_record(
    *,
    patient: Patient,
    by: User,
    today: dt.date,
    death_date: dt.date,
    cause: str,
    cause_detail: str = "",
    reason: str = "",
) -> Death:
    """Record (or correct) the patient's death; later planned visits are cancelled.

    :raises StateConflict: the patient is not randomised.
    :raises ValidationError: a date in the future, before randomisation, or before a date
        the patient was known alive.
    """
    require(user=by, action=Action.ENTER_FOLLOWUP, site=patient.site)
    _randomized_on(patient)
    death = Death.objects.filter(patient=patient).first() or Death(patient=patient)
    death.entered_anew()
    errors = death_errors(patient=patient, today=today, death_date=death_date)
    death.death_date, death.cause, death.cause_detail = death_date, cause, cause_detail
    raise_if(model_errors(errors, death, exclude=["patient"]))
    record_save(instance=death, by=by, reason=reason)
    patient_schedule_refresh(patient=patient, today=today)
    return death


@transaction.atomic
def withdrawal_record(
    *,
    patient: Patient,
    by: User,
    today: dt.date,
    withdrawal_date: dt.date,
    vital_status_may_be_collected: bool,
    data_may_be_collected: bool,
    comment: str = "",
    reason: str = "",
) -> Withdrawal:
    """Record the withdrawal of consent and what may still be collected; stops the schedule.

    :raises StateConflict: the patient is not randomised.
    :raises ValidationError: a date in the future or before randomisation.
    """
    require(user=by, action=Action.ENTER_FOLLOWUP, site=patient.site)
    randomized_on = _randomized_on(patient)
    errors = not_in_future({}, today=today, withdrawal_date=withdrawal_date)
    raise_if(
        not_before_randomisation(
            errors, randomized_on=randomized_on, withdrawal_date=withdrawal_date
        )
    )
    withdrawal = Withdrawal.objects.filter(patient=patient).first() or Withdrawal(patient=patient)
    withdrawal.entered_anew()
    withdrawal.withdrawal_date = withdrawal_date
    withdrawal.vital_status_may_be_collected = vital_status_may_be_collected
    withdrawal.data_may_be_collected = data_may_be_collected
    withdrawal.comment = comment
    record_save(instance=withdrawal, by=by, reason=reason)
    patient_schedule_refresh(patient=patient, today=today)
    return withdrawal


@transaction.atomic
def contact_attempt_record(
    *,
    patient: Patient,
    by: User,
    today: dt.date,
    attempted_on: dt.date,
    method: str,
    outcome: str,
    note: str = "",
) -> ContactAttempt:
    """Document an attempt to reach the patient.

    :raises ValidationError: a date in the future.
    """
    require(user=by, action=Action.ENTER_FOLLOWUP, site=patient.site)
    _randomized_on(patient)
    raise_if(not_in_future({}, today=today, attempted_on=attempted_on))
    attempt = ContactAttempt(
        patient=patient, attempted_on=attempted_on, method=method, outcome=outcome, note=note
    )
    record_save(instance=attempt, by=by)
    return attempt


def loss_to_followup_evidence(patient: Patient) -> tuple[int, int]:
    """Missed visits since the last visit done, and unanswered contact attempts since then."""
    visits = Visit.objects.filter(patient=patient, entered_in_error=False)
    last_done = visits.filter(status=VisitStatus.DONE).order_by("-number").first()
    since_number = last_done.number if last_done else 0
    since_date = last_done.contact_date if last_done else None
    missed = visits.filter(status=VisitStatus.MISSED, number__gt=since_number).count()
    attempts = ContactAttempt.objects.filter(patient=patient, entered_in_error=False).exclude(
        outcome=ContactOutcome.REACHED_ALIVE
    )
    if since_date:
        attempts = attempts.filter(attempted_on__gte=since_date)
    reached = ContactAttempt.objects.filter(
        patient=patient, entered_in_error=False, outcome=ContactOutcome.REACHED_ALIVE
    )
    last_reached = reached.order_by("-attempted_on").first()
    if last_reached is not None:
        attempts = attempts.filter(attempted_on__gt=last_reached.attempted_on)
    return missed, attempts.count()


@transaction.atomic
def loss_to_followup_declare(
    *, patient: Patient, by: User, today: dt.date, comment: str = ""
) -> LossToFollowUp:
    """Declare the patient lost to follow-up; stops the schedule from today.

    :raises StateConflict: not randomised, or already declared.
    :raises ValidationError: fewer missed visits or contact attempts than configured.
    """
    require(user=by, action=Action.ENTER_FOLLOWUP, site=patient.site)
    _randomized_on(patient)
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    if LossToFollowUp.objects.filter(patient=patient, entered_in_error=False).exists():
        raise StateConflict(
            _("Patient %(patient)s is already declared lost to follow-up.") % {"patient": patient}
        )
    rules = FollowupRules.from_settings()
    missed, attempts = loss_to_followup_evidence(patient)
    errors: dict[str, list[str]] = {}
    if missed < rules.missed_visits_for_loss:
        errors.setdefault("__all__", []).append(
            ngettext(
                "%(needed)d missed visit is needed (%(found)d so far).",
                "%(needed)d missed visits are needed (%(found)d so far).",
                rules.missed_visits_for_loss,
            )
            % {"needed": rules.missed_visits_for_loss, "found": missed}
        )
    if attempts < rules.contact_attempts_for_loss:
        errors.setdefault("__all__", []).append(
            ngettext(
                "%(needed)d documented contact attempt is needed (%(found)d so far).",
                "%(needed)d documented contact attempts are needed (%(found)d so far).",
                rules.contact_attempts_for_loss,
            )
            % {"needed": rules.contact_attempts_for_loss, "found": attempts}
        )
    if errors:
        raise ValidationError(errors)
    # One row per patient: a declaration entered in error is declared again on its row.
    loss = LossToFollowUp.objects.filter(patient=patient).first() or LossToFollowUp(patient=patient)
    again = loss.pk is not None
    loss.entered_anew()
    loss.declared_on, loss.missed_visits, loss.contact_attempts = today, missed, attempts
    loss.comment = comment
    record_save(
        instance=loss,
        by=by,
        reason="Declared again: the earlier declaration was entered in error" if again else "",
    )
    patient_schedule_refresh(patient=patient, today=today)
    return loss
