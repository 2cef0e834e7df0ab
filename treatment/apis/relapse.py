"""API: the patient's relapse after CR/CRi (docs/protocol.md "Relapse"), and how any record
that finds a relapse describes it."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from treatment import services as services
from treatment.models import Relapse, RelapseFoundAt
from treatment.selectors import relapse_of
from treatment.services import RelapseFinding
from trial.access import acting_user, patient_for
from trial.api import ReasonField
from trial.models import Patient

FINDING_FIELDS = (
    "bone_marrow",
    "marrow_blast_pct",
    "peripheral_blood",
    "extramedullary",
    "extramedullary_site",
)


class RelapseFindingFields(serializers.Serializer[Any]):
    """How a relapse was established (ELN 2017): any of the three, at least one."""

    bone_marrow = serializers.BooleanField(default=False, help_text="≥ 5% bone-marrow blasts.")
    marrow_blast_pct = serializers.DecimalField(
        max_digits=4, decimal_places=1, min_value=0, max_value=100, allow_null=True, default=None
    )
    peripheral_blood = serializers.BooleanField(
        default=False, help_text="Reappearance of blasts in the peripheral blood."
    )
    extramedullary = serializers.BooleanField(default=False, help_text="Extramedullary disease.")
    extramedullary_site = serializers.CharField(required=False, allow_blank=True, default="")


def finding_pop(data: dict[str, Any]) -> RelapseFinding:
    """Take the finding's fields out of validated data, as the services take them."""
    return RelapseFinding(**{name: data.pop(name) for name in FINDING_FIELDS if name in data})


class RelapseOutput(serializers.ModelSerializer[Relapse]):
    established_by = serializers.CharField(read_only=True)
    recorded_by = serializers.SlugRelatedField[Any](slug_field="username", read_only=True)

    class Meta:
        model = Relapse
        fields = [
            "id",
            "relapse_date",
            *FINDING_FIELDS,
            "established_by",
            "found_at",
            "recorded_by",
            "comment",
            "entered_in_error",
            "entered_in_error_reason",
        ]


class RelapseInput(RelapseFindingFields):
    relapse_date = serializers.DateField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    reason = ReasonField()


class RelapseWithdrawInput(serializers.Serializer[Any]):
    reason = ReasonField(help_text="Why this relapse record was entered in error (required).")


def _relapse(patient: Patient) -> Relapse:
    relapse = relapse_of(patient)
    if relapse is None:
        raise Http404("No relapse is recorded for this patient.")
    return relapse


class RelapseApi(APIView):
    @extend_schema(responses=RelapseOutput)
    def get(self, request: Request, patient_id: int) -> Response:
        """The patient's relapse after CR/CRi (404 when none is recorded)."""
        return Response(RelapseOutput(_relapse(patient_for(request, patient_id))).data)

    @extend_schema(request=RelapseInput, responses=RelapseOutput)
    def put(self, request: Request, patient_id: int) -> Response:
        """Record the relapse, or correct the one recorded (with a reason)."""
        patient = patient_for(request, patient_id)
        data = RelapseInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        relapse = services.relapse_record(
            patient=patient,
            relapse=relapse_of(patient),
            finding=finding_pop(values),
            found_at=RelapseFoundAt.RELAPSE_FORM,
            by=acting_user(request),
            now=timezone.now(),
            **values,
        )
        return Response(RelapseOutput(relapse).data)


class RelapseWithdrawApi(APIView):
    @extend_schema(request=RelapseWithdrawInput, responses=RelapseOutput)
    def post(self, request: Request, patient_id: int) -> Response:
        """Mark the relapse record as entered in error (it stays, with its history)."""
        relapse = _relapse(patient_for(request, patient_id))
        data = RelapseWithdrawInput(data=request.data)
        data.is_valid(raise_exception=True)
        relapse = services.relapse_withdraw(
            relapse=relapse, by=acting_user(request), now=timezone.now(), **data.validated_data
        )
        return Response(RelapseOutput(relapse).data)
