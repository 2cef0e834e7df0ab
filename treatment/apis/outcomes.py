"""API: responses, transplant, end of treatment and protocol deviations."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from treatment import services as services
from treatment.apis.relapse import RelapseFindingFields, finding_pop
from treatment.models import (
    DonorType,
    EndOfTreatment,
    EndOfTreatmentReason,
    ProtocolDeviation,
    ResponseAssessment,
    Transplant,
    TransplantDiseaseStatus,
)
from treatment.models import Response as ResponseCategory
from trial.access import acting_user, patient_for
from trial.api import ConfirmationField, OpenQueriesField, ReasonField
from trial.apis.common import patient_record
from trial.models import Patient

# --- responses ------------------------------------------------------------------------------


class ResponseOutput(serializers.ModelSerializer[ResponseAssessment]):
    cycle_number = serializers.IntegerField(source="cycle.number", read_only=True)
    open_queries = OpenQueriesField()

    class Meta:
        model = ResponseAssessment
        fields = [
            "id",
            "assessment_date",
            "response",
            "marrow_blast_pct",
            "cycle_number",
            "comment",
            "entered_in_error",
            "open_queries",
        ]


class ResponseInput(serializers.Serializer[Any]):
    assessment_date = serializers.DateField()
    response = serializers.ChoiceField(
        choices=ResponseCategory.choices,
        help_text="REL (relapse after CR/CRi) records the patient's relapse: ≥ 5% marrow blasts, "
        "or blasts in the peripheral blood, or extramedullary disease (ELN 2017).",
    )
    marrow_blast_pct = serializers.DecimalField(
        max_digits=4, decimal_places=1, min_value=0, max_value=100, allow_null=True, default=None
    )
    peripheral_blood = serializers.BooleanField(
        default=False, help_text="Relapse: blasts reappeared in the peripheral blood."
    )
    extramedullary = serializers.BooleanField(
        default=False, help_text="Relapse: extramedullary disease."
    )
    extramedullary_site = serializers.CharField(required=False, allow_blank=True, default="")
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    reason = ReasonField()
    confirmation = ConfirmationField()


def _response_save(
    request: Request, patient: Patient, assessment: ResponseAssessment | None
) -> ResponseAssessment:
    data = ResponseInput(data=request.data)
    data.is_valid(raise_exception=True)
    return services.response_record(
        patient=patient,
        assessment=assessment,
        by=acting_user(request),
        now=timezone.now(),
        **data.validated_data,
    )


class ResponseListApi(APIView):
    @extend_schema(responses=ResponseOutput(many=True), operation_id="patient_responses_list")
    def get(self, request: Request, patient_id: int) -> Response:
        rows = ResponseAssessment.objects.filter(patient=patient_for(request, patient_id))
        rows = rows.select_related("cycle").order_by("assessment_date", "pk")
        return Response(ResponseOutput(rows, many=True).data)

    @extend_schema(request=ResponseInput, responses={201: ResponseOutput})
    def post(self, request: Request, patient_id: int) -> Response:
        assessment = _response_save(request, patient_for(request, patient_id), None)
        return Response(ResponseOutput(assessment).data, status=201)


class ResponseDetailApi(APIView):
    @extend_schema(responses=ResponseOutput)
    def get(self, request: Request, patient_id: int, pk: int) -> Response:
        row = patient_record(ResponseAssessment.objects.all(), patient_for(request, patient_id), pk)
        return Response(ResponseOutput(row).data)

    @extend_schema(request=ResponseInput, responses=ResponseOutput)
    def put(self, request: Request, patient_id: int, pk: int) -> Response:
        patient = patient_for(request, patient_id)
        row = patient_record(ResponseAssessment.objects.all(), patient, pk)
        return Response(ResponseOutput(_response_save(request, patient, row)).data)


# --- transplant, end of treatment, deviations ----------------------------------------------


class TransplantOutput(serializers.ModelSerializer[Transplant]):
    open_queries = OpenQueriesField()

    class Meta:
        model = Transplant
        fields = [
            "id",
            "transplant_date",
            "donor_type",
            "disease_status",
            "comment",
            "entered_in_error",
            "open_queries",
        ]


class TransplantInput(serializers.Serializer[Any]):
    transplant_date = serializers.DateField()
    donor_type = serializers.ChoiceField(choices=DonorType.choices)
    disease_status = serializers.ChoiceField(choices=TransplantDiseaseStatus.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    reason = ReasonField()


def _transplant_save(request: Request, patient: Patient, row: Transplant | None) -> Transplant:
    data = TransplantInput(data=request.data)
    data.is_valid(raise_exception=True)
    return services.transplant_record(
        patient=patient,
        transplant=row,
        by=acting_user(request),
        now=timezone.now(),
        **data.validated_data,
    )


class TransplantListApi(APIView):
    @extend_schema(responses=TransplantOutput(many=True), operation_id="patient_transplants_list")
    def get(self, request: Request, patient_id: int) -> Response:
        rows = Transplant.objects.filter(patient=patient_for(request, patient_id))
        return Response(TransplantOutput(rows.order_by("transplant_date", "pk"), many=True).data)

    @extend_schema(request=TransplantInput, responses={201: TransplantOutput})
    def post(self, request: Request, patient_id: int) -> Response:
        row = _transplant_save(request, patient_for(request, patient_id), None)
        return Response(TransplantOutput(row).data, status=201)


class TransplantDetailApi(APIView):
    @extend_schema(responses=TransplantOutput)
    def get(self, request: Request, patient_id: int, pk: int) -> Response:
        row = patient_record(Transplant.objects.all(), patient_for(request, patient_id), pk)
        return Response(TransplantOutput(row).data)

    @extend_schema(request=TransplantInput, responses=TransplantOutput)
    def put(self, request: Request, patient_id: int, pk: int) -> Response:
        patient = patient_for(request, patient_id)
        row = patient_record(Transplant.objects.all(), patient, pk)
        return Response(TransplantOutput(_transplant_save(request, patient, row)).data)


class EndOfTreatmentOutput(serializers.ModelSerializer[EndOfTreatment]):
    open_queries = OpenQueriesField()

    class Meta:
        model = EndOfTreatment
        fields = ["id", "end_date", "reason", "comment", "entered_in_error", "open_queries"]


class EndOfTreatmentInput(RelapseFindingFields):
    end_date = serializers.DateField()
    end_reason = serializers.ChoiceField(choices=EndOfTreatmentReason.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    reason = ReasonField()
    relapse_date = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Progression in a patient in CR/CRi is a relapse (ELN 2017): unless one is "
        "recorded, give its date and how it was established (the fields below).",
    )


class EndOfTreatmentApi(APIView):
    @extend_schema(responses=EndOfTreatmentOutput)
    def get(self, request: Request, patient_id: int) -> Response:
        patient = patient_for(request, patient_id)
        return Response(
            EndOfTreatmentOutput(get_object_or_404(EndOfTreatment, patient=patient)).data
        )

    @extend_schema(request=EndOfTreatmentInput, responses=EndOfTreatmentOutput)
    def put(self, request: Request, patient_id: int) -> Response:
        patient = patient_for(request, patient_id)
        data = EndOfTreatmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        eot = services.end_of_treatment_record(
            patient=patient,
            by=acting_user(request),
            now=timezone.now(),
            relapse_finding=finding_pop(values),
            **values,
        )
        return Response(EndOfTreatmentOutput(eot).data)


class DeviationOutput(serializers.ModelSerializer[ProtocolDeviation]):
    cycle_number = serializers.IntegerField(source="cycle.number", read_only=True)

    class Meta:
        model = ProtocolDeviation
        fields = ["id", "kind", "cycle_number", "description", "detected_at", "entered_in_error"]


class DeviationListApi(APIView):
    @extend_schema(responses=DeviationOutput(many=True), operation_id="patient_deviations_list")
    def get(self, request: Request, patient_id: int) -> Response:
        rows = ProtocolDeviation.objects.filter(patient=patient_for(request, patient_id))
        rows = rows.select_related("cycle").order_by("detected_at", "pk")
        return Response(DeviationOutput(rows, many=True).data)
