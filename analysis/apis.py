"""API of the analysis: cut-offs (list, freeze), exports (request, status). Trial-wide: every
site role is refused (403)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from analysis import queueing, selectors, services
from analysis.formats import FORMATS
from analysis.models import DataCutoff, DatasetExport
from analysis.services import OPTIONS
from trial.access import acting_user


class CutoffOutputSerializer(serializers.ModelSerializer[DataCutoff]):
    frozen_by = serializers.CharField(source="frozen_by.username", read_only=True)

    class Meta:
        model = DataCutoff
        fields = ["id", "cutoff_date", "reason", "frozen_by", "frozen_at"]


class ExportOutputSerializer(serializers.ModelSerializer[DatasetExport]):
    requested_by = serializers.CharField(source="requested_by.username", read_only=True)
    cutoff_date = serializers.DateField(source="cutoff.cutoff_date", read_only=True)

    class Meta:
        model = DatasetExport
        fields = [
            "id",
            "cutoff",
            "cutoff_date",
            "kind",
            "formats",
            "requested_by",
            "requested_at",
            "status",
            "progress",
            "message",
            "files",
            "checksum",
            "finished_at",
        ]


class CutoffListFreezeApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CutoffFreezeInput"

        cutoff_date = serializers.DateField()
        reason = serializers.CharField()

    @extend_schema(responses=CutoffOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        cutoffs = selectors.cutoffs_list(user=acting_user(request))
        return Response(CutoffOutputSerializer(cutoffs, many=True).data)

    @extend_schema(request=InputSerializer, responses={201: CutoffOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cutoff = services.cutoff_freeze(
            by=acting_user(request), now=timezone.now(), **data.validated_data
        )
        return Response(CutoffOutputSerializer(cutoff).data, status=status.HTTP_201_CREATED)


class ExportRequestApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ExportRequestInput"

        formats = serializers.ListField(
            child=serializers.ChoiceField(choices=[*FORMATS, *OPTIONS]), required=False
        )

    @extend_schema(request=InputSerializer, responses={202: ExportOutputSerializer})
    def post(self, request: Request, cutoff_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        export = queueing.export_request(
            by=acting_user(request),
            cutoff=selectors.cutoff_get(user=acting_user(request), cutoff_id=cutoff_id),
            formats=data.validated_data.get("formats"),
            now=timezone.now(),
        )
        return Response(ExportOutputSerializer(export).data, status=status.HTTP_202_ACCEPTED)


class ExportDetailApi(APIView):
    @extend_schema(responses=ExportOutputSerializer)
    def get(self, request: Request, export_id: int) -> Response:
        export = selectors.export_get(user=acting_user(request), export_id=export_id)
        return Response(ExportOutputSerializer(export).data)
