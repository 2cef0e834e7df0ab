"""API: treatment cycles and their doses (docs/protocol.md "Treatment period")."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from treatment import services as services
from treatment.models import Cycle, DoseUnit, Drug, DrugAdministration
from trial.access import acting_user, patient_for
from trial.api import ConfirmationField, OpenQueriesField, ReasonField
from trial.apis.common import patient_record
from trial.apis.idempotency import IDEMPOTENCY_KEY, IDEMPOTENCY_RESPONSES, idempotent
from trial.models import Patient, Regimen

# --- cycles ---------------------------------------------------------------------------------


class DrugSerializer(serializers.ModelSerializer[DrugAdministration]):
    reduced = serializers.BooleanField(read_only=True)
    open_queries = OpenQueriesField()

    class Meta:
        model = DrugAdministration
        fields = [
            "drug",
            "planned_dose",
            "given_dose",
            "unit",
            "reduced",
            "reduction_reason",
            "delayed",
            "delay_reason",
            "open_queries",
        ]


class CycleOutput(serializers.ModelSerializer[Cycle]):
    drugs = serializers.SerializerMethodField()
    open_queries = OpenQueriesField()

    class Meta:
        model = Cycle
        fields = [
            "id",
            "number",
            "kind",
            "regimen",
            "regimen_change_reason",
            "start_date",
            "height_cm",
            "weight_kg",
            "bsa_m2",
            "delay_days",
            "delay_reason",
            "drugs",
            "entered_in_error",
            "open_queries",
        ]

    def get_drugs(self, cycle: Cycle) -> list[dict[str, Any]]:
        rows = cycle.drugs.filter(entered_in_error=False).order_by("drug")
        return list(DrugSerializer(rows, many=True, context=self.context).data)


class DrugInput(serializers.Serializer[Any]):
    drug = serializers.ChoiceField(choices=Drug.choices)
    planned_dose = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0)
    given_dose = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0)
    unit = serializers.ChoiceField(choices=DoseUnit.choices)
    reduction_reason = serializers.CharField(required=False, allow_blank=True, default="")
    delayed = serializers.BooleanField(required=False, default=False)
    delay_reason = serializers.CharField(required=False, allow_blank=True, default="")


class CycleInput(serializers.Serializer[Any]):
    start_date = serializers.DateField()
    regimen = serializers.ChoiceField(choices=Regimen.choices)
    regimen_change_reason = serializers.CharField(required=False, allow_blank=True, default="")
    height_cm = serializers.DecimalField(max_digits=5, decimal_places=1)
    weight_kg = serializers.DecimalField(max_digits=5, decimal_places=1)
    delay_days = serializers.IntegerField(required=False, min_value=0, default=0)
    delay_reason = serializers.CharField(required=False, allow_blank=True, default="")
    drugs = DrugInput(many=True)
    reason = ReasonField()
    confirmation = ConfirmationField()


def _cycle_save(request: Request, patient: Patient, cycle: Cycle | None) -> Cycle:
    data = CycleInput(data=request.data)
    data.is_valid(raise_exception=True)
    values = dict(data.validated_data)
    drugs = [services.DrugDose(**d) for d in values.pop("drugs")]
    return services.cycle_record(
        patient=patient,
        cycle=cycle,
        drugs=drugs,
        by=acting_user(request),
        now=timezone.now(),
        **values,
    )


class CycleListApi(APIView):
    @extend_schema(responses=CycleOutput(many=True), operation_id="patient_cycles_list")
    def get(self, request: Request, patient_id: int) -> Response:
        patient = patient_for(request, patient_id)
        cycles = Cycle.objects.filter(patient=patient).order_by("number")
        return Response(CycleOutput(cycles, many=True).data)

    @extend_schema(
        request=CycleInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: CycleOutput, **IDEMPOTENCY_RESPONSES},
    )
    @idempotent("cycle_create")
    def post(self, request: Request, patient_id: int) -> Response:
        cycle = _cycle_save(request, patient_for(request, patient_id), None)
        return Response(CycleOutput(cycle).data, status=201)


class CycleDetailApi(APIView):
    @extend_schema(responses=CycleOutput)
    def get(self, request: Request, patient_id: int, pk: int) -> Response:
        cycle = patient_record(Cycle.objects.all(), patient_for(request, patient_id), pk)
        return Response(CycleOutput(cycle).data)

    @extend_schema(request=CycleInput, responses=CycleOutput)
    def put(self, request: Request, patient_id: int, pk: int) -> Response:
        patient = patient_for(request, patient_id)
        cycle = _cycle_save(request, patient, patient_record(Cycle.objects.all(), patient, pk))
        return Response(CycleOutput(cycle).data)
