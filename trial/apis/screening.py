"""API: the screening log, eligibility, consent, baseline and enrolment."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import filters, generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trial.access import acting_user, patient_for
from trial.api import (
    ConfirmationField,
    OpenQueriesField,
    ReasonField,
    UsernameField,
    current_input,
    partial_input,
)
from trial.apis.common import (
    TAG,
    EnteredInErrorInputSerializer,
    PatientOutputSerializer,
    baseline_of,
    consent_of,
)
from trial.models import (
    Baseline,
    ClinicalRecord,
    Consent,
    MutationResult,
    Patient,
    PatientStatus,
    ScreenFailureReason,
    Sex,
    Site,
    User,
)
from trial.selectors import patients as patient_selectors
from trial.services import drafts
from trial.services.records import record_mark_entered_in_error
from trial.services.screening import (
    BASELINE_FIELDS,
    baseline_record,
    consent_record,
    eligibility_record,
    patient_eligibility_confirm,
    patient_enrol,
    patient_screen,
    patient_screen_fail,
    patient_update,
)


@extend_schema_field({"type": "string", "deprecated": True})
class DeprecatedCharField(serializers.CharField):
    """A field kept for old clients under its old name, marked `deprecated` in the schema."""


# --- the screening log -------------------------------------------------------------------------


class PatientFilter(django_filters.FilterSet):
    site = django_filters.NumberFilter(field_name="site_id", help_text="Site id.")
    status = django_filters.ChoiceFilter(choices=PatientStatus.choices)

    class Meta:
        model = Patient
        fields = ["site", "status"]


class PatientListApi(generics.ListAPIView[Patient]):
    """GET: the screening log of the sites you may see. POST: screen a new patient."""

    class InputSerializer(serializers.Serializer):
        site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all())
        screening_date = serializers.DateField()
        sex = serializers.ChoiceField(choices=Sex.choices)
        age_at_screening = serializers.IntegerField(min_value=0, max_value=120)
        confirmation = ConfirmationField()

        class Meta:
            ref_name = "PatientScreenInput"

    queryset = Patient.objects.none()
    serializer_class = PatientOutputSerializer
    filter_backends = [DjangoFilterBackend, filters.SearchFilter]
    filterset_class = PatientFilter
    search_fields = ["screening_number", "subject_id"]

    def get_queryset(self) -> QuerySet[Patient]:
        return (
            Patient.objects.for_user(acting_user(self.request))
            .select_related("site", "protocol_version", "eligibility_confirmed_by", "enrolled_by")
            .order_by("site__code", "screening_number")
        )

    @extend_schema(tags=[TAG], responses={200: PatientOutputSerializer(many=True)})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        responses={201: PatientOutputSerializer},
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patient = patient_screen(
            **serializer.validated_data, by=acting_user(request), today=timezone.localdate()
        )
        return Response(PatientOutputSerializer(patient).data, status=status.HTTP_201_CREATED)


class PatientDetailApi(APIView):
    """GET: one patient. PATCH: correct sex, age or screening date, with a reason."""

    class InputSerializer(serializers.Serializer):
        screening_date = serializers.DateField(required=False)
        sex = serializers.ChoiceField(choices=Sex.choices, required=False)
        age_at_screening = serializers.IntegerField(min_value=0, max_value=120, required=False)
        reason = ReasonField()
        confirmation = ConfirmationField()

        class Meta:
            ref_name = "PatientUpdateInput"

    @extend_schema(tags=[TAG], responses={200: PatientOutputSerializer})
    def get(self, request: Request, patient_id: int) -> Response:
        return Response(PatientOutputSerializer(patient_for(request, patient_id)).data)

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        responses={200: PatientOutputSerializer},
    )
    def patch(self, request: Request, patient_id: int) -> Response:
        patient = patient_for(request, patient_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        reason = fields.pop("reason")
        patient = patient_update(
            patient=patient,
            by=acting_user(request),
            reason=reason,
            today=timezone.localdate(),
            **fields,
        )
        return Response(PatientOutputSerializer(patient).data)


# --- eligibility -------------------------------------------------------------------------------


class CriterionAnswerSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.CharField()
    text = serializers.CharField()
    position = serializers.IntegerField()
    answer = serializers.BooleanField(allow_null=True)
    note = serializers.CharField(allow_blank=True)
    met = serializers.BooleanField(allow_null=True)
    entered_in_error = serializers.BooleanField()

    class Meta:
        ref_name = "CriterionAnswer"


class EligibilitySheetSerializer(serializers.Serializer):
    patient_id = serializers.IntegerField(source="patient.pk")
    protocol_version = serializers.CharField(source="patient.protocol_version.number")
    eligibility_confirmed_by = serializers.CharField(
        source="patient.eligibility_confirmed_by.username", allow_null=True, read_only=True
    )
    eligibility_confirmed_at = serializers.DateTimeField(
        source="patient.eligibility_confirmed_at", allow_null=True
    )
    criteria = CriterionAnswerSerializer(many=True)
    eligibility_problems = serializers.ListField(child=serializers.CharField(), source="problems")

    class Meta:
        ref_name = "EligibilitySheet"


class EligibilityApi(APIView):
    """GET: the criteria of the patient's protocol version with the answers and what is missing.
    PUT: record answers keyed by criterion code (a changed answer needs a reason)."""

    class InputSerializer(serializers.Serializer):
        answers = serializers.DictField(
            child=serializers.BooleanField(),
            help_text="Criterion code → yes when the statement of the criterion holds.",
        )
        notes = serializers.DictField(
            child=serializers.CharField(allow_blank=True, max_length=500),
            required=False,
            help_text="Criterion code → note.",
        )
        reason = ReasonField()

        class Meta:
            ref_name = "EligibilityInput"

    @extend_schema(tags=[TAG], responses={200: EligibilitySheetSerializer})
    def get(self, request: Request, patient_id: int) -> Response:
        patient = patient_for(request, patient_id)
        sheet = patient_selectors.patient_eligibility_sheet(patient=patient)
        return Response(EligibilitySheetSerializer(sheet).data)

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        responses={200: EligibilitySheetSerializer},
    )
    def put(self, request: Request, patient_id: int) -> Response:
        patient = patient_for(request, patient_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        eligibility_record(patient=patient, by=acting_user(request), **serializer.validated_data)
        sheet = patient_selectors.patient_eligibility_sheet(patient=patient)
        return Response(EligibilitySheetSerializer(sheet).data)


class EligibilityConfirmApi(APIView):
    """The investigator confirms that the patient meets every criterion."""

    @extend_schema(
        tags=[TAG],
        request=None,
        responses={200: PatientOutputSerializer},
    )
    def post(self, request: Request, patient_id: int) -> Response:
        patient = patient_for(request, patient_id)
        patient = patient_eligibility_confirm(
            patient=patient, by=acting_user(request), now=timezone.now()
        )
        return Response(PatientOutputSerializer(patient).data)


class ScreenFailureApi(APIView):
    """Close screening for a patient who will not be enrolled (CONSORT reason)."""

    class InputSerializer(serializers.Serializer):
        reason = serializers.ChoiceField(choices=ScreenFailureReason.choices)
        reason_detail = serializers.CharField(
            allow_blank=True,
            required=False,
            default="",
            max_length=2000,
            help_text="Describe the reason; required when it is `other`.",
        )
        # The old name of reason_detail, which read like the error body's `detail`: still
        # accepted until the next API version (README "API", "Changes for clients").
        detail = DeprecatedCharField(
            allow_blank=True,
            required=False,
            max_length=2000,
            help_text="Deprecated: the old name of `reason_detail`; send `reason_detail`.",
        )

        class Meta:
            ref_name = "ScreenFailureInput"

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            legacy = attrs.pop("detail", None)
            if legacy is not None and attrs.get("reason_detail"):
                raise serializers.ValidationError(
                    {"detail": [_("Send `reason_detail` only (`detail` is its deprecated name).")]}
                )
            if legacy is not None:
                attrs["reason_detail"] = legacy
            return attrs

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        responses={200: PatientOutputSerializer},
    )
    def post(self, request: Request, patient_id: int) -> Response:
        patient = patient_for(request, patient_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patient = patient_screen_fail(
            patient=patient, by=acting_user(request), **serializer.validated_data
        )
        return Response(PatientOutputSerializer(patient).data)


# --- consent and baseline ----------------------------------------------------------------------


class ConsentOutputSerializer(serializers.ModelSerializer[Consent]):
    obtained_by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)
    open_queries = OpenQueriesField()

    class Meta:
        model = Consent
        ref_name = "Consent"
        fields = [
            "id",
            "consent_date",
            "form_version",
            "obtained_by",
            "entered_in_error",
            "entered_in_error_reason",
            "open_queries",
        ]
        read_only_fields = fields


class ConsentApi(APIView):
    """GET: the patient's consent. PUT: record it, or correct it with a reason."""

    class InputSerializer(serializers.Serializer):
        consent_date = serializers.DateField()
        form_version = serializers.CharField(max_length=40)
        obtained_by = UsernameField(
            queryset=User.objects.filter(is_active=True),
            required=False,
            help_text="Username of who obtained the consent; you, when left out.",
        )
        reason = ReasonField()
        confirmation = ConfirmationField()

        class Meta:
            ref_name = "ConsentInput"

    @extend_schema(tags=[TAG], responses={200: ConsentOutputSerializer})
    def get(self, request: Request, patient_id: int) -> Response:
        consent = consent_of(patient_for(request, patient_id))
        return Response(ConsentOutputSerializer(consent).data)

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        responses={200: ConsentOutputSerializer},
    )
    def put(self, request: Request, patient_id: int) -> Response:
        patient = patient_for(request, patient_id)  # another site's patient: 404 before any 400
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._save(request, patient, dict(serializer.validated_data))

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        responses=ConsentOutputSerializer,
    )
    def patch(self, request: Request, patient_id: int) -> Response:
        """Correct the fields sent (with a reason); the others keep their values."""
        patient = patient_for(request, patient_id)
        consent = consent_of(patient)
        current = current_input(
            self.InputSerializer, consent, obtained_by=consent.obtained_by.get_username()
        )
        data = partial_input(self.InputSerializer, current=current, sent=request.data)
        return self._save(request, patient, data)

    def _save(self, request: Request, patient: Patient, data: dict[str, Any]) -> Response:
        user = acting_user(request)
        consent = consent_record(
            patient=patient,
            obtained_by=data.pop("obtained_by", user),
            by=user,
            today=timezone.localdate(),
            **data,
        )
        return Response(ConsentOutputSerializer(consent).data)


