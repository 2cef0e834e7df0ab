"""Pages: home, patient list, screening, eligibility, consent, baseline, enrolment, history.

Every page that shows a patient loads it through `Patient.objects.for_user`, so another site's
patient is simply not found (404). Each page makes one service call; the services decide.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from followup import selectors as followup_selectors
from randomization.models import Randomization
from trial.access import acting_user, patient_for
from trial.exceptions import PermissionDenied, StateConflict
from trial.forms import submitted
from trial.forms.screening import (
    BaselineForm,
    ConfirmEligibilityForm,
    ConsentForm,
    EligibilityForm,
    EnrolForm,
    PatientScreenForm,
    PatientSearchForm,
    ScreenFailForm,
    TrialForm,
)
from trial.models import (
    Baseline,
    Consent,
    EligibilityAnswer,
    MutationGene,
    Patient,
    PatientStatus,
    Site,
    User,
)
from trial.permissions import Action
from trial.selectors import dashboard, status, worklist
from trial.selectors import treatment as treatment_selectors
from trial.selectors.history import record_history
from trial.services import screening

View = Callable[..., HttpResponse]


def page(view: View) -> View:
    """Signed-in users only; a refusal by the rules becomes a 403 page, a state conflict a message."""

    @login_required
    @require_http_methods(["GET", "POST"])
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied as error:
            context = {"message": error.message}
            return render(request, "trial/forbidden.html", context, status=403)
        except StateConflict as error:
            messages.error(request, error.message)
            if "patient_id" in kwargs:
                return redirect("patient_detail", patient_id=kwargs["patient_id"])
            return redirect("home")

    return wrapper


def _form_page(
    request: HttpRequest,
    form: TrialForm,
    submit: Callable[[], Any],
    *,
    template: str,
    context: dict[str, Any],
    done: Callable[[Any], tuple[str, HttpResponse]],
) -> HttpResponse:
    """Render the form; on a valid POST call the service once, then redirect with a message."""
    if request.method == "POST" and form.is_valid():
        try:
            result = submit()
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            message, response = done(result)
            messages.success(request, message)
            return response
    return render(request, template, {**context, "form": form})


def _back_to(patient: Patient, message: str) -> Callable[[Any], tuple[str, HttpResponse]]:
    return lambda _result: (message, redirect("patient_detail", patient_id=patient.pk))


def _screening_groups(user: User) -> list[tuple[str, list[worklist.WorkItem]]]:
    items = worklist.screening_worklist(user)
    groups = [
        (label, [item for item in items if item.step == step])
        for step, label in worklist.NEXT_STEP_LABELS.items()
    ]
    return [(label, group) for label, group in groups if group]


@page
def home(request: HttpRequest) -> HttpResponse:
    """What needs doing now, by role: each block shows only to the roles that can act on it."""
    user = acting_user(request)
    now = timezone.now()
    context: dict[str, Any] = {
        "can_screen": user.can(Action.SCREEN),
        "can_confirm": user.can(Action.CONFIRM_ELIGIBILITY),
        "can_followup": user.can(Action.ENTER_FOLLOWUP),
        "can_report": user.can(Action.VIEW_REPORTS),
        "can_export": user.can(Action.EXPORT),
    }
    if context["can_screen"]:
        context["groups"] = _screening_groups(user)
        context["to_randomize"] = worklist.awaiting_randomization(user)
    if context["can_followup"]:
        context["visits"] = list(followup_selectors.worklist_for_user(user=user)[:25])
    if context["can_confirm"]:
        context["confirmations"] = worklist.awaiting_confirmation(user)
        context["signatures"] = worklist.signatures_due(user)
        context["aza_due"] = treatment_selectors.aza_response_due_patients(user=user)
        context["sae_due"] = list(worklist.sae_reports_due(user))
        context["now"] = now
    if context["can_report"]:
        context["dashboard"] = dashboard.trial_dashboard(user=user, now=now)
    return render(request, "home.html", context)


@page
def patient_list(request: HttpRequest) -> HttpResponse:
    """Patients of the user's sites with where they stand; htmx asks for the table alone."""
    search = PatientSearchForm(request.GET or None)
    patients: QuerySet[Patient] = Patient.objects.for_user(acting_user(request)).select_related(
        "site"
    )
    patients = status.with_trial_status(patients, today=timezone.localdate())
    if search.is_valid():
        if q := search.cleaned_data["q"].strip():
            patients = patients.filter(
                Q(screening_number__icontains=q) | Q(subject_id__icontains=q)
            )
        if wanted := search.cleaned_data["status"]:
            patients = patients.filter(trial_status=wanted)  # type: ignore[misc]
    patients = worklist.with_screening_progress(
        patients.order_by("-screening_date", "-screening_number")
    )
    paginated = Paginator(patients, 50).get_page(request.GET.get("page"))
    for patient in paginated:
        patient.next_step = worklist.NEXT_STEP_LABELS.get(  # type: ignore[attr-defined]
            worklist.patient_next_step(patient) or "", ""
        )
        patient.status_text = status.status_label(patient)  # type: ignore[attr-defined]
        patient.arm_text = status.arm_label(patient.arm)  # type: ignore[attr-defined]
    context = {"search": search, "page": paginated, "query": _query_without_page(request)}
    if request.headers.get("HX-Request"):
        return render(request, "trial/_patient_table.html", context)
    return render(request, "trial/patient_list.html", context)


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _screening_sites(user: User) -> Any:
    site_ids = user.site_ids_for(Action.SCREEN)
    sites = Site.objects.filter(active=True).order_by("code")
    return sites if site_ids is None else sites.filter(pk__in=site_ids)


