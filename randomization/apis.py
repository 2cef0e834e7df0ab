"""API of the randomisation app: randomise, read the allocation, corrections, reports, lists.

Concealment: nothing here returns a slot, an unused slot or a count of arms left, except the
allocation-list endpoints, which answer only the statistician and sponsor administrator.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from randomization import selectors, services
from randomization.models import AllocationList, CorrectionKind, Purpose, Randomization
from trial.access import acting_user, patient_for
from trial.api_inputs import BoundedMultiPartParser
from trial.exceptions import PermissionDenied
from trial.models import DiseaseStatus, Regimen, User
from trial.permissions import Action


class RandomizationOutputSerializer(serializers.ModelSerializer[Randomization]):
    subject_id = serializers.CharField(source="patient.subject_id")
    arm_display = serializers.CharField(source="get_arm_display")
    randomized_by = serializers.CharField(source="randomized_by.username")

    class Meta:
        model = Randomization
        fields = [
            "subject_id",
            "randomization_number",
            "arm",
            "arm_display",
            "randomized_at",
            "randomized_by",
            "stratum_regimen",
            "stratum_disease_status",
            "stratum_site",
        ]


class PatientRandomizeApi(APIView):
    """Randomise an enrolled patient; a repeated request returns the allocation already made."""

    @extend_schema(
        request=None,
        responses={201: RandomizationOutputSerializer, 200: RandomizationOutputSerializer},
    )
    def post(self, request: Request, patient_id: int) -> Response:
        randomization = services.patient_randomize(
            patient=patient_for(request, patient_id),
            by=acting_user(request),
            now=timezone.now(),
        )
        code = status.HTTP_201_CREATED if randomization.created else status.HTTP_200_OK  # type: ignore[attr-defined]
        return Response(RandomizationOutputSerializer(randomization).data, status=code)


class PatientRandomizationApi(APIView):
    """The patient's allocation (404 when not randomised)."""

    @extend_schema(responses=RandomizationOutputSerializer)
    def get(self, request: Request, patient_id: int) -> Response:
        patient = patient_for(request, patient_id)
        randomization = get_object_or_404(
            Randomization.objects.select_related("patient", "randomized_by"), patient=patient
        )
        return Response(RandomizationOutputSerializer(randomization).data)


class RandomizationCorrectApi(APIView):
    """Record a correction of a randomisation (sponsor administrator); the allocation stands."""

    class CorrectionInputSerializer(serializers.Serializer):
        kind = serializers.ChoiceField(choices=CorrectionKind.choices)
        reason = serializers.CharField()
        correct_regimen = serializers.ChoiceField(
            choices=Regimen.choices, required=False, allow_blank=True, default=""
        )
        correct_disease_status = serializers.ChoiceField(
            choices=DiseaseStatus.choices, required=False, allow_blank=True, default=""
        )

    class CorrectionOutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        kind = serializers.CharField()
        reason = serializers.CharField()
        correct_regimen = serializers.CharField()
        correct_disease_status = serializers.CharField()
        recorded_at = serializers.DateTimeField()

    @extend_schema(request=CorrectionInputSerializer, responses={201: CorrectionOutputSerializer})
    def post(self, request: Request, patient_id: int) -> Response:
        patient = patient_for(request, patient_id)
        randomization = get_object_or_404(Randomization, patient=patient)
        data = self.CorrectionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        correction = services.randomization_correct(
            randomization=randomization,
            by=acting_user(request),
            now=timezone.now(),
            **data.validated_data,
        )
        return Response(
            self.CorrectionOutputSerializer(correction).data, status=status.HTTP_201_CREATED
        )


class RandomizationReportApi(APIView):
    """Balance by arm × stratum × site and CONSORT allocation counts."""

    class BalanceRowSerializer(serializers.Serializer):
        regimen = serializers.CharField()
        disease_status = serializers.CharField()
        site = serializers.CharField()
        dex = serializers.IntegerField()
        ctrl = serializers.IntegerField()
        total = serializers.IntegerField()

    class RandomizationReportSerializer(serializers.Serializer):
        balance = serializers.ListField(child=serializers.DictField())
        consort = serializers.DictField(child=serializers.IntegerField())

    @extend_schema(responses=RandomizationReportSerializer)
    def get(self, request: Request) -> Response:
        user = acting_user(request)
        if not user.can(Action.VIEW_REPORTS):
            raise PermissionDenied(_("Your role does not allow you to see trial-wide reports."))
        report = selectors.randomization_report(user)
        return Response(
            {
                "balance": self.BalanceRowSerializer(report.balance, many=True).data,
                "consort": report.consort,
            }
        )


def _require_manager(request: Request) -> None:
    """Allocation concealment: lists are for the statistician and sponsor administrator only."""
    if not acting_user(request).can(Action.MANAGE_ALLOCATION):
        raise PermissionDenied(
            _("Only the trial statistician and sponsor administrator see lists.")
        )


