"""API: treatment cycles, responses, adverse events, transplant, end of treatment, sign-off.

Every record sits under its patient: /api/v1/patients/<patient_id>/…/<pk>/. The patient is
looked up among the user's sites (404 otherwise) and the record among the patient's.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trial.api import ReasonField
from trial.models import (
    AdverseEvent,
    CtcaeTerm,
    Cycle,
    DonorType,
    DoseUnit,
    Drug,
    DrugAdministration,
    EndOfTreatment,
    EndOfTreatmentReason,
    Patient,
    ProtocolDeviation,
    Regimen,
    Relatedness,
    ResponseAssessment,
    Signature,
    SignatureMeaning,
    Transplant,
    TransplantDiseaseStatus,
    User,
)
from trial.models import Response as ResponseCategory
from trial.selectors.treatment import patient_treatment, sae_overdue
from trial.services import treatment as services


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _patient(request: Request, patient_id: int) -> Patient:
    return get_object_or_404(Patient.objects.for_user(_user(request)), pk=patient_id)


_M = TypeVar("_M", bound=Model)


def _record(queryset: QuerySet[_M], patient: Patient, pk: int) -> _M:
    return get_object_or_404(queryset, patient=patient, pk=pk)


# --- cycles ---------------------------------------------------------------------------------


class DrugSerializer(serializers.ModelSerializer[DrugAdministration]):
    reduced = serializers.BooleanField(read_only=True)

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
        ]


class CycleOutput(serializers.ModelSerializer[Cycle]):
    drugs = serializers.SerializerMethodField()

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
        ]

    def get_drugs(self, cycle: Cycle) -> list[dict[str, Any]]:
        rows = cycle.drugs.filter(entered_in_error=False).order_by("drug")
        return list(DrugSerializer(rows, many=True).data)


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


def _cycle_save(request: Request, patient: Patient, cycle: Cycle | None) -> Cycle:
    data = CycleInput(data=request.data)
    data.is_valid(raise_exception=True)
    values = dict(data.validated_data)
    drugs = [services.DrugDose(**d) for d in values.pop("drugs")]
    return services.cycle_record(
        patient=patient, cycle=cycle, drugs=drugs, by=_user(request), now=timezone.now(), **values
    )


class CycleListApi(APIView):
    @extend_schema(responses=CycleOutput(many=True), operation_id="patient_cycles_list")
    def get(self, request: Request, patient_id: int) -> Response:
        patient = _patient(request, patient_id)
        cycles = Cycle.objects.filter(patient=patient).order_by("number")
        return Response(CycleOutput(cycles, many=True).data)

    @extend_schema(request=CycleInput, responses={201: CycleOutput})
    def post(self, request: Request, patient_id: int) -> Response:
        cycle = _cycle_save(request, _patient(request, patient_id), None)
        return Response(CycleOutput(cycle).data, status=201)


class CycleDetailApi(APIView):
    @extend_schema(responses=CycleOutput)
    def get(self, request: Request, patient_id: int, pk: int) -> Response:
        cycle = _record(Cycle.objects.all(), _patient(request, patient_id), pk)
        return Response(CycleOutput(cycle).data)

    @extend_schema(request=CycleInput, responses=CycleOutput)
    def put(self, request: Request, patient_id: int, pk: int) -> Response:
        patient = _patient(request, patient_id)
        cycle = _cycle_save(request, patient, _record(Cycle.objects.all(), patient, pk))
        return Response(CycleOutput(cycle).data)


# --- responses ------------------------------------------------------------------------------


class ResponseOutput(serializers.ModelSerializer[ResponseAssessment]):
    cycle_number = serializers.IntegerField(source="cycle.number", read_only=True)

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
        ]


class ResponseInput(serializers.Serializer[Any]):
    assessment_date = serializers.DateField()
    response = serializers.ChoiceField(choices=ResponseCategory.choices)
    marrow_blast_pct = serializers.DecimalField(
        max_digits=4, decimal_places=1, min_value=0, max_value=100, allow_null=True, default=None
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    reason = ReasonField()


def _response_save(
    request: Request, patient: Patient, assessment: ResponseAssessment | None
) -> ResponseAssessment:
    data = ResponseInput(data=request.data)
    data.is_valid(raise_exception=True)
    return services.response_record(
        patient=patient,
        assessment=assessment,
        by=_user(request),
        now=timezone.now(),
        **data.validated_data,
    )


class ResponseListApi(APIView):
    @extend_schema(responses=ResponseOutput(many=True), operation_id="patient_responses_list")
    def get(self, request: Request, patient_id: int) -> Response:
        rows = ResponseAssessment.objects.filter(patient=_patient(request, patient_id))
        rows = rows.select_related("cycle").order_by("assessment_date", "pk")
        return Response(ResponseOutput(rows, many=True).data)

    @extend_schema(request=ResponseInput, responses={201: ResponseOutput})
    def post(self, request: Request, patient_id: int) -> Response:
        assessment = _response_save(request, _patient(request, patient_id), None)
        return Response(ResponseOutput(assessment).data, status=201)


class ResponseDetailApi(APIView):
    @extend_schema(responses=ResponseOutput)
    def get(self, request: Request, patient_id: int, pk: int) -> Response:
        row = _record(ResponseAssessment.objects.all(), _patient(request, patient_id), pk)
        return Response(ResponseOutput(row).data)

    @extend_schema(request=ResponseInput, responses=ResponseOutput)
    def put(self, request: Request, patient_id: int, pk: int) -> Response:
        patient = _patient(request, patient_id)
        row = _record(ResponseAssessment.objects.all(), patient, pk)
        return Response(ResponseOutput(_response_save(request, patient, row)).data)


# --- adverse events -------------------------------------------------------------------------


class AdverseEventOutput(serializers.ModelSerializer[AdverseEvent]):
    term_label = serializers.CharField(read_only=True)
    patient_id = serializers.IntegerField(read_only=True)

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
        patient=patient, event=event, by=_user(request), now=timezone.now(), **data.validated_data
    )


class AdverseEventListApi(APIView):
    @extend_schema(
        responses=AdverseEventOutput(many=True), operation_id="patient_adverse_events_list"
    )
    def get(self, request: Request, patient_id: int) -> Response:
        rows = AdverseEvent.objects.filter(patient=_patient(request, patient_id))
        rows = rows.select_related("term").order_by("start_date", "pk")
        return Response(AdverseEventOutput(rows, many=True).data)

    @extend_schema(request=AdverseEventInput, responses={201: AdverseEventOutput})
    def post(self, request: Request, patient_id: int) -> Response:
        event = _event_save(request, _patient(request, patient_id), None)
        return Response(AdverseEventOutput(event).data, status=201)


class AdverseEventDetailApi(APIView):
    @extend_schema(responses=AdverseEventOutput)
    def get(self, request: Request, patient_id: int, pk: int) -> Response:
        row = _record(AdverseEvent.objects.all(), _patient(request, patient_id), pk)
        return Response(AdverseEventOutput(row).data)

    @extend_schema(request=AdverseEventInput, responses=AdverseEventOutput)
    def put(self, request: Request, patient_id: int, pk: int) -> Response:
        patient = _patient(request, patient_id)
        row = _record(AdverseEvent.objects.all(), patient, pk)
        return Response(AdverseEventOutput(_event_save(request, patient, row)).data)


class SaeReportInput(serializers.Serializer[Any]):
    reported_at = serializers.DateTimeField(help_text="When the full SAE report was sent.")


class SaeReportApi(APIView):
    @extend_schema(request=SaeReportInput, responses=AdverseEventOutput)
    def post(self, request: Request, patient_id: int, pk: int) -> Response:
        row = _record(AdverseEvent.objects.all(), _patient(request, patient_id), pk)
        data = SaeReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.sae_report_record(
            event=row, by=_user(request), now=timezone.now(), **data.validated_data
        )
        return Response(AdverseEventOutput(event).data)


class SaeOverdueListApi(APIView):
    @extend_schema(responses=AdverseEventOutput(many=True))
    def get(self, request: Request) -> Response:
        rows = sae_overdue(user=_user(request), now=timezone.now())
        return Response(AdverseEventOutput(rows, many=True).data)


class CtcaeTermOutput(serializers.ModelSerializer[CtcaeTerm]):
    class Meta:
        model = CtcaeTerm
        fields = ["id", "term", "soc"]


class CtcaeTermListApi(APIView):
    @extend_schema(responses=CtcaeTermOutput(many=True))
    def get(self, request: Request) -> Response:
        rows = CtcaeTerm.objects.filter(active=True).order_by("term")
        return Response(CtcaeTermOutput(rows, many=True).data)


# --- transplant, end of treatment, deviations ----------------------------------------------


class TransplantOutput(serializers.ModelSerializer[Transplant]):
    class Meta:
        model = Transplant
        fields = [
            "id",
            "transplant_date",
            "donor_type",
            "disease_status",
            "comment",
            "entered_in_error",
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
        by=_user(request),
        now=timezone.now(),
        **data.validated_data,
    )


class TransplantListApi(APIView):
    @extend_schema(responses=TransplantOutput(many=True), operation_id="patient_transplants_list")
    def get(self, request: Request, patient_id: int) -> Response:
        rows = Transplant.objects.filter(patient=_patient(request, patient_id))
        return Response(TransplantOutput(rows.order_by("transplant_date", "pk"), many=True).data)

    @extend_schema(request=TransplantInput, responses={201: TransplantOutput})
    def post(self, request: Request, patient_id: int) -> Response:
        row = _transplant_save(request, _patient(request, patient_id), None)
        return Response(TransplantOutput(row).data, status=201)


class TransplantDetailApi(APIView):
    @extend_schema(responses=TransplantOutput)
    def get(self, request: Request, patient_id: int, pk: int) -> Response:
        row = _record(Transplant.objects.all(), _patient(request, patient_id), pk)
        return Response(TransplantOutput(row).data)

    @extend_schema(request=TransplantInput, responses=TransplantOutput)
    def put(self, request: Request, patient_id: int, pk: int) -> Response:
        patient = _patient(request, patient_id)
        row = _record(Transplant.objects.all(), patient, pk)
        return Response(TransplantOutput(_transplant_save(request, patient, row)).data)


class EndOfTreatmentOutput(serializers.ModelSerializer[EndOfTreatment]):
    class Meta:
        model = EndOfTreatment
        fields = ["id", "end_date", "reason", "comment", "entered_in_error"]


class EndOfTreatmentInput(serializers.Serializer[Any]):
    end_date = serializers.DateField()
    end_reason = serializers.ChoiceField(choices=EndOfTreatmentReason.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    reason = ReasonField()


class EndOfTreatmentApi(APIView):
    @extend_schema(responses=EndOfTreatmentOutput)
    def get(self, request: Request, patient_id: int) -> Response:
        patient = _patient(request, patient_id)
        return Response(
            EndOfTreatmentOutput(get_object_or_404(EndOfTreatment, patient=patient)).data
        )

    @extend_schema(request=EndOfTreatmentInput, responses=EndOfTreatmentOutput)
    def put(self, request: Request, patient_id: int) -> Response:
        patient = _patient(request, patient_id)
        data = EndOfTreatmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        eot = services.end_of_treatment_record(
            patient=patient, by=_user(request), now=timezone.now(), **data.validated_data
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
        rows = ProtocolDeviation.objects.filter(patient=_patient(request, patient_id))
        rows = rows.select_related("cycle").order_by("detected_at", "pk")
        return Response(DeviationOutput(rows, many=True).data)


# --- signature and summary ------------------------------------------------------------------


class SignatureOutput(serializers.ModelSerializer[Signature]):
    valid = serializers.BooleanField(read_only=True)

    class Meta:
        model = Signature
        fields = [
            "id",
            "signer_name",
            "signed_at",
            "meaning",
            "valid",
            "broken_at",
            "broken_reason",
        ]


class SignInput(serializers.Serializer[Any]):
    password = serializers.CharField(
        write_only=True, style={"input_type": "password"}, help_text="Re-enter your password."
    )
    meaning = serializers.ChoiceField(choices=SignatureMeaning.choices)


class SignatureApi(APIView):
    @extend_schema(responses=SignatureOutput(many=True), operation_id="patient_signatures_list")
    def get(self, request: Request, patient_id: int) -> Response:
        rows = Signature.objects.filter(patient=_patient(request, patient_id))
        return Response(SignatureOutput(rows.order_by("-signed_at", "-pk"), many=True).data)

    @extend_schema(request=SignInput, responses={201: SignatureOutput})
    def post(self, request: Request, patient_id: int) -> Response:
        patient = _patient(request, patient_id)
        data = SignInput(data=request.data)
        data.is_valid(raise_exception=True)
        signature = services.treatment_sign(
            patient=patient, by=_user(request), now=timezone.now(), **data.validated_data
        )
        return Response(SignatureOutput(signature).data, status=201)


class TreatmentSummaryOutput(serializers.Serializer[Any]):
    arm = serializers.CharField(allow_null=True)
    planned_regimen = serializers.CharField(allow_null=True)
    cycles = CycleOutput(many=True)
    best_response = ResponseOutput(allow_null=True)
    end_of_treatment = EndOfTreatmentOutput(allow_null=True)
    signature = SignatureOutput(allow_null=True)
    flags = serializers.ListField(child=serializers.CharField())


class TreatmentSummaryApi(APIView):
    @extend_schema(responses=TreatmentSummaryOutput)
    def get(self, request: Request, patient_id: int) -> Response:
        timeline = patient_treatment(patient=_patient(request, patient_id), now=timezone.now())
        randomization = timeline.randomization
        return Response(
            TreatmentSummaryOutput(
                {
                    "arm": randomization.arm if randomization else None,
                    "planned_regimen": randomization.stratum_regimen if randomization else None,
                    "cycles": timeline.cycles,
                    "best_response": timeline.best_response,
                    "end_of_treatment": timeline.end_of_treatment,
                    "signature": timeline.signature,
                    "flags": timeline.flags,
                }
            ).data
        )


_P = "patients/<int:patient_id>"
urlpatterns: list[URLPattern] = [
    path(f"{_P}/treatment/", TreatmentSummaryApi.as_view(), name="api-treatment"),
    path(f"{_P}/cycles/", CycleListApi.as_view(), name="api-cycles"),
    path(f"{_P}/cycles/<int:pk>/", CycleDetailApi.as_view(), name="api-cycle"),
    path(f"{_P}/responses/", ResponseListApi.as_view(), name="api-responses"),
    path(f"{_P}/responses/<int:pk>/", ResponseDetailApi.as_view(), name="api-response"),
    path(f"{_P}/adverse-events/", AdverseEventListApi.as_view(), name="api-adverse-events"),
    path(
        f"{_P}/adverse-events/<int:pk>/",
        AdverseEventDetailApi.as_view(),
        name="api-adverse-event",
    ),
    path(f"{_P}/adverse-events/<int:pk>/report/", SaeReportApi.as_view(), name="api-sae-report"),
    path(f"{_P}/transplants/", TransplantListApi.as_view(), name="api-transplants"),
    path(f"{_P}/transplants/<int:pk>/", TransplantDetailApi.as_view(), name="api-transplant"),
    path(f"{_P}/end-of-treatment/", EndOfTreatmentApi.as_view(), name="api-end-of-treatment"),
    path(f"{_P}/deviations/", DeviationListApi.as_view(), name="api-deviations"),
    path(f"{_P}/signatures/", SignatureApi.as_view(), name="api-signatures"),
    path("adverse-events/overdue/", SaeOverdueListApi.as_view(), name="api-sae-overdue"),
    path("ctcae-terms/", CtcaeTermListApi.as_view(), name="api-ctcae-terms"),
]