@page
def patient_screen(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    if not user.can(Action.SCREEN):
        raise PermissionDenied("Your role does not allow you to screen patients.")
    sites = _screening_sites(user)
    today = timezone.localdate()
    form = PatientScreenForm(
        submitted(request), sites=sites, initial={"screening_date": today, "site": sites.first()}
    )

    def submit() -> Patient:
        return screening.patient_screen(**form.cleaned_data, by=user, today=today)

    def done(patient: Patient) -> tuple[str, HttpResponse]:
        message = f"Patient {patient.screening_number} added to the screening log."
        return message, redirect("patient_detail", patient_id=patient.pk)

    return _form_page(
        request, form, submit, template="trial/patient_screen.html", context={}, done=done
    )


@page
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The patient page: where the patient stands, the screening path, and the way on."""
    patient = patient_for(request, patient_id)
    user = acting_user(request)
    context = {
        "patient": patient,
        "steps": worklist.patient_steps(patient),
        "randomization": Randomization.objects.filter(patient=patient).first(),
        "can_screen": user.can(Action.SCREEN, patient.site),
        "can_confirm": user.can(Action.CONFIRM_ELIGIBILITY, patient.site),
        "can_randomize": user.can(Action.RANDOMIZE, patient.site),
        "can_treat": user.can(Action.ENTER_TREATMENT, patient.site),
        "in_screening": patient.status == PatientStatus.SCREENING,
        "enrolled": patient.status == PatientStatus.ENROLLED,
        "tab": "screening",
    }
    return render(request, "trial/patient_detail.html", context)


@page
def consent_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    user = acting_user(request)
    consent = Consent.objects.filter(patient=patient).first()
    initial = {"obtained_by": user.pk}
    if consent:
        initial = {f: getattr(consent, f) for f in ("consent_date", "form_version")}
        initial["obtained_by"] = consent.obtained_by_id
    form = ConsentForm(
        submitted(request), initial=initial, site=patient.site, editing=consent is not None
    )

    def submit() -> Consent:
        data = form.cleaned_data
        return screening.consent_record(
            patient=patient,
            consent_date=data["consent_date"],
            form_version=data["form_version"],
            obtained_by=data["obtained_by"],
            by=user,
            today=timezone.localdate(),
            reason=data.get("reason", ""),
        )

    context = {"patient": patient, "record": consent}
    return _form_page(
        request,
        form,
        submit,
        template="trial/consent_form.html",
        context=context,
        done=_back_to(patient, "Informed consent saved."),
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
    genes = list(MutationGene.objects.filter(active=True).order_by("position", "code"))
    form = BaselineForm(
        submitted(request),
        initial=_baseline_initial(baseline, genes),
        genes=genes,
        editing=baseline is not None,
    )

    def submit() -> Baseline:
        return screening.baseline_record(
            patient=patient,
            data=form.record_data(),
            mutations=form.mutations(),
            by=acting_user(request),
            today=timezone.localdate(),
            reason=form.cleaned_data.get("reason", ""),
        )

    context = {"patient": patient, "record": baseline}
    return _form_page(
        request,
        form,
        submit,
        template="trial/baseline_form.html",
        context=context,
        done=_back_to(patient, "Baseline record saved."),
    )


@page
def eligibility_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    criteria = list(patient.protocol_version.criteria.order_by("position", "code"))
    answers = {a.criterion_id: a for a in patient.eligibility_answers.all()}
    initial: dict[str, Any] = {}
    for c in criteria:
        if c.pk in answers:
            initial[f"answer_{c.code}"] = "yes" if answers[c.pk].answer else "no"
            initial[f"note_{c.code}"] = answers[c.pk].note
    form = EligibilityForm(
        submitted(request), initial=initial, criteria=criteria, editing=bool(answers)
    )

    def submit() -> list[EligibilityAnswer]:
        return screening.eligibility_record(
            patient=patient,
            answers=form.answers(),
            notes=form.notes(),
            by=acting_user(request),
            reason=form.cleaned_data.get("reason", ""),
        )

    context = {"patient": patient, "record": answers or None}
    return _form_page(
        request,
        form,
        submit,
        template="trial/eligibility_form.html",
        context=context,
        done=_back_to(patient, "Eligibility checklist saved."),
    )


@page
def eligibility_confirm(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    form = ConfirmEligibilityForm(submitted(request))

    def submit() -> Patient:
        return screening.patient_eligibility_confirm(
            patient=patient, by=acting_user(request), now=timezone.now()
        )

    problems = [] if request.method == "POST" else screening.eligibility_problems(patient)
    context = {"patient": patient, "problems": problems}
    return _form_page(
        request,
        form,
        submit,
        template="trial/confirm_form.html",
        context=context,
        done=_back_to(patient, "Eligibility confirmed."),
    )


@page
def patient_enrol(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    form = EnrolForm(submitted(request))

    def submit() -> Patient:
        return screening.patient_enrol(patient=patient, by=acting_user(request), now=timezone.now())

    def done(enrolled: Patient) -> tuple[str, HttpResponse]:
        message = f"Patient enrolled as subject {enrolled.subject_id}."
        return message, redirect("patient_detail", patient_id=patient.pk)

    context = {"patient": patient}
    return _form_page(
        request, form, submit, template="trial/enrol_form.html", context=context, done=done
    )


@page
def patient_screen_fail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    form = ScreenFailForm(submitted(request))

    def submit() -> Patient:
        return screening.patient_screen_fail(
            patient=patient,
            reason=form.cleaned_data["reason"],
            detail=form.cleaned_data["detail"],
            by=acting_user(request),
        )

    context = {"patient": patient}
    return _form_page(
        request,
        form,
        submit,
        template="trial/screen_fail_form.html",
        context=context,
        done=_back_to(patient, "Screening closed as a screen failure."),
    )


def _history_page(
    request: HttpRequest, patient: Patient, title: str, sections: list[tuple[str, Any]]
) -> HttpResponse:
    context = {
        "patient": patient,
        "title": title,
        "tab": "history",
        "sections": [(heading, record_history(record)) for heading, record in sections],
    }
    return render(request, "trial/history.html", context)


@page
def patient_history(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    return _history_page(request, patient, "Screening log entry", [("Patient", patient)])


@page
def consent_history(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    consent = get_object_or_404(Consent, patient=patient)
    return _history_page(request, patient, "Informed consent", [("Consent", consent)])


@page
def baseline_history(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    baseline = get_object_or_404(Baseline, patient=patient)
    mutations = baseline.mutations.select_related("gene").order_by("gene__position", "gene__code")
    sections = [("Baseline", baseline), *((f"Mutation {m.gene.code}", m) for m in mutations)]
    return _history_page(request, patient, "Baseline record", sections)


@page
def eligibility_history(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    answers = patient.eligibility_answers.select_related("criterion").order_by(
        "criterion__position", "criterion__code"
    )
    sections = [(f"{a.criterion.code}: {a.criterion.text}", a) for a in answers]
    return _history_page(request, patient, "Eligibility checklist", sections)


urlpatterns: list[URLPattern] = [
    path("", home, name="home"),
    path("patients/", patient_list, name="patient_list"),
    path("patients/new/", patient_screen, name="patient_screen"),
    path("patients/<int:patient_id>/", patient_detail, name="patient_detail"),
    path("patients/<int:patient_id>/history/", patient_history, name="patient_history"),
    path("patients/<int:patient_id>/consent/", consent_edit, name="consent_edit"),
    path("patients/<int:patient_id>/consent/history/", consent_history, name="consent_history"),
    path("patients/<int:patient_id>/baseline/", baseline_edit, name="baseline_edit"),
    path("patients/<int:patient_id>/baseline/history/", baseline_history, name="baseline_history"),
    path("patients/<int:patient_id>/eligibility/", eligibility_edit, name="eligibility_edit"),
    path(
        "patients/<int:patient_id>/eligibility/history/",
        eligibility_history,
        name="eligibility_history",
    ),
    path(
        "patients/<int:patient_id>/eligibility/confirm/",
        eligibility_confirm,
        name="eligibility_confirm",
    ),
    path("patients/<int:patient_id>/enrol/", patient_enrol, name="patient_enrol"),
    path("patients/<int:patient_id>/screen-failure/", patient_screen_fail, name="screen_fail"),
]
