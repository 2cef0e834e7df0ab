"""Pages: randomise (confirm → result, printable), corrections, reports, allocation lists."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from randomization import selectors, services
from randomization.forms import (
    AllocationListImportForm,
    RandomizationCorrectForm,
    RandomizeConfirmForm,
)
from randomization.models import AllocationList, Randomization
from trial.access import acting_user, patient_for
from trial.forms import service_errors_apply, submitted
from trial.models import Patient
from trial.pages import form_page, page, require_action
from trial.permissions import Action


def _result_url(patient: Patient) -> str:
    return reverse("randomization:result", kwargs={"patient_id": patient.pk})


@page
def patient_randomize(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Confirmation step (GET) then randomisation (POST); the result has its own page."""
    patient = patient_for(request, patient_id)
    if Randomization.objects.filter(patient=patient).exists():
        return redirect(_result_url(patient))
    require_action(request, Action.RANDOMIZE, patient.site)
    values = selectors.stratification_values(patient)
    return form_page(
        request,
        form=RandomizeConfirmForm(submitted(request)),
        submit=lambda: services.patient_randomize(
            patient=patient, by=acting_user(request), now=timezone.now()
        ),
        template="randomization/confirm.html",
        action=Action.RANDOMIZE,
        site=patient.site,
        success=lambda r: _("Randomised: %(number)s.") % {"number": r.randomization_number},
        next_url=_result_url(patient),
        context={
            "patient": patient,
            "labels": selectors.stratification_labels(values),
            "problems": selectors.randomization_problems(patient, values=values),
        },
    )


@page
def randomization_result(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The allocation and a printable confirmation."""
    patient = patient_for(request, patient_id)
    randomization = get_object_or_404(
        Randomization.objects.select_related("randomized_by", "allocation_list"), patient=patient
    )
    corrections = randomization.corrections.select_related("recorded_by").order_by("recorded_at")
    return render(
        request,
        "randomization/result.html",
        {"patient": patient, "r": randomization, "corrections": corrections},
    )


@page
def randomization_correct(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Sponsor administrator: record an error in a randomisation; the allocation stands."""
    patient = patient_for(request, patient_id)
    randomization = get_object_or_404(Randomization, patient=patient)
    require_action(request, Action.CORRECT_RANDOMIZATION, patient.site)
    form = RandomizationCorrectForm(submitted(request))
    return form_page(
        request,
        form=form,
        submit=lambda: services.randomization_correct(
            randomization=randomization,
            by=acting_user(request),
            now=timezone.now(),
            **form.cleaned_data,
        ),
        template="randomization/correct.html",
        action=Action.CORRECT_RANDOMIZATION,
        site=patient.site,
        success=_("Correction recorded; the allocation stands."),
        next_url=_result_url(patient),
        context={"patient": patient, "r": randomization},
    )


@page
def randomization_report(request: HttpRequest) -> HttpResponse:
    """Balance by arm × stratum × site and CONSORT allocation counts."""
    require_action(request, Action.VIEW_REPORTS)
    report = selectors.randomization_report(acting_user(request))
    return render(request, "randomization/report.html", {"report": report})


@page
def allocation_lists(request: HttpRequest) -> HttpResponse:
    """Allocation lists: statistician and sponsor administrator only."""
    require_action(request, Action.MANAGE_ALLOCATION)
    return render(
        request, "randomization/lists.html", {"lists": selectors.lists_for(acting_user(request))}
    )


@page
def allocation_list_detail(request: HttpRequest, list_id: int) -> HttpResponse:
    """One list: verification and used/unused slots per stratum (statistician and sponsor)."""
    require_action(request, Action.MANAGE_ALLOCATION)
    report = selectors.allocation_list_verify(get_object_or_404(AllocationList, pk=list_id))
    return render(request, "randomization/list_detail.html", {"report": report})


@page
def allocation_list_import(request: HttpRequest) -> HttpResponse:
    """Statistician and sponsor: check a list made outside the system (a dry run, whose report
    shows every problem with its row numbers and the balance of each stratum), then import the
    file that was checked. The list arrives inactive."""
    require_action(request, Action.MANAGE_ALLOCATION)
    form = AllocationListImportForm(submitted(request), request.FILES or None)
    report, confirmation = None, None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report = services.allocation_list_import_external(
                content=data["data"],
                code=data["code"],
                purpose=data["purpose"],
                stated_method=data["stated_method"],
                block_sizes=data["block_sizes"],
                balance_tolerance=data["balance_tolerance"],
                by=acting_user(request),
                now=timezone.now(),
                dry_run=not form.importing,
            )
        except ValidationError as error:
            service_errors_apply(form, error)
        else:
            if report.written:
                return redirect("randomization:list", list_id=report.allocation_list.pk)
            confirmation = form.confirmation(data["data"]) if report.ok else None
    context = {"form": form, "report": report, "confirmation": confirmation}
    return render(request, "randomization/list_import.html", context)
