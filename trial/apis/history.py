"""API: the audit history of any clinical record of a patient."""

from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trial.apis.screening import HistoryEntrySerializer
from trial.selectors.history import clinical_record_get, clinical_record_types, record_history


class RecordHistoryApi(APIView):
    """History of one clinical record, newest first: who, when, field, old → new, reason.

    `record_type` is the record's model name, e.g. patient, consent, baseline, cycle,
    adverseevent, responseassessment, randomization, visit, death.
    """

    @extend_schema(tags=["history"], responses={200: HistoryEntrySerializer(many=True)})
    def get(self, request: Request, patient_id: int, record_type: str, pk: int) -> Response:
        record = clinical_record_get(
            user=request.user, patient_id=patient_id, record_type=record_type, pk=pk
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


urlpatterns: list[URLPattern] = [
    path("record-types/", RecordTypesApi.as_view(), name="api-record-types"),
    path(
        "patients/<int:patient_id>/records/<str:record_type>/<int:pk>/history/",
        RecordHistoryApi.as_view(),
        name="api-record-history",
    ),
]
