"""Pages: an investigator's treatment-period entry and sign-off, and the overdue SAE list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from randomization.models import Randomization
from treatment import services
from treatment.forms import (
    AdverseEventForm,
    CycleForm,
    EndOfTreatmentForm,
    RelapseForm,
    RelapseWithdrawForm,
    ResponseForm,
    SaeReportForm,
    SignForm,
    TransplantForm,
)
from treatment.models import (
    AdverseEvent,
    Cycle,
    EndOfTreatment,
    RelapseFoundAt,
    Response,
    ResponseAssessment,
    Transplant,
)
from treatment.selectors import (
    aza_response_due_patients,
    first_remission,
    patient_treatment,
    relapse_of,
    sae_alerts_undelivered,
    sae_overdue,
)
from trial.access import acting_user, patient_for
from trial.forms import submitted
from trial.models import Patient
from trial.pages import form_page, page
from trial.permissions import Action


def _randomization(patient: Patient) -> Randomization:
    return get_object_or_404(Randomization, patient=patient)


def _timeline_url(patient: Patient) -> str:
    return reverse("treatment:timeline", kwargs={"patient_id": patient.pk})


def _entry_page(
    request: HttpRequest,
    *,
    patient: Patient,
    form: forms.Form,
    title: str,
    save: Callable[[forms.Form], object],
    success: str,
    action: Action = Action.ENTER_TREATMENT,
    once: bool = False,
    record: object = None,
    submit_label: str = "",
) -> HttpResponse:
    """A treatment-period form on the shared form page, back to the timeline once saved; a new
    record (`once`) is not created twice by the same rendered form submitted again; the record
    being corrected, if any, shows its open data queries."""
    return form_page(
        request,
        form=form,
        submit=lambda: save(form),
        template="treatment/form.html",
        action=action,
        site=patient.site,
        success=success,
        next_url=_timeline_url(patient),
        context={
            "patient": patient,
            "title": title,
            "record": record,
            "submit_label": submit_label,
        },
        once=once,
    )


@page
def treatment_timeline(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    timeline = patient_treatment(patient=patient, now=timezone.now())
    return render(request, "treatment/timeline.html", {"t": timeline, "patient": patient})


@page
def cycle_edit(request: HttpRequest, patient_id: int, pk: int | None = None) -> HttpResponse:
    patient = patient_for(request, patient_id)
    cycle = get_object_or_404(Cycle, patient=patient, pk=pk) if pk else None
    initial = CycleForm.initial_from(cycle) if cycle else {}
    randomization, today = _randomization(patient), timezone.localdate()
    form = CycleForm(
        submitted(request),
        initial=initial,
        randomization=randomization,
        cycle=cycle,
        regimen=request.GET.get("regimen"),
        editing=cycle is not None,
        rules=lambda values: services.cycle_form_errors(
            patient=patient, randomization=randomization, cycle=cycle, today=today, values=values
        ),
    )
    form.reload_on_regimen(request.path)
    if request.method == "GET" and "regimen" in request.GET:
        form.entered_so_far(request.GET)
    title = _("Correct cycle %(number)s") % {"number": cycle.number} if cycle else _("New cycle")

    def save(f: forms.Form) -> object:
        assert isinstance(f, CycleForm)
        return services.cycle_record(
            patient=patient,
            cycle=cycle,
            by=acting_user(request),
            now=timezone.now(),
            **f.service_kwargs(),
        )

    return _entry_page(
        request,
        patient=patient,
        form=form,
        title=title,
        save=save,
        success=_("Cycle saved."),
        once=cycle is None,
        record=cycle,
    )


@page
def response_edit(request: HttpRequest, patient_id: int, pk: int | None = None) -> HttpResponse:
    patient = patient_for(request, patient_id)
    row = get_object_or_404(ResponseAssessment, patient=patient, pk=pk) if pk else None
    initial = (
        {n: getattr(row, n) for n in ("assessment_date", "response", "marrow_blast_pct", "comment")}
        if row
        else {}
    )
    relapse = relapse_of(patient)
    if row is not None and row.response == Response.RELAPSE and relapse is not None:
        names = ("peripheral_blood", "extramedullary", "extramedullary_site")
        initial.update({n: getattr(relapse, n) for n in names})
    today = timezone.localdate()
    form = ResponseForm(
        submitted(request),
        initial=initial,
        editing=row is not None,
        rules=lambda values: services.response_form_errors(
            patient=patient, assessment=row, today=today, values=values
        ),
    )

    def save(f: forms.Form) -> object:
        return services.response_record(
            patient=patient,
            assessment=row,
            by=acting_user(request),
            now=timezone.now(),
            **f.cleaned_data,
        )

    title = _("Correct response assessment") if row else _("New response assessment")
    return _entry_page(
        request,
        patient=patient,
        form=form,
        title=title,
        save=save,
        success=_("Response saved."),
        once=row is None,
        record=row,
    )


@page
def adverse_event_edit(
    request: HttpRequest, patient_id: int, pk: int | None = None
) -> HttpResponse:
    patient = patient_for(request, patient_id)
    row = get_object_or_404(AdverseEvent, patient=patient, pk=pk) if pk else None
    initial = AdverseEventForm.initial_from(row) if row else {}
    now = timezone.now()
    form = AdverseEventForm(
        submitted(request),
        initial=initial,
        editing=row is not None,
        rules=lambda values: services.adverse_event_form_errors(
            patient=patient, now=now, values=values
        ),
    )

    def save(f: forms.Form) -> object:
        return services.adverse_event_record(
            patient=patient,
            event=row,
            by=acting_user(request),
            now=timezone.now(),
            **f.cleaned_data,
        )

    title = _("Correct adverse event") if row else _("New adverse event")
    return _entry_page(
        request,
        patient=patient,
        form=form,
        title=title,
        save=save,
        success=_("Adverse event saved."),
        once=row is None,
        record=row,
    )


@page
def sae_report(request: HttpRequest, patient_id: int, pk: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    row = get_object_or_404(AdverseEvent, patient=patient, pk=pk)
    form = SaeReportForm(submitted(request))

    def save(f: forms.Form) -> object:
        return services.sae_report_record(
            event=row, by=acting_user(request), now=timezone.now(), **f.cleaned_data
        )

    return _entry_page(
        request,
        patient=patient,
        form=form,
        title=_("SAE report sent: %(term)s") % {"term": row.term_label},
        save=save,
        success=_("SAE report recorded."),
        record=row,
    )


@page
def transplant_edit(request: HttpRequest, patient_id: int, pk: int | None = None) -> HttpResponse:
    patient = patient_for(request, patient_id)
    row = get_object_or_404(Transplant, patient=patient, pk=pk) if pk else None
    names = ("transplant_date", "donor_type", "disease_status", "comment")
    randomization, today = _randomization(patient), timezone.localdate()
    form = TransplantForm(
        submitted(request),
        initial={n: getattr(row, n) for n in names} if row else {},
        editing=row is not None,
        rules=lambda values: services.transplant_errors(
            randomization=randomization, today=today, transplant_date=values.get("transplant_date")
        ),
    )

    def save(f: forms.Form) -> object:
        return services.transplant_record(
            patient=patient,
            transplant=row,
            by=acting_user(request),
            now=timezone.now(),
            **f.cleaned_data,
        )

    title = _("Correct transplant") if row else _("Allogeneic stem-cell transplant")
    return _entry_page(
        request,
        patient=patient,
        form=form,
        title=title,
        save=save,
        success=_("Transplant saved."),
        once=row is None,
        record=row,
    )


@page
def end_of_treatment_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    row = EndOfTreatment.objects.filter(patient=patient).first()
    initial = (
        {"end_date": row.end_date, "end_reason": row.reason, "comment": row.comment} if row else {}
    )
    # Progression after CR/CRi is a relapse: the form asks for it in the same entry, rather
    # than refusing and sending the investigator to another page.
    ask_relapse = relapse_of(patient) is None and first_remission(patient) is not None
    randomization, today = _randomization(patient), timezone.localdate()
    form = EndOfTreatmentForm(
        submitted(request),
        initial=initial,
        ask_relapse=ask_relapse,
        editing=row is not None,
        rules=lambda values: services.end_of_treatment_form_errors(
            randomization=randomization, today=today, values=values
        ),
    )

    def save(f: forms.Form) -> object:
        assert isinstance(f, EndOfTreatmentForm)
        return services.end_of_treatment_record(
            patient=patient, by=acting_user(request), now=timezone.now(), **f.service_kwargs()
        )

    return _entry_page(
        request,
        patient=patient,
        form=form,
        title=_("End of treatment"),
        save=save,
        success=_("End of treatment saved; post-treatment follow-up starts."),
        record=row,
    )


@page
def relapse_edit(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Record the patient's relapse after CR/CRi, or correct it with a reason."""
    patient = patient_for(request, patient_id)
    row = relapse_of(patient)
    initial = {**RelapseForm.relapse_initial(row), "comment": row.comment} if row else {}
    today = timezone.localdate()
    form = RelapseForm(
        submitted(request),
        initial=initial,
        editing=row is not None,
        rules=lambda values: services.relapse_form_errors(
            patient=patient, today=today, values=values
        ),
    )

    def save(f: forms.Form) -> object:
        assert isinstance(f, RelapseForm)
        d = f.cleaned_data
        return services.relapse_record(
            patient=patient,
            relapse=row,
            relapse_date=d["relapse_date"],
            finding=f.relapse_finding(),
            found_at=RelapseFoundAt.RELAPSE_FORM,
            comment=d["comment"],
            reason=d.get("reason", ""),
            by=acting_user(request),
            now=timezone.now(),
        )

    return _entry_page(
        request,
        patient=patient,
        form=form,
        title=_("Correct the relapse") if row else _("Relapse after CR/CRi"),
        save=save,
        success=_("Relapse saved."),
        action=Action.RECORD_RELAPSE,
    )


