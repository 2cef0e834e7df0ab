"""Screening, eligibility, consent, baseline and enrolment (docs/protocol.md "Screening and eligibility")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from trial import rules
from trial.audit import record_save, require
from trial.exceptions import StateConflict
from trial.models import (
    Baseline,
    BaselineMutation,
    Consent,
    EligibilityAnswer,
    MutationGene,
    Patient,
    PatientStatus,
    ProtocolVersion,
    ScreenFailureReason,
    Site,
    User,
)
from trial.permissions import Action
from trial.services import drafts
from trial.validation import Errors, add_error, merge, model_errors, not_in_future, raise_if


def protocol_version_in_force(*, on: dt.date) -> ProtocolVersion:
    """Return the protocol version effective on a date.

    :raises ValidationError: no version was effective yet.
    """
    version = (
        ProtocolVersion.objects.filter(effective_date__lte=on).order_by("-effective_date").first()
    )
    if version is None:
        raise ValidationError(
            {
                "screening_date": [
                    _("No protocol version is in force on %(date)s.") % {"date": f"{on:%Y-%m-%d}"}
                ]
            }
        )
    return version


def _refuse_after_screen_failure(patient: Patient) -> None:
    """Screening closed as a screen failure takes no more screening data (CONSORT counts the
    patient as not eligible); the records kept stay readable with their history."""
    failed = Patient.objects.filter(pk=patient.pk, status=PatientStatus.SCREEN_FAILED).first()
    if failed is not None:
        raise StateConflict(screen_failure_message(failed))


def screen_failure_message(patient: Patient) -> str:
    reason = patient.get_screen_failure_reason_display() or _("no reason given")
    return _(
        "Screening of patient %(patient)s was closed as a screen failure (%(reason)s): consent, "
        "baseline and eligibility can no longer be recorded or changed."
    ) % {"patient": patient, "reason": reason}


def _require_screening(patient: Patient) -> None:
    if patient.status != PatientStatus.SCREENING:
        raise StateConflict(
            _("Patient %(patient)s is %(status)s; this step belongs to screening.")
            % {"patient": patient, "status": patient.get_status_display().lower()}
        )


@transaction.atomic
def patient_screen(
    *,
    site: Site,
    screening_date: dt.date,
    sex: str,
    age_at_screening: int,
    by: User,
    today: dt.date,
    confirmation: str = "",
) -> Patient:
    """Add a screened person to the site's screening log, with the next screening number.

    :raises PermissionDenied: the user may not screen at this site.
    :raises ValidationError: the site is closed, a date is in the future, or no protocol version.
    """
    require(user=by, action=Action.SCREEN, site=site)
    site = Site.objects.select_for_update().get(pk=site.pk)
    raise_if(
        merge(
            patient_screen_errors(site=site, screening_date=screening_date, today=today),
            model_errors(
                {},
                Patient(site=site, sex=sex, age_at_screening=age_at_screening),
                exclude=["screening_date", "screening_number", "protocol_version"],
            ),
        )
    )
    number = site.next_screening_number
    site.next_screening_number = number + 1
    record_save(instance=site, by=by, reason="Screening number issued")
    patient = Patient(
        site=site,
        screening_number=f"S-{site.code}-{number:04d}",
        screening_date=screening_date,
        sex=sex,
        age_at_screening=age_at_screening,
        protocol_version=protocol_version_in_force(on=screening_date),
    )
    record_save(instance=patient, by=by, confirmation=confirmation)
    return patient


def patient_screen_errors(
    *, site: Site | None, screening_date: dt.date | None, today: dt.date
) -> Errors:
    """An open site, a screening date in the past with a protocol version in force."""
    errors: Errors = {}
    if site is not None and not site.active:
        add_error(errors, "site", _("Site %(site)s is not active.") % {"site": site.code})
    not_in_future(errors, today=today, screening_date=screening_date)
    if screening_date is not None and "screening_date" not in errors:
        try:
            protocol_version_in_force(on=screening_date)
        except ValidationError as error:
            merge(errors, error.message_dict)
    return errors


@transaction.atomic
def patient_update(
    *,
    patient: Patient,
    by: User,
    reason: str,
    today: dt.date,
    confirmation: str = "",
    **fields: Any,
) -> Patient:
    """Correct the screening-log data of a patient (sex, age, screening date).

    :raises ValidationError: without a reason, or with a date in the future.
    """
    require(user=by, action=Action.SCREEN, site=patient.site)
    allowed = {"screening_date", "sex", "age_at_screening"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({f: [_("This field cannot be changed here.")] for f in unknown})
    raise_if(not_in_future({}, today=today, screening_date=fields.get("screening_date")))
    for name, value in fields.items():
        setattr(patient, name, value)
    record_save(instance=patient, by=by, reason=reason, confirmation=confirmation)
    return patient


def _clear_confirmation(patient: Patient, *, by: User, why: str) -> None:
    """Eligibility rests on the data; when the data change before enrolment it must be re-confirmed."""
    if patient.status == PatientStatus.SCREENING and patient.eligibility_confirmed_at:
        patient.eligibility_confirmed_at = None
        patient.eligibility_confirmed_by = None
        record_save(instance=patient, by=by, reason=f"Eligibility to be confirmed again: {why}")


@transaction.atomic
def eligibility_record(
    *,
    patient: Patient,
    answers: dict[str, bool],
    by: User,
    reason: str = "",
    notes: dict[str, str] | None = None,
) -> list[EligibilityAnswer]:
    """Record answers to the criteria of the patient's protocol version, keyed by criterion code.

    :raises StateConflict: screening was closed as a screen failure.
    :raises ValidationError: a code is not a criterion of that version, or a changed answer
        has no reason.
    """
    require(user=by, action=Action.SCREEN, site=patient.site)
    _refuse_after_screen_failure(patient)
    notes = notes or {}
    criteria = {c.code: c for c in patient.protocol_version.criteria.all()}
    unknown = sorted(set(answers) - set(criteria))
    if unknown:
        raise ValidationError(
            {
                "answers": [
                    _("Not a criterion of protocol v%(version)s: %(codes)s.")
                    % {"version": patient.protocol_version.number, "codes": ", ".join(unknown)}
                ]
            }
        )
    existing = {
        a.criterion.code: a for a in patient.eligibility_answers.select_related("criterion")
    }
    saved, changed = [], False
    for code, answer in answers.items():
        row = existing.get(code) or EligibilityAnswer(patient=patient, criterion=criteria[code])
        note = notes.get(code, row.note)
        if row.pk and row.answer == answer and row.note == note:
            saved.append(row)
            continue
        changed = changed or bool(row.pk)
        row.answer, row.note = answer, note
        record_save(instance=row, by=by, reason=reason)
        saved.append(row)
    if changed:
        _clear_confirmation(patient, by=by, why="eligibility answers changed")
    return saved


@transaction.atomic
def consent_record(
    *,
    patient: Patient,
    consent_date: dt.date,
    form_version: str,
    obtained_by: User,
    by: User,
    today: dt.date,
    reason: str = "",
    confirmation: str = "",
) -> Consent:
    """Record (or correct, with a reason) the patient's written informed consent.

    :raises StateConflict: screening was closed as a screen failure.
    :raises ValidationError: a date in the future, or study data dated before the consent.
    """
    require(user=by, action=Action.SCREEN, site=patient.site)
    _refuse_after_screen_failure(patient)
    consent = Consent.objects.filter(patient=patient).first() or Consent(patient=patient)
    consent.consent_date, consent.form_version, consent.obtained_by = (
        consent_date,
        form_version,
        obtained_by,
    )
    errors = model_errors({}, consent, exclude=["patient"])
    raise_if(merge(errors, consent_errors(patient=patient, consent_date=consent_date, today=today)))
    record_save(instance=consent, by=by, reason=reason, confirmation=confirmation)
    return consent


def consent_errors(*, patient: Patient, consent_date: dt.date | None, today: dt.date) -> Errors:
    """The consent is dated in the past and before every study procedure."""
    errors = not_in_future({}, today=today, consent_date=consent_date)
    baseline = Baseline.objects.filter(patient=patient).first()
    assessed = baseline.assessment_date if baseline else None
    if consent_date and assessed and assessed < consent_date:
        add_error(
            errors,
            "consent_date",
            _("The baseline assessment is dated before this consent date."),
        )
    return errors


BASELINE_FIELDS = (
    "assessment_date",
    "disease_status",
    "diagnosis_date",
    "induction_start_date",
    "prior_induction_cycles",
    "first_cr_date",
    "relapse_date",
    "ecog",
    "wbc",
    "blood_blast_pct",
    "marrow_blast_pct",
    "cytogenetic_risk",
    "mrd_pct",
    "planned_regimen",
)


@transaction.atomic
def baseline_record(
    *,
    patient: Patient,
    data: dict[str, Any],
    mutations: dict[str, str],
    by: User,
    today: dt.date,
    reason: str = "",
    confirmation: str = "",
    draft: bool = False,
) -> Baseline:
    """Record (or correct, with a reason) the baseline record and mutation results.

    `draft` saves it with required fields left empty (the values given are still checked); a
    draft counts as no data until this is called without `draft`, which completes it. The
    history names each draft save and the completion.

    :raises StateConflict: screening was closed as a screen failure, or a draft save of a
        record already complete.
    :raises ValidationError: no consent yet, assessment before consent, dates in the future or
        out of order, dates that contradict the disease status, or (unless a draft) a
        required field left empty.
    """
    require(user=by, action=Action.SCREEN, site=patient.site)
    _refuse_after_screen_failure(patient)
    baseline = Baseline.objects.filter(patient=patient).first() or Baseline(patient=patient)
    was_saved, was_draft = baseline.pk is not None, baseline.draft
    if draft and was_saved and not was_draft:
        raise StateConflict(
            _("The baseline record is complete: correct it with the ordinary save, not as a draft.")
        )
    for name in BASELINE_FIELDS:
        if name in data:
            setattr(baseline, name, data[name])
    baseline.draft = draft
    errors = model_errors({}, baseline, exclude=["patient"])
    if not draft:
        merge(errors, drafts.missing_errors(baseline))
    unknown = {*errors, *drafts.record_missing_fields(baseline)}
    if draft:  # an empty field of a draft is not known yet: the rules that need it wait
        unknown.update(_empty_fields(baseline))
    merge(errors, baseline_errors(baseline, today=today, unknown=unknown))
    raise_if(merge(errors, _gene_errors(mutations)))
    reason = _draft_reason(reason, draft=draft, was_saved=was_saved, was_draft=was_draft)
    record_save(instance=baseline, by=by, reason=reason, confirmation=confirmation)
    _mutations_record(baseline=baseline, mutations=mutations, by=by, reason=reason)
    if was_saved and not was_draft:
        _clear_confirmation(patient, by=by, why="baseline changed")
    return baseline


def _empty_fields(baseline: Baseline) -> list[str]:
    return [name for name in BASELINE_FIELDS if getattr(baseline, name) in (None, "")]


def _draft_reason(reason: str, *, draft: bool, was_saved: bool, was_draft: bool) -> str:
    """The history's word for a draft save and a draft's completion; a correction of a
    complete record keeps the user's reason."""
    if draft:
        return "Saved as a draft"
    if was_saved and was_draft:
        return "Draft completed"
    return reason


