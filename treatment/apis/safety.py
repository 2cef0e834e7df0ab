"""API: adverse events, SAE reports and their deadlines, the CTCAE reference list."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from treatment import services as services
from treatment.models import AdverseEvent, CtcaeTerm, Relatedness
from treatment.selectors import sae_alerts_undelivered, sae_overdue
from trial.access import acting_user, patient_for
from trial.api import ConfirmationField, OpenQueriesField, ReasonField
from trial.apis.common import patient_record
from trial.apis.idempotency import IDEMPOTENCY_KEY, IDEMPOTENCY_RESPONSES, idempotent
from trial.models import Patient

# --- adverse events -------------------------------------------------------------------------


class AdverseEventOutput(serializers.ModelSerializer[AdverseEvent]):
    term_label = serializers.CharField(read_only=True)
    patient_id = serializers.IntegerField(read_only=True)
    open_queries = OpenQueriesField()

    class Meta:
        model = AdverseEvent
        fields = [
            "id",
            "patient_id",
            "term",
            "term_text",
            "term_label",
            "grade",
            "start_date",
            "end_date",
            "relation_dexamethasone",
            "relation_salvage",
            "serious",
            "awareness_at",
            "report_due_at",
            "sponsor_notified_at",
            "reported_at",
            "entered_in_error",
            "open_queries",
        ]


class AdverseEventInput(serializers.Serializer[Any]):
    term = serializers.PrimaryKeyRelatedField(
        queryset=CtcaeTerm.objects.all(), allow_null=True, default=None
    )
    term_text = serializers.CharField(required=False, allow_blank=True, default="")
    grade = serializers.IntegerField(min_value=1, max_value=5)
    start_date = serializers.DateField()
    end_date = serializers.DateField(allow_null=True, default=None)
    relation_dexamethasone = serializers.ChoiceField(choices=Relatedness.choices)
    relation_salvage = serializers.ChoiceField(choices=Relatedness.choices)
    serious = serializers.BooleanField(default=False)
    awareness_at = serializers.DateTimeField(
        allow_null=True, default=None, help_text="When the site became aware; default now."
    )
    reason = ReasonField()


def _event_save(request: Request, patient: Patient, event: AdverseEvent | None) -> AdverseEvent:
    data = AdverseEventInput(data=request.data)
    data.is_valid(raise_exception=True)
    return services.adverse_event_record(
        patient=patient,
        event=event,
        by=acting_user(request),
        now=timezone.now(),
        **data.validated_data,
    )


class AdverseEventListApi(APIView):
    @extend_schema(
        responses=AdverseEventOutput(many=True), operation_id="patient_adverse_events_list"
    )
    def get(self, request: Request, patient_id: int) -> Response:
        rows = AdverseEvent.objects.filter(patient=patient_for(request, patient_id))
        rows = rows.select_related("term").order_by("start_date", "pk")
        return Response(AdverseEventOutput(rows, many=True).data)

    @extend_schema(
        request=AdverseEventInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: AdverseEventOutput, **IDEMPOTENCY_RESPONSES},
    )
    @idempotent("adverse_event_create")
    def post(self, request: Request, patient_id: int) -> Response:
        event = _event_save(request, patient_for(request, patient_id), None)
        return Response(AdverseEventOutput(event).data, status=201)


class AdverseEventDetailApi(APIView):
    @extend_schema(responses=AdverseEventOutput)
    def get(self, request: Request, patient_id: int, pk: int) -> Response:
        row = patient_record(AdverseEvent.objects.all(), patient_for(request, patient_id), pk)
        return Response(AdverseEventOutput(row).data)

    @extend_schema(request=AdverseEventInput, responses=AdverseEventOutput)
    def put(self, request: Request, patient_id: int, pk: int) -> Response:
        patient = patient_for(request, patient_id)
        row = patient_record(AdverseEvent.objects.all(), patient, pk)
        return Response(AdverseEventOutput(_event_save(request, patient, row)).data)


class SaeReportInput(serializers.Serializer[Any]):
    reported_at = serializers.DateTimeField(help_text="When the full SAE report was sent.")
    confirmation = ConfirmationField()


class SaeReportApi(APIView):
    @extend_schema(request=SaeReportInput, responses=AdverseEventOutput)
    def post(self, request: Request, patient_id: int, pk: int) -> Response:
        row = patient_record(AdverseEvent.objects.all(), patient_for(request, patient_id), pk)
        data = SaeReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.sae_report_record(
            event=row, by=acting_user(request), now=timezone.now(), **data.validated_data
        )
        return Response(AdverseEventOutput(event).data)


class SaeOverdueListApi(APIView):
    @extend_schema(responses=AdverseEventOutput(many=True))
    def get(self, request: Request) -> Response:
        rows = sae_overdue(user=acting_user(request), now=timezone.now())
        return Response(AdverseEventOutput(rows, many=True).data)


class SaeAlertUndeliveredOutput(AdverseEventOutput):
    alert_queued_at = serializers.DateTimeField(read_only=True, allow_null=True)
    alert_attempts = serializers.IntegerField(read_only=True, allow_null=True)
    alert_last_error = serializers.CharField(read_only=True, allow_null=True)

    class Meta(AdverseEventOutput.Meta):
        fields = [
            *AdverseEventOutput.Meta.fields,
            "alert_queued_at",
            "alert_attempts",
            "alert_last_error",
        ]


class SaeAlertUndeliveredListApi(APIView):
    @extend_schema(responses=SaeAlertUndeliveredOutput(many=True))
    def get(self, request: Request) -> Response:
        """Serious adverse events whose alert has not reached the sponsor yet, with the state of
        the alert in the outbox."""
        rows = sae_alerts_undelivered(user=acting_user(request))
        return Response(SaeAlertUndeliveredOutput(rows, many=True).data)


class CtcaeTermOutput(serializers.ModelSerializer[CtcaeTerm]):
    class Meta:
        model = CtcaeTerm
        fields = ["id", "term", "soc"]


class CtcaeTermListApi(APIView):
    @extend_schema(responses=CtcaeTermOutput(many=True))
    def get(self, request: Request) -> Response:
        rows = CtcaeTerm.objects.filter(active=True).order_by("term")
        return Response(CtcaeTermOutput(rows, many=True).data)