class BaselineMutationOutputSerializer(serializers.Serializer):
    gene = serializers.CharField(source="gene.code")
    result = serializers.ChoiceField(choices=MutationResult.choices)

    class Meta:
        ref_name = "BaselineMutation"


class BaselineOutputSerializer(serializers.ModelSerializer[Baseline]):
    mutations = BaselineMutationOutputSerializer(many=True, read_only=True)
    open_queries = OpenQueriesField()
    missing_fields = serializers.SerializerMethodField(
        help_text="The required fields a draft leaves empty (empty when complete)."
    )

    def get_missing_fields(self, baseline: Baseline) -> list[str]:
        return drafts.record_missing_fields(baseline)

    class Meta:
        model = Baseline
        ref_name = "Baseline"
        fields = [
            "id",
            "draft",
            "missing_fields",
            *BASELINE_FIELDS,
            "mutations",
            "entered_in_error",
            "entered_in_error_reason",
            "open_queries",
        ]
        read_only_fields = fields


class BaselineApi(APIView):
    """GET: the baseline record and mutation results. PUT: record them, or correct with a reason."""

    class InputSerializer(serializers.ModelSerializer[Baseline]):
        mutations = serializers.DictField(
            child=serializers.ChoiceField(choices=MutationResult.choices),
            required=False,
            help_text="Gene code → result.",
        )
        reason = ReasonField()
        confirmation = ConfirmationField()
        draft = serializers.BooleanField(
            required=False,
            default=False,
            help_text="Save as a draft: required fields may stay empty, and the record counts "
            "as no data until it is saved without this flag (allowed while it is new or a "
            "draft).",
        )

        class Meta:
            model = Baseline
            ref_name = "BaselineInput"
            fields = [*BASELINE_FIELDS, "mutations", "reason", "confirmation", "draft"]

    @extend_schema(tags=[TAG], responses={200: BaselineOutputSerializer})
    def get(self, request: Request, patient_id: int) -> Response:
        baseline = baseline_of(patient_for(request, patient_id))
        return Response(BaselineOutputSerializer(baseline).data)

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        responses={200: BaselineOutputSerializer},
    )
    def put(self, request: Request, patient_id: int) -> Response:
        patient = patient_for(request, patient_id)  # another site's patient: 404 before any 400
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._save(request, patient, dict(serializer.validated_data))

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        responses=BaselineOutputSerializer,
    )
    def patch(self, request: Request, patient_id: int) -> Response:
        """Correct the fields sent (with a reason); the others keep their values (`mutations`,
        when sent, changes the genes it names)."""
        patient = patient_for(request, patient_id)
        baseline = baseline_of(patient)
        results = baseline.mutations.filter(entered_in_error=False).select_related("gene")
        current = current_input(
            self.InputSerializer,
            baseline,
            mutations={m.gene.code: m.result for m in results},
            draft=False,  # a PATCH without the flag is the ordinary save: it completes a draft
        )
        sent = dict(request.data.items())
        if isinstance(sent.get("mutations"), dict):
            sent["mutations"] = current["mutations"] | sent["mutations"]
        data = partial_input(self.InputSerializer, current=current, sent=sent)
        return self._save(request, patient, data)

    def _save(self, request: Request, patient: Patient, data: dict[str, Any]) -> Response:
        baseline = baseline_record(
            patient=patient,
            mutations=data.pop("mutations", {}),
            reason=data.pop("reason"),
            confirmation=data.pop("confirmation"),
            draft=data.pop("draft", False),
            data=data,
            by=acting_user(request),
            today=timezone.localdate(),
        )
        return Response(BaselineOutputSerializer(baseline).data)


