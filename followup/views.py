"""Pages of post-treatment follow-up: the coordinator's worklist, a patient's schedule, and the
forms to record a visit or a death. Patients come through `Patient.objects.for_user(...)`."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
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
from randomization.selectors import study_end_get
from treatment.selectors import disease_course
from trial.access import acting_user, patient_for
from trial.forms import submitted
from trial.models import Patient
from trial.pages import form_page, page
from trial.permissions import Action


def _patient_url(patient: Patient) -> str:
    return reverse("followup:patient", kwargs={"patient_id": patient.pk})


@page
def worklist(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    visits = selectors.worklist_for_user(user=acting_user(request), status=status)
    return render(
        request,
        "followup/worklist.html",
        {"visits": visits, "status": status, "calendar": study_end_get()},
    )


@page
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    context: dict[str, Any] = {
        "patient": patient,
        "course": disease_course(patient),
        "visits": selectors.patient_visits(patient=patient),
        "last_known_alive": selectors.last_known_alive(patient),
        "calendar": study_end_get(),
    }
    return render(request, "followup/patient.html", context)


@page
def visit_record(request: HttpRequest, patient_id: int, pk: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    visit = get_object_or_404(Visit.objects.filter(patient=patient), pk=pk)
    today = timezone.localdate()
    form = VisitRecordForm(
        submitted(request),
        rules=lambda values: records.visit_form_errors(visit=visit, today=today, values=values),
    )
    return form_page(
        request,
        form=form,
        submit=lambda: records.visit_record(
            visit=visit,
            by=acting_user(request),
            today=today,
            now=timezone.now(),
            **form.relapse_kwargs(),
        ),
        template="followup/visit_form.html",
        action=Action.ENTER_FOLLOWUP,
        site=patient.site,
        success=f"Visit {visit.number} recorded.",
        next_url=_patient_url(patient),
        context={"patient": patient, "visit": visit, "course": disease_course(patient)},
    )


@page
def death_record(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    save = partial(
        records.death_record,
        patient=patient,
        by=acting_user(request),
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
    """A follow-up record form on the shared form page: one service call with the cleaned data."""
    return form_page(
        request,
        form=form,
        submit=lambda: save(**form.cleaned_data),
        template="followup/record_form.html",
        action=Action.ENTER_FOLLOWUP,
        site=patient.site,
        success=done,
        next_url=_patient_url(patient),
        context={"patient": patient, "title": title},
    )


@page
def visit_not_done(request: HttpRequest, patient_id: int, pk: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    visit = get_object_or_404(Visit.objects.filter(patient=patient), pk=pk)
    form = VisitNotDoneForm(submitted(request))
    save = partial(records.visit_not_done_record, visit=visit, by=acting_user(request))
    title, done = f"Visit {visit.number} not done", f"Visit {visit.number} recorded as not done."
    return _record_page(request, patient, form, save, title=title, done=done)


@page
def withdrawal_record(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    save = partial(
        records.withdrawal_record,
        patient=patient,
        by=acting_user(request),
        today=timezone.localdate(),
    )
    form = WithdrawalForm(submitted(request))
    done = "Withdrawal recorded; later visits are cancelled."
    return _record_page(request, patient, form, save, title="Withdrawal of consent", done=done)


@page
def contact_attempt_record(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    save = partial(
        records.contact_attempt_record,
        patient=patient,
        by=acting_user(request),
        today=timezone.localdate(),
    )
    form = ContactAttemptForm(submitted(request))
    return _record_page(
        request, patient, form, save, title="Contact attempt", done="Contact attempt recorded."
    )


@page
def loss_to_followup_declare(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    save = partial(
        records.loss_to_followup_declare,
        patient=patient,
        by=acting_user(request),
        today=timezone.localdate(),
    )
    form = LossToFollowUpForm(submitted(request))
    done = "Declared lost to follow-up; later visits are cancelled."
    return _record_page(request, patient, form, save, title="Lost to follow-up", done=done)
