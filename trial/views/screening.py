"""Pages of screening: the screening log entry, consent, baseline, the eligibility checklist,
the investigator's confirmation, enrolment, a screen failure, and their histories.

Every page that shows a patient loads it through `Patient.objects.for_user`, so another site's
patient is simply not found (404). Each page makes one service call; the services decide.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from trial.access import acting_user, patient_for
from trial.exceptions import StateConflict
from trial.forms import submitted
from trial.forms.screening import (
    BaselineForm,
    ConfirmEligibilityForm,
    ConsentForm,
    EligibilityForm,
    EnrolForm,
    PatientEditForm,
    PatientScreenForm,
    ScreenFailForm,
)
from trial.models import Baseline, Consent, MutationGene, Patient, PatientStatus, Site, User
from trial.pages import form_page, page, require_action
from trial.permissions import Action
from trial.selectors.history import record_history
from trial.services import drafts, screening


def _patient_url(patient: Patient) -> str:
    return reverse("workspace:patient_detail", kwargs={"patient_id": patient.pk})


def _screening_closed(patient: Patient, record: object) -> str:
    """Why a screen-failed patient's screening form is read-only for everyone; a form that was
    never filled is not offered at all (back to the patient page, with the reason).

    :raises StateConflict: screening was closed and nothing was recorded on this form.
    """
    if patient.status != PatientStatus.SCREEN_FAILED:
        return ""
    message = screening.screen_failure_message(patient)
    if not record:
        raise StateConflict(message)
    return message


def _screening_sites(user: User) -> Any:
    site_ids = user.site_ids_for(Action.SCREEN)
    sites = Site.objects.filter(active=True).order_by("code")
    return sites if site_ids is None else sites.filter(pk__in=site_ids)


@page
def patient_screen(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    require_action(request, Action.SCREEN)
    sites = _screening_sites(user)
    today = timezone.localdate()
    form = PatientScreenForm(
        submitted(request),
        sites=sites,
        initial={"screening_date": today, "site": sites.first()},
        rules=lambda values: screening.patient_screen_errors(
            site=values.get("site"), screening_date=values.get("screening_date"), today=today
        ),
    )
    return form_page(
        request,
        form=form,
        submit=lambda: screening.patient_screen(**form.cleaned_data, by=user, today=today),
        template="trial/patient_screen.html",
        action=Action.SCREEN,
        site=None,
        success=lambda p: (
            _("Patient %(number)s added to the screening log.") % {"number": p.screening_number}
        ),
        next_url=_patient_url,
    )


@page
def patient_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Correct the screening-log entry (screening date, sex, age), with a reason."""
    patient = patient_for(request, patient_id)
    names = ("screening_date", "sex", "age_at_screening")
    form = PatientEditForm(submitted(request), initial={n: getattr(patient, n) for n in names})

    def submit() -> Patient:
        data = dict(form.cleaned_data)
        return screening.patient_update(
            patient=patient,
            by=acting_user(request),
            today=timezone.localdate(),
            reason=data.pop("reason"),
            confirmation=data.pop("confirmation"),
            **data,
        )

    return form_page(
        request,
        form=form,
        submit=submit,
        template="trial/patient_edit.html",
        action=Action.SCREEN,
        site=patient.site,
        success=_("Screening log entry corrected."),
        next_url=_patient_url(patient),
        context={"patient": patient, "record": patient},
    )


@page
def consent_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    user = acting_user(request)
    consent = Consent.objects.filter(patient=patient).first()
    closed = _screening_closed(patient, consent)
    initial = {"obtained_by": user.pk}
    if consent:
        initial = {f: getattr(consent, f) for f in ("consent_date", "form_version")}
        initial["obtained_by"] = consent.obtained_by_id
    today = timezone.localdate()
    form = ConsentForm(
        submitted(request),
        initial=initial,
        site=patient.site,
        editing=consent is not None,
        rules=lambda values: screening.consent_errors(
            patient=patient, consent_date=values.get("consent_date"), today=today
        ),
    )

    def submit() -> Consent:
        data = form.cleaned_data
        return screening.consent_record(
            patient=patient,
            consent_date=data["consent_date"],
            form_version=data["form_version"],
            obtained_by=data["obtained_by"],
            by=user,
            today=today,
            reason=data.get("reason", ""),
            confirmation=data.get("confirmation", ""),
        )

    return form_page(
        request,
        form=form,
        submit=submit,
        template="trial/consent_form.html",
        action=Action.SCREEN,
        site=patient.site,
        success=_("Informed consent saved."),
        next_url=_patient_url(patient),
        context={"patient": patient, "record": consent},
        closed=closed,
    )


def _baseline_initial(baseline: Baseline | None, genes: list[MutationGene]) -> dict[str, Any]:
    if baseline is None:
        return {}
    initial = {name: getattr(baseline, name) for name in screening.BASELINE_FIELDS}
    results = {m.gene_id: m.result for m in baseline.mutations.all()}
    for gene in genes:
        if gene.pk in results:
            initial[BaselineForm.gene_field(gene)] = results[gene.pk]
    return initial