def baseline_errors(
    baseline: Baseline, *, today: dt.date, unknown: Collection[str] = frozenset()
) -> Errors:
    """Every rule on a baseline record: consent first (no study data before it), dates in the
    past and in order, and dates that support the disease status (`rules.baseline_check`).

    `unknown` names the fields whose value could not be read: the rules that need them wait."""
    errors: Errors = {}
    consent = Consent.objects.filter(patient=baseline.patient, entered_in_error=False).first()
    if consent is None:
        add_error(
            errors, NON_FIELD_ERRORS, _("Record the informed consent before any baseline data.")
        )
    elif baseline.assessment_date and baseline.assessment_date < consent.consent_date:
        add_error(
            errors,
            "assessment_date",
            _("No study data may be dated before the consent (%(date)s).")
            % {"date": f"{consent.consent_date:%Y-%m-%d}"},
        )
    return merge(errors, rules.baseline_check(baseline, today=today, unknown=unknown))


def baseline_form_errors(
    *, patient: Patient, values: dict[str, Any], today: dt.date, draft: bool = False
) -> Errors:
    """The checks of `baseline_record` (the model's ranges, then the rules) on the values a
    form could read; a value missing from `values` is not known yet."""
    baseline = Baseline(patient=patient, **{name: values.get(name) for name in BASELINE_FIELDS})
    unknown = [name for name in BASELINE_FIELDS if name not in values]
    if draft:  # an empty field of a draft is not known yet: the rules that need it wait
        unknown += _empty_fields(baseline)
    errors = model_errors({}, baseline, exclude=["patient", *unknown])
    return merge(errors, baseline_errors(baseline, today=today, unknown=[*unknown, *errors]))