@page
def relapse_withdraw(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Mark the patient's relapse record as entered in error."""
    patient = patient_for(request, patient_id)
    row = relapse_of(patient)
    if row is None:
        raise Http404("No relapse is recorded for this patient.")
    form = RelapseWithdrawForm(submitted(request))

    def save(f: forms.Form) -> object:
        return services.relapse_withdraw(
            relapse=row, by=acting_user(request), now=timezone.now(), **f.cleaned_data
        )

    return _entry_page(
        request,
        patient=patient,
        form=form,
        title=_("Relapse of %(date)s entered in error") % {"date": f"{row.relapse_date:%Y-%m-%d}"},
        save=save,
        success=_("Relapse marked as entered in error."),
        action=Action.RECORD_RELAPSE,
    )


@page
def treatment_sign(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = patient_for(request, patient_id)
    form = SignForm(submitted(request))

    def save(f: forms.Form) -> object:
        return services.treatment_sign(
            patient=patient, by=acting_user(request), now=timezone.now(), **f.cleaned_data
        )

    return _entry_page(
        request,
        patient=patient,
        form=form,
        title=_("Sign the treatment-period records"),
        save=save,
        success=_("Treatment-period records signed."),
        action=Action.SIGN,
        submit_label=_("Sign"),
    )


@page
def safety_overdue(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    context: dict[str, Any] = {
        "events": sae_overdue(user=user, now=timezone.now()),
        "undelivered": sae_alerts_undelivered(user=user),
        "aza_due": aza_response_due_patients(user=user),
    }
    return render(request, "treatment/overdue.html", context)
