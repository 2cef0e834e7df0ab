"""API of the analysis: cut-offs (list, freeze), exports (request, status), the estimates of the
primary analysis at a cut-off. Trial-wide: every site role is refused (403)."""

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
        fields = [
            "id",
            "cutoff_date",
            "reason",
            "frozen_by",
            "frozen_at",
            "locked_at",
            "lock_number",
        ]


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
            "provisional",
            "lock_number",
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


class CutoffLockInput(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the cut-off is locked or unlocked.")


class CutoffLockApi(APIView):
    @extend_schema(request=CutoffLockInput, responses=CutoffOutputSerializer)
    def post(self, request: Request, cutoff_id: int) -> Response:
        data = CutoffLockInput(data=request.data)
        data.is_valid(raise_exception=True)
        cutoff = services.cutoff_lock(
            cutoff=selectors.cutoff_get(user=acting_user(request), cutoff_id=cutoff_id),
            by=acting_user(request),
            now=timezone.now(),
            **data.validated_data,
        )
        return Response(CutoffOutputSerializer(cutoff).data)


class CutoffUnlockApi(APIView):
    @extend_schema(request=CutoffLockInput, responses=CutoffOutputSerializer)
    def post(self, request: Request, cutoff_id: int) -> Response:
        data = CutoffLockInput(data=request.data)
        data.is_valid(raise_exception=True)
        cutoff = services.cutoff_unlock(
            cutoff=selectors.cutoff_get(user=acting_user(request), cutoff_id=cutoff_id),
            by=acting_user(request),
            **data.validated_data,
        )
        return Response(CutoffOutputSerializer(cutoff).data)


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


class EstimateOutputSerializer(serializers.Serializer):
    """One row of estimates.csv."""

    class Meta:
        ref_name = "AnalysisEstimate"

    endpoint = serializers.CharField(help_text="OS, OSTC (OS censored at transplant), EFS or CIR.")
    analysis = serializers.CharField(
        help_text="km_median, km_survival_12m, logrank_stratified, cox_hr_stratified, cox_zph, "
        "subgroup_hr, subgroup_interaction, cir_12m, gray_test … (README: the R call of each)."
    )
    group = serializers.CharField(help_text="Arm code, 'DEX vs CTRL', or COLUMN=value.")
    label = serializers.CharField(help_text="What the group is, in words.")  # type: ignore[assignment]
    estimate = serializers.FloatField(allow_null=True)
    lower = serializers.FloatField(allow_null=True, help_text="Lower 95% confidence limit.")
    upper = serializers.FloatField(allow_null=True, help_text="Upper 95% confidence limit.")
    p = serializers.FloatField(allow_null=True)
    method = serializers.CharField()
    statistic = serializers.FloatField(allow_null=True, help_text="Chi-square statistic.")
    df = serializers.IntegerField(allow_null=True)
    n = serializers.IntegerField(allow_null=True)
    events = serializers.IntegerField(allow_null=True)
    unit = serializers.CharField(help_text="days, probability, hazard ratio or empty.")


class CutoffEstimatesOutputSerializer(serializers.Serializer):
    cutoff = serializers.IntegerField()
    cutoff_date = serializers.DateField()
    data_version = serializers.CharField(help_text="Fingerprint of the data the estimates use.")
    factors = serializers.ListField(
        child=serializers.CharField(), help_text="Randomisation factors of the stratified analyses."
    )
    estimates = EstimateOutputSerializer(many=True)


class CutoffEstimatesApi(APIView):
    @extend_schema(
        responses=CutoffEstimatesOutputSerializer,
        description="Every estimate of the primary analysis at the cut-off, for the current data: "
        "the rows of the export's estimates.csv (derived once per version of the data).",
    )
    def get(self, request: Request, cutoff_id: int) -> Response:
        cutoff, report = selectors.cutoff_report(user=request.user, cutoff_id=cutoff_id)  # type: ignore[arg-type]
        data = {
            "cutoff": cutoff.pk,
            "cutoff_date": cutoff.cutoff_date,
            "data_version": report.version,
            "factors": report.page["factors"],
            "estimates": report.page["estimates"],
        }
        return Response(CutoffEstimatesOutputSerializer(data).data)
