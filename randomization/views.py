"""Pages: randomise (confirm → result, printable), corrections, reports, allocation lists."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from randomization import selectors, services
from randomization.forms import (
    AllocationListImportForm,
    RandomizationCorrectForm,
    RandomizeConfirmForm,
)
from randomization.models import AllocationList, Randomization
from trial.access import acting_user, patient_for
from trial.exceptions import ApplicationError
from trial.forms import service_errors_apply, submitted
from trial.permissions import Action


def _error_messages(error: Exception) -> list[str]:
    if isinstance(error, ApplicationError):
        return [error.message]
    assert isinstance(error, ValidationError)
    return list(error.messages)


@login_required
def patient_randomize(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Confirmation step (GET) then randomisation (POST); the result has its own page."""
    patient = patient_for(request, patient_id)
    if Randomization.objects.filter(patient=patient).exists():
        return redirect("randomization:result", patient_id=patient.pk)
    if not acting_user(request).can(Action.RANDOMIZE, patient.site):
        raise DjangoPermissionDenied
    form = RandomizeConfirmForm(request.POST or None)
    errors: list[str] = []
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_randomize(patient=patient, by=acting_user(request), now=timezone.now())
        except (ApplicationError, ValidationError) as error:
            errors = _error_messages(error)
            status = getattr(error, "status", 400)
        else:
            return redirect("randomization:result", patient_id=patient.pk)
    values = selectors.stratification_values(patient)
    context = {
        "patient": patient,
        "form": form,
        "errors": errors,
        "labels": selectors.stratification_labels(values),
        "problems": selectors.randomization_problems(patient, values=values),
    }
    return render(request, "randomization/confirm.html", context, status=status)


@login_required
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


@login_required
def randomization_correct(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Sponsor administrator: record an error in a randomisation; the allocation stands."""
    patient = patient_for(request, patient_id)
    randomization = get_object_or_404(Randomization, patient=patient)
    if not acting_user(request).can(Action.CORRECT_RANDOMIZATION, patient.site):
        raise DjangoPermissionDenied
    form = RandomizationCorrectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.randomization_correct(
                randomization=randomization,
                by=acting_user(request),
                now=timezone.now(),
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("randomization:result", patient_id=patient.pk)
    return render(
        request,
        "randomization/correct.html",
        {"patient": patient, "r": randomization, "form": form},
    )


@login_required
def randomization_report(request: HttpRequest) -> HttpResponse:
    """Balance by arm × stratum × site and CONSORT allocation counts."""
    if not acting_user(request).can(Action.VIEW_REPORTS):
        raise DjangoPermissionDenied
    report = selectors.randomization_report(acting_user(request))
    return render(request, "randomization/report.html", {"report": report})


@login_required
def allocation_lists(request: HttpRequest) -> HttpResponse:
    """Allocation lists: statistician and sponsor administrator only."""
    if not acting_user(request).can(Action.MANAGE_ALLOCATION):
        raise DjangoPermissionDenied
    return render(
        request, "randomization/lists.html", {"lists": selectors.lists_for(acting_user(request))}
    )


@login_required
def allocation_list_detail(request: HttpRequest, list_id: int) -> HttpResponse:
    """One list: verification and used/unused slots per stratum (statistician and sponsor)."""
    if not acting_user(request).can(Action.MANAGE_ALLOCATION):
        raise DjangoPermissionDenied
    report = selectors.allocation_list_verify(get_object_or_404(AllocationList, pk=list_id))
    return render(request, "randomization/list_detail.html", {"report": report})


@login_required
def allocation_list_import(request: HttpRequest) -> HttpResponse:
    """Statistician and sponsor: check a list made outside the system (a dry run, whose report
    shows every problem with its row numbers and the balance of each stratum), then import the
    file that was checked. The list arrives inactive."""
    if not acting_user(request).can(Action.MANAGE_ALLOCATION):
        raise DjangoPermissionDenied
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
