"""Pages of post-treatment follow-up: the coordinator's worklist, a patient's schedule, and the
forms to record a visit or a death. Patients come through `Patient.objects.for_user(...)`."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from followup import selectors
from followup.forms import (
    ContactAttemptForm,
    DeathForm,
    LossToFollowUpForm,
    VisitNotDoneForm,
    VisitRecordForm,
    WithdrawalForm,
)
from followup.models import Visit
from followup.services import records
from trial.access import patient_for
from trial.exceptions import ApplicationError
from trial.forms import service_errors_apply, submitted
from trial.models import Patient, User


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    visits = selectors.worklist_for_user(user=request.user, status=status)  # type: ignore[arg-type]
    return render(
        request,
        "followup/worklist.html",
        {"visits": visits, "status": status, "calendar": selectors.study_end_get()},
    )


@login_required
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    context: dict[str, Any] = {
        "patient": patient,
        "visits": selectors.patient_visits(patient=patient),
        "last_known_alive": selectors.last_known_alive(patient),
        "calendar": selectors.study_end_get(),
    }
    return render(request, "followup/patient.html", context)


@login_required
def visit_record(request: HttpRequest, patient_id: int, pk: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    visit = get_object_or_404(Visit.objects.filter(patient=patient), pk=pk)
    form = VisitRecordForm(submitted(request))
    if request.method == "POST" and form.is_valid():
        try:
            records.visit_record(
                visit=visit,
                by=cast(User, request.user),
                today=timezone.localdate(),
                **form.cleaned_data,
            )
        except (ValidationError, ApplicationError) as error:
            service_errors_apply(form, error)
        else:
            messages.success(request, f"Visit {visit.number} recorded.")
            return redirect("followup-patient", patient_id=patient.pk)
    return render(
        request, "followup/visit_form.html", {"patient": patient, "visit": visit, "form": form}
    )


@login_required
def death_record(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    save = partial(
        records.death_record,
        patient=patient,
        by=cast(User, request.user),
        today=timezone.localdate(),
    )
    form = DeathForm(submitted(request))
    done = "Death recorded; later visits are cancelled."
    return _record_page(request, patient, form, save, title="Record the death", done=done)


def _record_page(
    request: HttpRequest,
    patient: Patient,
    form: forms.Form,
    save: Callable[..., object],
    *,
    title: str,
    done: str,
) -> HttpResponse:
    """A follow-up record form: one service call with the cleaned data, errors on their fields."""
    if request.method == "POST" and form.is_valid():
        try:
            save(**form.cleaned_data)
        except (ValidationError, ApplicationError) as error:
            service_errors_apply(form, error)
        else:
            messages.success(request, done)
            return redirect("followup-patient", patient_id=patient.pk)
    context = {"patient": patient, "form": form, "title": title}
    return render(request, "followup/record_form.html", context)


@login_required
def visit_not_done(request: HttpRequest, patient_id: int, pk: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    visit = get_object_or_404(Visit.objects.filter(patient=patient), pk=pk)
    form = VisitNotDoneForm(submitted(request))
    save = partial(records.visit_not_done_record, visit=visit, by=cast(User, request.user))
    title, done = f"Visit {visit.number} not done", f"Visit {visit.number} recorded as not done."
    return _record_page(request, patient, form, save, title=title, done=done)


@login_required
def withdrawal_record(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    save = partial(
        records.withdrawal_record,
        patient=patient,
        by=cast(User, request.user),
        today=timezone.localdate(),
    )
    form = WithdrawalForm(submitted(request))
    done = "Withdrawal recorded; later visits are cancelled."
    return _record_page(request, patient, form, save, title="Withdrawal of consent", done=done)


@login_required
def contact_attempt_record(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    save = partial(
        records.contact_attempt_record,
        patient=patient,
        by=cast(User, request.user),
        today=timezone.localdate(),
    )
    form = ContactAttemptForm(submitted(request))
    return _record_page(
        request, patient, form, save, title="Contact attempt", done="Contact attempt recorded."
    )


@login_required
def loss_to_followup_declare(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    save = partial(
        records.loss_to_followup_declare,
        patient=patient,
        by=cast(User, request.user),
        today=timezone.localdate(),
    )
    form = LossToFollowUpForm(submitted(request))
    done = "Declared lost to follow-up; later visits are cancelled."
    return _record_page(request, patient, form, save, title="Lost to follow-up", done=done)