def _gene_errors(mutations: dict[str, str]) -> Errors:
    genes = set(MutationGene.objects.values_list("code", flat=True))
    unknown = sorted(set(mutations) - genes)
    if not unknown:
        return {}
    message = _("Unknown gene(s): %(genes)s.") % {"genes": ", ".join(unknown)}
    return {"mutations": [message]}


def _mutations_record(
    *, baseline: Baseline, mutations: dict[str, str], by: User, reason: str
) -> None:
    genes = {g.code: g for g in MutationGene.objects.all()}
    existing = {m.gene.code: m for m in baseline.mutations.select_related("gene")}
    for code, result in mutations.items():
        row = existing.get(code) or BaselineMutation(baseline=baseline, gene=genes[code])
        if row.pk and row.result == result:
            continue
        row.result = result
        record_save(instance=row, by=by, reason=reason)


def eligibility_problems(patient: Patient) -> list[str]:
    """Return every reason the patient cannot be confirmed eligible; empty when eligible."""
    problems: list[str] = []
    consent = Consent.objects.filter(patient=patient, entered_in_error=False).first()
    baseline = Baseline.objects.filter(patient=patient, entered_in_error=False).first()
    if consent is None:
        problems.append(_("Informed consent is not recorded."))
    if baseline is None:
        problems.append(_("The baseline record is missing."))
    elif baseline.draft:
        problems.append(drafts.baseline_draft_problem(patient))
        baseline = None  # a draft is no data: the rules on its values wait for it
    for messages in rules.age_check(patient.age_at_screening).values():
        problems.extend(messages)
    criteria = list(patient.protocol_version.criteria.order_by("position", "code"))
    answers = {
        a.criterion_id: a for a in patient.eligibility_answers.filter(entered_in_error=False)
    }
    for criterion in criteria:
        answer = answers.get(criterion.pk)
        if answer is None:
            problems.append(_("Criterion %(code)s is not answered.") % {"code": criterion.code})
        elif not answer.met:
            problems.append(
                _("Criterion %(code)s is not met: %(text)s")
                % {"code": criterion.code, "text": criterion.text}
            )
    if baseline is not None:
        for check in (rules.disease_status_check, rules.blast_check, rules.ecog_check):
            for messages in check(baseline).values():
                problems.extend(messages)
    return problems