@page
def baseline_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    baseline = Baseline.objects.filter(patient=patient).first()
    closed = _screening_closed(patient, baseline)
    genes = list(MutationGene.objects.filter(active=True).order_by("position", "code"))
    today = timezone.localdate()
    draftable = baseline is None or baseline.draft  # a complete record is never a draft again
    drafting = draftable and request.method == "POST" and "draft" in request.POST
    form = BaselineForm(
        submitted(request),
        initial=_baseline_initial(baseline, genes),
        genes=genes,
        draftable=draftable,
        drafting=drafting,
        editing=not draftable,
        rules=lambda values: screening.baseline_form_errors(
            patient=patient, values=values, today=today, draft=drafting
        ),
    )

    def submit() -> Baseline:
        return screening.baseline_record(
            patient=patient,
            data=form.record_data(),
            mutations=form.mutations(),
            by=acting_user(request),
            today=today,
            reason=form.cleaned_data.get("reason", ""),
            confirmation=form.cleaned_data.get("confirmation", ""),
            draft=drafting,
        )

    return form_page(
        request,
        form=form,
        submit=submit,
        template="trial/baseline_form.html",
        action=Action.SCREEN,
        site=patient.site,
        success=lambda saved: (
            _("Baseline saved as a draft: it counts as no data until it is saved complete.")
            if saved.draft
            else _("Baseline record saved.")
        ),
        next_url=_patient_url(patient),
        context={
            "patient": patient,
            "record": baseline,
            "missing": drafts.missing_labels(baseline) if baseline and baseline.draft else [],
        },
        closed=closed,
    )


@page
def eligibility_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    criteria = list(patient.protocol_version.criteria.order_by("position", "code"))
    answers = {a.criterion_id: a for a in patient.eligibility_answers.all()}
    closed = _screening_closed(patient, answers)
    initial: dict[str, Any] = {}
    for c in criteria:
        if c.pk in answers:
            initial[f"answer_{c.code}"] = "yes" if answers[c.pk].answer else "no"
            initial[f"note_{c.code}"] = answers[c.pk].note
    form = EligibilityForm(
        submitted(request), initial=initial, criteria=criteria, editing=bool(answers)
    )
    return form_page(
        request,
        form=form,
        submit=lambda: screening.eligibility_record(
            patient=patient,
            answers=form.answers(),
            notes=form.notes(),
            by=acting_user(request),
            reason=form.cleaned_data.get("reason", ""),
        ),
        template="trial/eligibility_form.html",
        action=Action.SCREEN,
        site=patient.site,
        success=_("Eligibility checklist saved."),
        next_url=_patient_url(patient),
        context={"patient": patient, "record": answers or None},
        closed=closed,
    )


@page
def eligibility_confirm(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    problems = [] if request.method == "POST" else screening.eligibility_problems(patient)
    return form_page(
        request,
        form=ConfirmEligibilityForm(submitted(request)),
        submit=lambda: screening.patient_eligibility_confirm(
            patient=patient, by=acting_user(request), now=timezone.now()
        ),
        template="trial/confirm_form.html",
        action=Action.CONFIRM_ELIGIBILITY,
        site=patient.site,
        success=_("Eligibility confirmed."),
        next_url=_patient_url(patient),
        context={"patient": patient, "problems": problems},
    )


@page
def patient_enrol(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    form = EnrolForm(submitted(request))
    return form_page(
        request,
        form=form,
        submit=lambda: screening.patient_enrol(
            patient=patient,
            by=acting_user(request),
            now=timezone.now(),
            confirmation=form.cleaned_data["confirmation"],
        ),
        template="trial/enrol_form.html",
        action=Action.SCREEN,
        site=patient.site,
        success=lambda enrolled: (
            _("Patient enrolled as subject %(subject)s.") % {"subject": enrolled.subject_id}
        ),
        next_url=_patient_url(patient),
        context={"patient": patient},
    )


@page
def patient_screen_fail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    form = ScreenFailForm(submitted(request))
    return form_page(
        request,
        form=form,
        submit=lambda: screening.patient_screen_fail(
            patient=patient,
            reason=form.cleaned_data["reason"],
            reason_detail=form.cleaned_data["reason_detail"],
            by=acting_user(request),
        ),
        template="trial/screen_fail_form.html",
        action=Action.SCREEN,
        site=patient.site,
        success=_("Screening closed as a screen failure."),
        next_url=_patient_url(patient),
        context={"patient": patient},
    )


def _history_page(
    request: HttpRequest,
    patient: Patient,
    title: str,
    sections: list[tuple[str, Any]],
    protocol_headings: bool = False,
) -> HttpResponse:
    """`protocol_headings`: the sections are named in the protocol's words (its criteria)."""
    context = {
        "patient": patient,
        "title": title,
        "tab": "history",
        "sections": [
            (heading, record_history(record), protocol_headings) for heading, record in sections
        ],
    }
    return render(request, "trial/history.html", context)


@page
def patient_history(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    return _history_page(request, patient, _("Screening log entry"), [(_("Patient"), patient)])


@page
def consent_history(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    consent = get_object_or_404(Consent, patient=patient)
    return _history_page(request, patient, _("Informed consent"), [(_("Consent"), consent)])


@page
def baseline_history(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    baseline = get_object_or_404(Baseline, patient=patient)
    mutations = baseline.mutations.select_related("gene").order_by("gene__position", "gene__code")
    sections = [
        (_("Baseline"), baseline),
        *((_("Mutation %(gene)s") % {"gene": m.gene.code}, m) for m in mutations),
    ]
    return _history_page(request, patient, _("Baseline record"), sections)


@page
def eligibility_history(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    answers = patient.eligibility_answers.select_related("criterion").order_by(
        "criterion__position", "criterion__code"
    )
    sections = [(f"{a.criterion.code}: {a.criterion.text}", a) for a in answers]
    return _history_page(
        request, patient, _("Eligibility checklist"), sections, protocol_headings=True
    )
