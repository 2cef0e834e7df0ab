"""API: the investigator's signature and the treatment-period summary."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from treatment import services as services
from treatment.apis.cycles import CycleOutput
from treatment.apis.outcomes import EndOfTreatmentOutput, ResponseOutput
from treatment.apis.relapse import RelapseOutput
from treatment.models import Signature, SignatureMeaning
from treatment.selectors import patient_treatment
from trial.access import acting_user, patient_for

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
        rows = Signature.objects.filter(patient=patient_for(request, patient_id))
        return Response(SignatureOutput(rows.order_by("-signed_at", "-pk"), many=True).data)

    @extend_schema(request=SignInput, responses={201: SignatureOutput})
    def post(self, request: Request, patient_id: int) -> Response:
        patient = patient_for(request, patient_id)
        data = SignInput(data=request.data)
        data.is_valid(raise_exception=True)
        signature = services.treatment_sign(
            patient=patient, by=acting_user(request), now=timezone.now(), **data.validated_data
        )
        return Response(SignatureOutput(signature).data, status=201)


class TreatmentSummaryOutput(serializers.Serializer[Any]):
    arm = serializers.CharField(allow_null=True)
    planned_regimen = serializers.CharField(allow_null=True)
    cycles = CycleOutput(many=True)
    best_response = ResponseOutput(allow_null=True)
    end_of_treatment = EndOfTreatmentOutput(allow_null=True)
    relapse = RelapseOutput(allow_null=True)
    disease_course = serializers.CharField(
        help_text="Never in CR/CRi, in remission since the first CR/CRi, or relapsed."
    )
    signature = SignatureOutput(allow_null=True)
    flags = serializers.ListField(child=serializers.CharField())


class TreatmentSummaryApi(APIView):
    @extend_schema(responses=TreatmentSummaryOutput)
    def get(self, request: Request, patient_id: int) -> Response:
        timeline = patient_treatment(patient=patient_for(request, patient_id), now=timezone.now())
        randomization = timeline.randomization
        return Response(
            TreatmentSummaryOutput(
                {
                    "arm": randomization.arm if randomization else None,
                    "planned_regimen": randomization.stratum_regimen if randomization else None,
                    "cycles": timeline.cycles,
                    "best_response": timeline.best_response,
                    "end_of_treatment": timeline.end_of_treatment,
                    "relapse": timeline.course.relapse,
                    "disease_course": timeline.course.summary,
                    "signature": timeline.signature,
                    "flags": timeline.flags,
                }
            ).data
        )