@transaction.atomic
def patient_eligibility_confirm(*, patient: Patient, by: User, now: dt.datetime) -> Patient:
    """Record the investigator's confirmation that the patient is eligible.

    :raises PermissionDenied: the user is not an investigator of the patient's site.
    :raises StateConflict: the patient is no longer in screening.
    :raises ValidationError: listing every criterion or rule not satisfied.
    """
    require(user=by, action=Action.CONFIRM_ELIGIBILITY, site=patient.site)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    _require_screening(patient)
    problems = eligibility_problems(patient)
    if problems:
        raise ValidationError({"__all__": problems})
    patient.eligibility_confirmed_by, patient.eligibility_confirmed_at = by, now
    record_save(instance=patient, by=by, reason="Eligibility confirmed by investigator")
    return patient


@transaction.atomic
def patient_screen_fail(*, patient: Patient, reason: str, reason_detail: str, by: User) -> Patient:
    """Close screening for a patient who will not be enrolled, with the reason (CONSORT).

    :raises StateConflict: the patient is no longer in screening.
    :raises ValidationError: the reason is not one of the listed ones, or "other" without detail.
    """
    require(user=by, action=Action.SCREEN, site=patient.site)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    _require_screening(patient)
    if reason not in ScreenFailureReason.values:
        raise ValidationError({"reason": [_("Choose a screen-failure reason from the list.")]})
    if reason == ScreenFailureReason.OTHER and not reason_detail.strip():
        raise ValidationError({"reason_detail": [_("Describe the reason when it is 'Other'.")]})
    patient.status = PatientStatus.SCREEN_FAILED
    patient.screen_failure_reason, patient.screen_failure_detail = reason, reason_detail.strip()
    with translation.override("en"):  # the history's reason is stored text: one language
        label = patient.get_screen_failure_reason_display()
    record_save(instance=patient, by=by, reason=f"Screen failure: {label}")
    return patient


@transaction.atomic
def patient_enrol(
    *, patient: Patient, by: User, now: dt.datetime, confirmation: str = ""
) -> Patient:
    """Enrol an eligible patient and give the study subject identifier (site code + sequence).

    :raises StateConflict: the patient is not in screening (already enrolled or failed).
    :raises ValidationError: eligibility is not confirmed by an investigator.
    """
    require(user=by, action=Action.SCREEN, site=patient.site)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    _require_screening(patient)
    if not patient.eligibility_confirmed:
        raise ValidationError(
            {"__all__": [_("An investigator must confirm eligibility before enrolment.")]}
        )
    draft = drafts.baseline_draft_problem(patient)
    if draft:
        raise ValidationError({"__all__": [draft]})
    site = Site.objects.select_for_update().get(pk=patient.site_id)
    number = site.next_subject_number
    site.next_subject_number = number + 1
    record_save(instance=site, by=by, reason="Subject identifier issued")
    patient.subject_id = f"{site.code}-{number:03d}"
    patient.status = PatientStatus.ENROLLED
    patient.enrolled_at, patient.enrolled_by = now, by
    record_save(instance=patient, by=by, reason="Enrolled", confirmation=confirmation)
    return patient
