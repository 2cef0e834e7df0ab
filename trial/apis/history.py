"""API: the audit history of patients' records: the screening records by name, and any
clinical record by its kind and id."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trial.access import acting_user, patient_for
from trial.apis.common import HistoryEntrySerializer, baseline_of, consent_of
from trial.selectors import patients as patient_selectors
from trial.selectors.history import clinical_record_get, clinical_record_types, record_history

# --- history -----------------------------------------------------------------------------------

_HISTORY = {200: HistoryEntrySerializer(many=True)}


class PatientHistoryApi(APIView):
    """Who changed the patient's screening-log entry, when, what (old → new) and why."""

    @extend_schema(tags=["history"], responses=_HISTORY)
    def get(self, request: Request, patient_id: int) -> Response:
        patient = patient_for(request, patient_id)
        entries = patient_selectors.patient_history(patient=patient)
        return Response(HistoryEntrySerializer(entries, many=True).data)


class ConsentHistoryApi(APIView):
    @extend_schema(tags=["history"], responses=_HISTORY)
    def get(self, request: Request, patient_id: int) -> Response:
        consent = consent_of(patient_for(request, patient_id))
        entries = patient_selectors.histories_merged([("Consent", consent)])
        return Response(HistoryEntrySerializer(entries, many=True).data)


class BaselineHistoryApi(APIView):
    """The history of the baseline record and of its mutation results, newest first."""

    @extend_schema(tags=["history"], responses=_HISTORY)
    def get(self, request: Request, patient_id: int) -> Response:
        baseline = baseline_of(patient_for(request, patient_id))
        entries = patient_selectors.baseline_history(baseline=baseline)
        return Response(HistoryEntrySerializer(entries, many=True).data)


class EligibilityHistoryApi(APIView):
    """The histories of all the patient's eligibility answers, merged, newest first."""

    @extend_schema(tags=["history"], responses=_HISTORY)
    def get(self, request: Request, patient_id: int) -> Response:
        patient = patient_for(request, patient_id)
        entries = patient_selectors.eligibility_history(patient=patient)
        return Response(HistoryEntrySerializer(entries, many=True).data)


class RecordHistoryApi(APIView):
    """History of one clinical record, newest first: who, when, field, old → new, reason.

    `record_type` is the record's model name, e.g. patient, consent, baseline, cycle,
    adverseevent, responseassessment, randomization, visit, death.
    """

    @extend_schema(tags=["history"], responses={200: HistoryEntrySerializer(many=True)})
    def get(self, request: Request, patient_id: int, record_type: str, pk: int) -> Response:
        record = clinical_record_get(
            user=acting_user(request), patient_id=patient_id, record_type=record_type, pk=pk
        )
        entries = [{"record": str(record), "entry": e} for e in record_history(record)]
        return Response(HistoryEntrySerializer(entries, many=True).data)


class RecordTypesApi(APIView):
    """The kinds of clinical record whose history can be read."""

    @extend_schema(
        tags=["history"], responses={200: {"type": "array", "items": {"type": "string"}}}
    )
    def get(self, request: Request) -> Response:
        return Response(sorted(clinical_record_types()))  # a list of strings