class AllocationListOutputSerializer(serializers.ModelSerializer[AllocationList]):
    generated_by = serializers.SlugRelatedField[User](
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Username of who generated the list; null for an imported list.",
    )
    imported_by = serializers.SlugRelatedField[User](
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Username of who imported the list; null for a generated list.",
    )

    class Meta:
        model = AllocationList
        fields = [
            "id",
            "code",
            "purpose",
            "source",
            "method",
            "seed",
            "block_sizes",
            "factors",
            "slots_per_stratum",
            "minimization_probability",
            "balance_tolerance",
            "checksum",
            "active",
            "generated_at",
            "generated_by",
            "imported_at",
            "imported_by",
            "file_sha256",
            "stated_method",
        ]


class StratumUsageSerializer(serializers.Serializer):
    key = serializers.CharField()
    used = serializers.IntegerField()
    unused = serializers.IntegerField()
    dex = serializers.IntegerField(help_text="Slots allocating dexamethasone.")
    ctrl = serializers.IntegerField(help_text="Slots allocating the control arm.")


class AllocationListListApi(APIView):
    """Allocation lists (statistician and sponsor administrator only)."""

    @extend_schema(responses={200: AllocationListOutputSerializer(many=True)})
    def get(self, request: Request) -> Response:
        _require_manager(request)
        lists = selectors.lists_for(acting_user(request))
        return Response(AllocationListOutputSerializer(lists, many=True).data)


class AllocationListDetailApi(APIView):
    """One list, generated or imported, with its verification, used/unused slots and the arms
    of each stratum (statistician and sponsor administrator only)."""

    class AllocationListVerifySerializer(serializers.Serializer):
        allocation_list = AllocationListOutputSerializer()
        ok = serializers.BooleanField()
        computed_checksum = serializers.CharField()
        balance_rule = serializers.CharField(help_text="What the balance was checked against.")
        problems = serializers.ListField(child=serializers.CharField())
        strata = StratumUsageSerializer(many=True)

    @extend_schema(responses={200: AllocationListVerifySerializer})
    def get(self, request: Request, list_id: int) -> Response:
        _require_manager(request)
        report = selectors.allocation_list_verify(get_object_or_404(AllocationList, pk=list_id))
        return Response(self.AllocationListVerifySerializer(report).data)


class ImportedListSerializer(AllocationListOutputSerializer):
    """The list an import describes: not written (no id) in a dry run or when refused."""

    id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta(AllocationListOutputSerializer.Meta):
        ref_name = "AllocationListImported"


class AllocationListImportApi(APIView):
    """Import a list made by an independent statistician (statistician and sponsor
    administrator only). Everything is checked first; with `dry_run` the report comes back and
    nothing is written; otherwise any problem refuses the import (400, each problem of the
    file under `file` with its row numbers) and nothing is written. The list arrives inactive.
    """

    parser_classes = [BoundedMultiPartParser]

    class AllocationListImportInputSerializer(serializers.Serializer):
        file = serializers.FileField(
            help_text="CSV, header on row 1: regimen, disease_status (and site when stratifying "
            "by site), position, arm (DEX or CTRL), and block_number, block_size when blocks "
            "are declared; an optional stratum column."
        )
        code = serializers.CharField(max_length=12)
        purpose = serializers.ChoiceField(choices=Purpose.choices)
        stated_method = serializers.CharField(help_text="How the statistician made the list.")
        block_sizes = serializers.ListField(
            child=serializers.IntegerField(min_value=1),
            required=False,
            default=list,
            help_text="Declared block sizes; empty when the list declares no blocks.",
        )
        balance_tolerance = serializers.IntegerField(
            min_value=0,
            required=False,
            allow_null=True,
            default=None,
            help_text="Without declared blocks: the largest difference between the arms' "
            "counts allowed in a stratum.",
        )
        dry_run = serializers.BooleanField(default=False)

    class AllocationListImportReportSerializer(serializers.Serializer):
        ok = serializers.BooleanField()
        dry_run = serializers.BooleanField()
        written = serializers.BooleanField()
        rows = serializers.IntegerField()
        allocation_list = ImportedListSerializer()
        balance_rule = serializers.CharField()
        problems = serializers.ListField(child=serializers.CharField())
        field_errors = serializers.DictField(
            source="errors",
            child=serializers.ListField(child=serializers.CharField()),
            help_text="Problems by field; those of the file's rows under `file`.",
        )
        strata = StratumUsageSerializer(many=True)

    @extend_schema(
        request=AllocationListImportInputSerializer,
        responses={
            200: OpenApiResponse(
                AllocationListImportReportSerializer, description="Dry run: the report."
            ),
            201: OpenApiResponse(
                AllocationListImportReportSerializer, description="Imported (inactive)."
            ),
        },
    )
    def post(self, request: Request) -> Response:
        _require_manager(request)
        data = self.AllocationListImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        report = services.allocation_list_import_external(
            content=values.pop("file").read(),
            by=request.user,  # type: ignore[arg-type]
            now=timezone.now(),
            **values,
        )
        code = status.HTTP_200_OK if report.dry_run else status.HTTP_201_CREATED
        return Response(self.AllocationListImportReportSerializer(report).data, status=code)
