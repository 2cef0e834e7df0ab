"""Pages: an investigator's treatment-period entry and sign-off, and the overdue SAE list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from randomization.models import Randomization
from trial.access import acting_user, patient_for
from trial.exceptions import ApplicationError, PermissionDenied
from trial.forms import service_errors_apply, submitted
from trial.forms.treatment import (
    AdverseEventForm,
    CycleForm,
    EndOfTreatmentForm,
    ResponseForm,
    SaeReportForm,
    SignForm,
    TransplantForm,
)
from trial.models import (
    AdverseEvent,
    Cycle,
    EndOfTreatment,
    Patient,
    ResponseAssessment,
    Transplant,
)
from trial.selectors.treatment import aza_response_due_patients, patient_treatment, sae_overdue
from trial.services import treatment as services


def _randomization(patient: Patient) -> Randomization:
    return get_object_or_404(Randomization, patient=patient)


def _timeline_url(patient: Patient) -> str:
    return reverse("treatment", kwargs={"patient_id": patient.pk})


def _form_page(
    request: HttpRequest,
    *,
    patient: Patient,
    form: forms.Form,
    title: str,
    save: Callable[[forms.Form], object],
    success: str,
) -> HttpResponse:
    """Render the form; on a valid POST make the one service call and go back to the timeline."""
    if request.method == "POST" and form.is_valid():
        try:
            save(form)
        except ValidationError as error:
            service_errors_apply(form, error)
        except PermissionDenied as error:
            return render(request, "trial/treatment/refused.html", {"message": error}, status=403)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, success)
            return redirect(_timeline_url(patient))
    context = {"patient": patient, "form": form, "title": title}
    return render(request, "trial/treatment/form.html", context, status=200)


@login_required
def treatment_timeline(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    timeline = patient_treatment(patient=patient, now=timezone.now())
    return render(request, "trial/treatment/timeline.html", {"t": timeline, "patient": patient})


@login_required
def cycle_edit(request: HttpRequest, patient_id: int, pk: int | None = None) -> HttpResponse:
    patient = patient_for(request, patient_id)
    cycle = get_object_or_404(Cycle, patient=patient, pk=pk) if pk else None
    initial = CycleForm.initial_from(cycle) if cycle else {}
    form = CycleForm(
        submitted(request),
        initial=initial,
        randomization=_randomization(patient),
        cycle=cycle,
    )
    title = f"Correct cycle {cycle.number}" if cycle else "New cycle"

    def save(f: forms.Form) -> object:
        assert isinstance(f, CycleForm)
        return services.cycle_record(
            patient=patient,
            cycle=cycle,
            by=acting_user(request),
            now=timezone.now(),
            **f.service_kwargs(),
        )

    return _form_page(
        request, patient=patient, form=form, title=title, save=save, success="Cycle saved."
    )


@login_required
def response_edit(request: HttpRequest, patient_id: int, pk: int | None = None) -> HttpResponse:
    patient = patient_for(request, patient_id)
    row = get_object_or_404(ResponseAssessment, patient=patient, pk=pk) if pk else None
    initial = (
        {n: getattr(row, n) for n in ("assessment_date", "response", "marrow_blast_pct", "comment")}
        if row
        else {}
    )
    form = ResponseForm(submitted(request), initial=initial)

    def save(f: forms.Form) -> object:
        return services.response_record(
            patient=patient,
            assessment=row,
            by=acting_user(request),
            now=timezone.now(),
            **f.cleaned_data,
        )

    title = "Correct response assessment" if row else "New response assessment"
    return _form_page(
        request, patient=patient, form=form, title=title, save=save, success="Response saved."
    )


@login_required
def adverse_event_edit(
    request: HttpRequest, patient_id: int, pk: int | None = None
) -> HttpResponse:
    patient = patient_for(request, patient_id)
    row = get_object_or_404(AdverseEvent, patient=patient, pk=pk) if pk else None
    initial = AdverseEventForm.initial_from(row) if row else {}
    form = AdverseEventForm(submitted(request), initial=initial)

    def save(f: forms.Form) -> object:
        return services.adverse_event_record(
            patient=patient,
            event=row,
            by=acting_user(request),
            now=timezone.now(),
            **f.cleaned_data,
        )

    title = "Correct adverse event" if row else "New adverse event"
    return _form_page(
        request, patient=patient, form=form, title=title, save=save, success="Adverse event saved."
    )


@login_required
def sae_report(request: HttpRequest, patient_id: int, pk: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    row = get_object_or_404(AdverseEvent, patient=patient, pk=pk)
    form = SaeReportForm(submitted(request))

    def save(f: forms.Form) -> object:
        return services.sae_report_record(
            event=row, by=acting_user(request), now=timezone.now(), **f.cleaned_data
        )

    return _form_page(
        request,
        patient=patient,
        form=form,
        title=f"SAE report sent: {row.term_label}",
        save=save,
        success="SAE report recorded.",
    )


@login_required
def transplant_edit(request: HttpRequest, patient_id: int, pk: int | None = None) -> HttpResponse:
    patient = patient_for(request, patient_id)
    row = get_object_or_404(Transplant, patient=patient, pk=pk) if pk else None
    names = ("transplant_date", "donor_type", "disease_status", "comment")
    form = TransplantForm(
        submitted(request), initial={n: getattr(row, n) for n in names} if row else {}
    )

    def save(f: forms.Form) -> object:
        return services.transplant_record(
            patient=patient,
            transplant=row,
            by=acting_user(request),
            now=timezone.now(),
            **f.cleaned_data,
        )

    title = "Correct transplant" if row else "Allogeneic stem-cell transplant"
    return _form_page(
        request, patient=patient, form=form, title=title, save=save, success="Transplant saved."
    )


@login_required
def end_of_treatment_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    row = EndOfTreatment.objects.filter(patient=patient).first()
    initial = (
        {"end_date": row.end_date, "end_reason": row.reason, "comment": row.comment} if row else {}
    )
    form = EndOfTreatmentForm(submitted(request), initial=initial)

    def save(f: forms.Form) -> object:
        return services.end_of_treatment_record(
            patient=patient, by=acting_user(request), now=timezone.now(), **f.cleaned_data
        )

    return _form_page(
        request,
        patient=patient,
        form=form,
        title="End of treatment",
        save=save,
        success="End of treatment saved; post-treatment follow-up starts.",
    )


@login_required
def treatment_sign(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    form = SignForm(submitted(request))

    def save(f: forms.Form) -> object:
        return services.treatment_sign(
            patient=patient, by=acting_user(request), now=timezone.now(), **f.cleaned_data
        )

    return _form_page(
        request,
        patient=patient,
        form=form,
        title="Sign the treatment-period records",
        save=save,
        success="Treatment-period records signed.",
    )


@login_required
def safety_overdue(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    context: dict[str, Any] = {
        "events": sae_overdue(user=user, now=timezone.now()),
        "aza_due": aza_response_due_patients(user=user),
    }
    return render(request, "trial/treatment/overdue.html", context)


_P = "patients/<int:patient_id>/treatment"
urlpatterns: list[URLPattern] = [
    path(f"{_P}/", treatment_timeline, name="treatment"),
    path(f"{_P}/cycles/new/", cycle_edit, name="treatment-cycle-new"),
    path(f"{_P}/cycles/<int:pk>/edit/", cycle_edit, name="treatment-cycle-edit"),
    path(f"{_P}/responses/new/", response_edit, name="treatment-response-new"),
    path(f"{_P}/responses/<int:pk>/edit/", response_edit, name="treatment-response-edit"),
    path(f"{_P}/adverse-events/new/", adverse_event_edit, name="treatment-ae-new"),
    path(f"{_P}/adverse-events/<int:pk>/edit/", adverse_event_edit, name="treatment-ae-edit"),
    path(f"{_P}/adverse-events/<int:pk>/report/", sae_report, name="treatment-sae-report"),
    path(f"{_P}/transplants/new/", transplant_edit, name="treatment-transplant-new"),
    path(f"{_P}/transplants/<int:pk>/edit/", transplant_edit, name="treatment-transplant-edit"),
    path(f"{_P}/end/", end_of_treatment_edit, name="treatment-end"),
    path(f"{_P}/sign/", treatment_sign, name="treatment-sign"),
    path("safety/overdue/", safety_overdue, name="safety-overdue"),
]