def _entered_in_error(
    request: Request, record: ClinicalRecord, output: type[serializers.Serializer[Any]]
) -> Response:
    serializer = EnteredInErrorInputSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    record_mark_entered_in_error(
        record=record,
        by=acting_user(request),
        reason=serializer.validated_data["reason"],
        today=timezone.localdate(),
    )
    return Response(output(record).data)


class ConsentEnteredInErrorApi(APIView):
    """Mark the consent as entered in error; it stays, with its history."""

    @extend_schema(
        tags=[TAG],
        request=EnteredInErrorInputSerializer,
        responses={200: ConsentOutputSerializer},
    )
    def post(self, request: Request, patient_id: int) -> Response:
        consent = consent_of(patient_for(request, patient_id))
        return _entered_in_error(request, consent, ConsentOutputSerializer)


class BaselineEnteredInErrorApi(APIView):
    """Mark the baseline record as entered in error; it stays, with its history."""

    @extend_schema(
        tags=[TAG],
        request=EnteredInErrorInputSerializer,
        responses={200: BaselineOutputSerializer},
    )
    def post(self, request: Request, patient_id: int) -> Response:
        baseline = baseline_of(patient_for(request, patient_id))
        return _entered_in_error(request, baseline, BaselineOutputSerializer)


# --- enrolment ---------------------------------------------------------------------------------


class EnrolApi(APIView):
    """Enrol a patient whose eligibility an investigator confirmed; gives the subject id."""

    class InputSerializer(serializers.Serializer):
        confirmation = ConfirmationField()

        class Meta:
            ref_name = "EnrolInput"

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        responses={200: PatientOutputSerializer},
    )
    def post(self, request: Request, patient_id: int) -> Response:
        patient = patient_for(request, patient_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patient = patient_enrol(
            patient=patient,
            by=acting_user(request),
            now=timezone.now(),
            confirmation=serializer.validated_data["confirmation"],
        )
        return Response(PatientOutputSerializer(patient).data)
