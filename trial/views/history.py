"""Pages: the audit history of any clinical record (who, when, what changed old → new, why)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from trial.access import acting_user
from trial.models import Patient
from trial.selectors.history import clinical_record_get, record_history


@login_required
def record_history_page(
    request: HttpRequest, patient_id: int, record_type: str, pk: int
) -> HttpResponse:
    user = acting_user(request)
    record = clinical_record_get(user=user, patient_id=patient_id, record_type=record_type, pk=pk)
    patient = Patient.objects.for_user(user).get(pk=patient_id)
    title = f"{str(record._meta.verbose_name).capitalize()} {record}"
    sections = [(title, record_history(record), False)]
    context = {"patient": patient, "title": title, "record": record, "sections": sections}
    return render(request, "trial/history.html", context)
