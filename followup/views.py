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
from django.utils.translation import gettext as _

from followup import selectors
from followup.forms import (
    ContactAttemptForm,
    DeathForm,
    LossToFollowUpForm,
    VisitNotDoneForm,
    VisitRecordForm,
    WithdrawalForm,
)
from followup.models import Visit, VisitStatus
from followup.services import records
from randomization.selectors import study_end_get
from treatment.selectors import disease_course
from trial.access import acting_user, patient_for
from trial.forms import submitted
from trial.models import Death, LossToFollowUp, Patient, Site, Withdrawal
from trial.pages import form_page, page
from trial.permissions import Action


def _patient_url(patient: Patient) -> str:
    return reverse("followup:patient", kwargs={"patient_id": patient.pk})


@page
def worklist(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    status = request.GET.get("status") or None
    site_code = request.GET.get("site") or None
    visits = selectors.worklist_for_user(user=user, status=status, site_code=site_code)
    recordable = user.site_ids_for(Action.ENTER_FOLLOWUP)
    rows = [(v, recordable is None or v.patient.site_id in recordable) for v in visits]
    context = {
        "rows": rows,
        "status": status,
        "site_code": site_code,
        "sites": _sites(user),
        "calendar": study_end_get(),
    }
    return render(request, "followup/worklist.html", context)


def _sites(user: Any) -> list[Site]:
    site_ids = user.site_ids_for(Action.VIEW)
    sites = Site.objects.order_by("code")
    return list(sites if site_ids is None else sites.filter(pk__in=site_ids))


@page
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    context: dict[str, Any] = {
        "patient": patient,
        "course": disease_course(patient),
        "visits": selectors.patient_visits(patient=patient),
        "last_known_alive": selectors.last_known_alive(patient),
        "death": Death.objects.filter(patient=patient, entered_in_error=False).first(),
        "withdrawal": Withdrawal.objects.filter(patient=patient, entered_in_error=False).first(),
        "loss_to_followup": LossToFollowUp.objects.filter(
            patient=patient, entered_in_error=False
        ).first(),
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
        initial=_visit_initial(visit),
        editing=visit.status == VisitStatus.DONE,
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
        success=_("Visit %(number)s recorded.") % {"number": visit.number},
        next_url=_patient_url(patient),
        context={
            "patient": patient,
            "visit": visit,
            "record": visit,
            "course": disease_course(patient),
        },
        once=True,
    )


# The relapse a visit reports is its own record, corrected on its own page (docs/protocol.md
# "Relapse"): its fields open empty here.
_VISIT_ENTRY = (
    "contact_date",
    "vital_status",
    "disease_status",
    "new_treatment",
    "new_treatment_detail",
    "transplant",
    "transplant_date",
)


def _visit_initial(visit: Visit) -> dict[str, Any]:
    """A visit already recorded as done opens with its values, to be corrected with a reason."""
    if visit.status != VisitStatus.DONE:
        return {}
    return {name: getattr(visit, name) for name in _VISIT_ENTRY}


def _current(
    model: type[Death] | type[Withdrawal], patient: Patient, form: type[forms.Form]
) -> dict[str, Any]:
    """The patient's death or withdrawal as recorded: a correction starts from its values (the
    reason for change excepted)."""
    record = model.objects.filter(patient=patient).first()
    if record is None:
        return {}
    return {name: getattr(record, name) for name in form.base_fields if name != "reason"}


@page
def death_record(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    save = partial(
        records.death_record,
        patient=patient,
        by=acting_user(request),
        today=timezone.localdate(),
    )
    form = DeathForm(
        submitted(request),
        initial=_current(Death, patient, DeathForm),
        editing=Death.objects.filter(patient=patient).exists(),
    )
    done = _("Death recorded; later visits are cancelled.")
    return _record_page(request, patient, form, save, title=_("Record the death"), done=done)


def _record_page(
    request: HttpRequest,
    patient: Patient,
    form: forms.Form,
    save: Callable[..., object],
    *,
    title: str,
    done: str,
    once: bool = False,
) -> HttpResponse:
    """A follow-up record form on the shared form page: one service call with the cleaned data
    (`once`: not made twice by the same rendered form submitted again)."""
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
        once=once,
    )


@page
def visit_not_done(request: HttpRequest, patient_id: int, pk: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    visit = get_object_or_404(Visit.objects.filter(patient=patient), pk=pk)
    initial = {"not_done_reason": visit.not_done_reason}
    form = VisitNotDoneForm(submitted(request), initial=initial)
    save = partial(records.visit_not_done_record, visit=visit, by=acting_user(request))
    number = {"number": visit.number}
    title = _("Visit %(number)s not done") % number
    done = _("Visit %(number)s recorded as not done.") % number
    return _record_page(request, patient, form, save, title=title, done=done, once=True)


@page
def withdrawal_record(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    save = partial(
        records.withdrawal_record,
        patient=patient,
        by=acting_user(request),
        today=timezone.localdate(),
    )
    form = WithdrawalForm(submitted(request), initial=_current(Withdrawal, patient, WithdrawalForm))
    done = _("Withdrawal recorded; later visits are cancelled.")
    title = _("Withdrawal of consent")
    return _record_page(request, patient, form, save, title=title, done=done)


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
        request,
        patient,
        form,
        save,
        title=_("Contact attempt"),
        done=_("Contact attempt recorded."),
        once=True,
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
    done = _("Declared lost to follow-up; later visits are cancelled.")
    title = _("Lost to follow-up")
    return _record_page(request, patient, form, save, title=title, done=done)
