"""API: sites, screening, eligibility, consent, baseline, enrolment, history.

Every patient is looked up through `Patient.objects.for_user(request.user)`, so a patient of
another site is a 404, and every write is one service call with the clock read here.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import filters, generics, serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trial.api import ReasonField
from trial.models import (
    Baseline,
    Consent,
    MutationResult,
    Patient,
    PatientStatus,
    ProtocolVersion,
    ScreenFailureReason,
    Sex,
    Site,
    User,
)
from trial.permissions import Action
from trial.selectors import patients as patient_selectors
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

TAG = "screening"


# --- shared pieces ---------------------------------------------------------------------------


class ErrorSerializer(serializers.Serializer):
    """A refusal: `detail` says why; validation errors add one list of messages per field."""

    detail = serializers.CharField(required=False)
    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)

    class Meta:
        ref_name = "Error"


def _errors(*codes: int) -> dict[int, OpenApiResponse]:
    meanings = {
        400: "Invalid data: messages per field (the reason for change is under `reason`).",
        403: "Not signed in, or your role does not allow this at the patient's site.",
        404: "No such record among the sites you may see.",
        409: "The patient is not in a state where this applies.",
    }
    return {code: OpenApiResponse(ErrorSerializer, description=meanings[code]) for code in codes}


def _patient(request: Request, patient_id: int) -> Patient:
    """The patient, if the user may see the patient's site; otherwise 404."""
    queryset = Patient.objects.for_user(request.user).select_related(  # type: ignore[arg-type]
        "site", "protocol_version", "eligibility_confirmed_by", "enrolled_by"
    )
    return get_object_or_404(queryset, pk=patient_id)


def _consent(patient: Patient) -> Consent:
    consent = Consent.objects.filter(patient=patient).select_related("obtained_by").first()
    if consent is None:
        raise Http404("No consent is recorded for this patient.")
    return consent


def _baseline(patient: Patient) -> Baseline:
    baseline = Baseline.objects.filter(patient=patient).first()
    if baseline is None:
        raise Http404("No baseline record exists for this patient.")
    return baseline


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # IsAuthenticated guarantees it
    return user


class PatientOutputSerializer(serializers.ModelSerializer[Patient]):
    site_code = serializers.CharField(source="site.code", read_only=True)
    protocol_version = serializers.CharField(source="protocol_version.number", read_only=True)
    eligibility_confirmed_by = serializers.SlugRelatedField[User](
        slug_field="username", read_only=True
    )
    enrolled_by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)

    class Meta:
        model = Patient
        ref_name = "Patient"
        fields = [
            "id",
            "site",
            "site_code",
            "screening_number",
            "screening_date",
            "sex",
            "age_at_screening",
            "protocol_version",
            "status",
            "screen_failure_reason",
            "screen_failure_detail",
            "eligibility_confirmed_by",
            "eligibility_confirmed_at",
            "subject_id",
            "enrolled_at",
            "enrolled_by",
            "entered_in_error",
        ]
        read_only_fields = fields


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    old = serializers.CharField(allow_null=True)
    new = serializers.CharField(allow_null=True)

    class Meta:
        ref_name = "FieldChange"


class HistoryEntrySerializer(serializers.Serializer):
    record = serializers.CharField()
    history_id = serializers.IntegerField(source="entry.history_id")
    when = serializers.DateTimeField(source="entry.when")
    who = serializers.CharField(source="entry.who")
    kind = serializers.ChoiceField(source="entry.kind", choices=["created", "changed", "deleted"])
    reason = serializers.CharField(source="entry.reason")
    changes = FieldChangeSerializer(source="entry.changes", many=True)

    class Meta:
        ref_name = "HistoryEntry"


class EnteredInErrorInputSerializer(serializers.Serializer):
    reason = ReasonField(help_text="Why this record was entered in error (required).")

    class Meta:
        ref_name = "EnteredInErrorInput"


# --- authentication and the signed-in user -----------------------------------------------------


class TokenObtainApi(ObtainAuthToken):
    """Exchange a username and password for the API token of that user."""

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()

        class Meta:
            ref_name = "Token"

    @extend_schema(
        tags=["auth"],
        request=AuthTokenSerializer,
        responses={200: OutputSerializer, **_errors(400)},
        auth=[],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


class MembershipSerializer(serializers.Serializer):
    role = serializers.CharField()
    role_label = serializers.CharField(source="get_role_display")
    site_code = serializers.CharField(source="site.code", allow_null=True, default=None)

    class Meta:
        ref_name = "Membership"


class MeApi(APIView):
    """The signed-in user, their roles and their sites."""

    class OutputSerializer(serializers.Serializer):
        username = serializers.CharField()
        full_name = serializers.CharField(source="get_full_name")
        roles = serializers.ListField(child=serializers.CharField(), source="role_labels")
        sites = serializers.ListField(child=serializers.CharField(), source="site_labels")
        memberships = MembershipSerializer(source="active_memberships", many=True)

        class Meta:
            ref_name = "Me"

    @extend_schema(tags=["auth"], responses={200: OutputSerializer, **_errors(403)})
    def get(self, request: Request) -> Response:
        return Response(self.OutputSerializer(_user(request)).data)


# --- configuration: sites and protocol versions ------------------------------------------------


class SiteOutputSerializer(serializers.ModelSerializer[Site]):
    class Meta:
        model = Site
        ref_name = "Site"
        fields = ["id", "code", "name", "active"]


def _sites_for(user: User) -> QuerySet[Site]:
    """The sites where the user holds a role (all of them for a trial-wide role)."""
    site_ids = user.site_ids_for(Action.VIEW)
    sites = Site.objects.order_by("code")
    return sites if site_ids is None else sites.filter(pk__in=site_ids)


class SiteListApi(generics.ListAPIView[Site]):
    """The sites where you hold a role (every site for a trial-wide role)."""

    queryset = Site.objects.none()
    serializer_class = SiteOutputSerializer
    filter_backends: list[type] = []

    def get_queryset(self) -> QuerySet[Site]:
        return _sites_for(_user(self.request))

    @extend_schema(tags=["sites"], responses={200: SiteOutputSerializer(many=True), **_errors(403)})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class SiteDetailApi(APIView):
    @extend_schema(tags=["sites"], responses={200: SiteOutputSerializer, **_errors(403, 404)})
    def get(self, request: Request, site_id: int) -> Response:
        site = get_object_or_404(_sites_for(_user(request)), pk=site_id)
        return Response(SiteOutputSerializer(site).data)


class CriterionOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    kind = serializers.CharField()
    text = serializers.CharField()
    position = serializers.IntegerField()
    editable = serializers.BooleanField()

    class Meta:
        ref_name = "Criterion"


class ProtocolVersionListApi(generics.ListAPIView[ProtocolVersion]):
    """Protocol versions, oldest first, each with its eligibility criteria."""

    class OutputSerializer(serializers.ModelSerializer[ProtocolVersion]):
        criteria = serializers.SerializerMethodField()

        class Meta:
            model = ProtocolVersion
            ref_name = "ProtocolVersion"
            fields = ["id", "number", "effective_date", "description", "criteria"]

        @extend_schema_field(CriterionOutputSerializer(many=True))
        def get_criteria(self, version: ProtocolVersion) -> Any:
            ordered = sorted(version.criteria.all(), key=lambda c: (c.position, c.code))
            return CriterionOutputSerializer(ordered, many=True).data

    queryset = ProtocolVersion.objects.prefetch_related("criteria").order_by("effective_date")
    serializer_class = OutputSerializer
    filter_backends: list[type] = []

    @extend_schema(tags=["sites"], responses={200: OutputSerializer(many=True), **_errors(403)})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


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

        class Meta:
            ref_name = "PatientScreenInput"

    queryset = Patient.objects.none()
    serializer_class = PatientOutputSerializer
    filter_backends = [DjangoFilterBackend, filters.SearchFilter]
    filterset_class = PatientFilter
    search_fields = ["screening_number", "subject_id"]

    def get_queryset(self) -> QuerySet[Patient]:
        return (
            Patient.objects.for_user(self.request.user)  # type: ignore[arg-type]
            .select_related("site", "protocol_version", "eligibility_confirmed_by", "enrolled_by")
            .order_by("site__code", "screening_number")
        )

    @extend_schema(tags=[TAG], responses={200: PatientOutputSerializer(many=True), **_errors(403)})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        responses={201: PatientOutputSerializer, **_errors(400, 403)},
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patient = patient_screen(
            **serializer.validated_data, by=_user(request), today=timezone.localdate()
        )
        return Response(PatientOutputSerializer(patient).data, status=status.HTTP_201_CREATED)


class PatientDetailApi(APIView):
    """GET: one patient. PATCH: correct sex, age or screening date, with a reason."""

    class InputSerializer(serializers.Serializer):
        screening_date = serializers.DateField(required=False)
        sex = serializers.ChoiceField(choices=Sex.choices, required=False)
        age_at_screening = serializers.IntegerField(min_value=0, max_value=120, required=False)
        reason = ReasonField()

        class Meta:
            ref_name = "PatientUpdateInput"

    @extend_schema(tags=[TAG], responses={200: PatientOutputSerializer, **_errors(403, 404)})
    def get(self, request: Request, patient_id: int) -> Response:
        return Response(PatientOutputSerializer(_patient(request, patient_id)).data)

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        responses={200: PatientOutputSerializer, **_errors(400, 403, 404)},
    )
    def patch(self, request: Request, patient_id: int) -> Response:
        patient = _patient(request, patient_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        reason = fields.pop("reason")
        patient = patient_update(
            patient=patient, by=_user(request), reason=reason, today=timezone.localdate(), **fields
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

    @extend_schema(tags=[TAG], responses={200: EligibilitySheetSerializer, **_errors(403, 404)})
    def get(self, request: Request, patient_id: int) -> Response:
        patient = _patient(request, patient_id)
        sheet = patient_selectors.patient_eligibility_sheet(patient=patient)
        return Response(EligibilitySheetSerializer(sheet).data)

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        responses={200: EligibilitySheetSerializer, **_errors(400, 403, 404)},
    )
    def put(self, request: Request, patient_id: int) -> Response:
        patient = _patient(request, patient_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        eligibility_record(patient=patient, by=_user(request), **serializer.validated_data)
        sheet = patient_selectors.patient_eligibility_sheet(patient=patient)
        return Response(EligibilitySheetSerializer(sheet).data)


class EligibilityConfirmApi(APIView):
    """The investigator confirms that the patient meets every criterion."""

    @extend_schema(
        tags=[TAG],
        request=None,
        responses={200: PatientOutputSerializer, **_errors(400, 403, 404, 409)},
    )
    def post(self, request: Request, patient_id: int) -> Response:
        patient = _patient(request, patient_id)
        patient = patient_eligibility_confirm(
            patient=patient, by=_user(request), now=timezone.now()
        )
        return Response(PatientOutputSerializer(patient).data)


class ScreenFailureApi(APIView):
    """Close screening for a patient who will not be enrolled (CONSORT reason)."""

    class InputSerializer(serializers.Serializer):
        reason = serializers.ChoiceField(choices=ScreenFailureReason.choices)
        detail = serializers.CharField(allow_blank=True, required=False, default="")

        class Meta:
            ref_name = "ScreenFailureInput"

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        responses={200: PatientOutputSerializer, **_errors(400, 403, 404, 409)},
    )
    def post(self, request: Request, patient_id: int) -> Response:
        patient = _patient(request, patient_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patient = patient_screen_fail(
            patient=patient, by=_user(request), **serializer.validated_data
        )
        return Response(PatientOutputSerializer(patient).data)


# --- consent and baseline ----------------------------------------------------------------------


class ConsentOutputSerializer(serializers.ModelSerializer[Consent]):
    obtained_by = serializers.SlugRelatedField[User](slug_field="username", read_only=True)

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
        ]
        read_only_fields = fields


class ConsentApi(APIView):
    """GET: the patient's consent. PUT: record it, or correct it with a reason."""

    class InputSerializer(serializers.Serializer):
        consent_date = serializers.DateField()
        form_version = serializers.CharField(max_length=40)
        obtained_by = serializers.SlugRelatedField[User](
            slug_field="username",
            queryset=User.objects.filter(is_active=True),
            required=False,
            help_text="Username of who obtained the consent; you, when left out.",
        )
        reason = ReasonField()

        class Meta:
            ref_name = "ConsentInput"

    @extend_schema(tags=[TAG], responses={200: ConsentOutputSerializer, **_errors(403, 404)})
    def get(self, request: Request, patient_id: int) -> Response:
        consent = _consent(_patient(request, patient_id))
        return Response(ConsentOutputSerializer(consent).data)

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        responses={200: ConsentOutputSerializer, **_errors(400, 403, 404)},
    )
    def put(self, request: Request, patient_id: int) -> Response:
        patient = _patient(request, patient_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        user = _user(request)
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

    class Meta:
        model = Baseline
        ref_name = "Baseline"
        fields = [
            "id",
            *BASELINE_FIELDS,
            "mutations",
            "entered_in_error",
            "entered_in_error_reason",
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

        class Meta:
            model = Baseline
            ref_name = "BaselineInput"
            fields = [*BASELINE_FIELDS, "mutations", "reason"]

    @extend_schema(tags=[TAG], responses={200: BaselineOutputSerializer, **_errors(403, 404)})
    def get(self, request: Request, patient_id: int) -> Response:
        baseline = _baseline(_patient(request, patient_id))
        return Response(BaselineOutputSerializer(baseline).data)

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        responses={200: BaselineOutputSerializer, **_errors(400, 403, 404)},
    )
    def put(self, request: Request, patient_id: int) -> Response:
        patient = _patient(request, patient_id)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        baseline = baseline_record(
            patient=patient,
            mutations=data.pop("mutations", {}),
            reason=data.pop("reason"),
            data=data,
            by=_user(request),
            today=timezone.localdate(),
        )
        return Response(BaselineOutputSerializer(baseline).data)


class ConsentEnteredInErrorApi(APIView):
    """Mark the consent as entered in error; it stays, with its history."""

    @extend_schema(
        tags=[TAG],
        request=EnteredInErrorInputSerializer,
        responses={200: ConsentOutputSerializer, **_errors(400, 403, 404, 409)},
    )
    def post(self, request: Request, patient_id: int) -> Response:
        consent = _consent(_patient(request, patient_id))
        serializer = EnteredInErrorInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record_mark_entered_in_error(
            record=consent, by=_user(request), reason=serializer.validated_data["reason"]
        )
        return Response(ConsentOutputSerializer(consent).data)


class BaselineEnteredInErrorApi(APIView):
    """Mark the baseline record as entered in error; it stays, with its history."""

    @extend_schema(
        tags=[TAG],
        request=EnteredInErrorInputSerializer,
        responses={200: BaselineOutputSerializer, **_errors(400, 403, 404, 409)},
    )
    def post(self, request: Request, patient_id: int) -> Response:
        baseline = _baseline(_patient(request, patient_id))
        serializer = EnteredInErrorInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record_mark_entered_in_error(
            record=baseline, by=_user(request), reason=serializer.validated_data["reason"]
        )
        return Response(BaselineOutputSerializer(baseline).data)


# --- enrolment ---------------------------------------------------------------------------------


class EnrolApi(APIView):
    """Enrol a patient whose eligibility an investigator confirmed; gives the subject id."""

    @extend_schema(
        tags=[TAG],
        request=None,
        responses={200: PatientOutputSerializer, **_errors(400, 403, 404, 409)},
    )
    def post(self, request: Request, patient_id: int) -> Response:
        patient = _patient(request, patient_id)
        patient = patient_enrol(patient=patient, by=_user(request), now=timezone.now())
        return Response(PatientOutputSerializer(patient).data)


# --- history -----------------------------------------------------------------------------------

_HISTORY = {200: HistoryEntrySerializer(many=True), **_errors(403, 404)}


class PatientHistoryApi(APIView):
    """Who changed the patient's screening-log entry, when, what (old → new) and why."""

    @extend_schema(tags=["history"], responses=_HISTORY)
    def get(self, request: Request, patient_id: int) -> Response:
        patient = _patient(request, patient_id)
        entries = patient_selectors.patient_history(patient=patient)
        return Response(HistoryEntrySerializer(entries, many=True).data)


class ConsentHistoryApi(APIView):
    @extend_schema(tags=["history"], responses=_HISTORY)
    def get(self, request: Request, patient_id: int) -> Response:
        consent = _consent(_patient(request, patient_id))
        entries = patient_selectors.histories_merged([("Consent", consent)])
        return Response(HistoryEntrySerializer(entries, many=True).data)


class BaselineHistoryApi(APIView):
    """The history of the baseline record and of its mutation results, newest first."""

    @extend_schema(tags=["history"], responses=_HISTORY)
    def get(self, request: Request, patient_id: int) -> Response:
        baseline = _baseline(_patient(request, patient_id))
        entries = patient_selectors.baseline_history(baseline=baseline)
        return Response(HistoryEntrySerializer(entries, many=True).data)


class EligibilityHistoryApi(APIView):
    """The histories of all the patient's eligibility answers, merged, newest first."""

    @extend_schema(tags=["history"], responses=_HISTORY)
    def get(self, request: Request, patient_id: int) -> Response:
        patient = _patient(request, patient_id)
        entries = patient_selectors.eligibility_history(patient=patient)
        return Response(HistoryEntrySerializer(entries, many=True).data)


_P = "patients/<int:patient_id>/"

urlpatterns: list[URLPattern] = [
    path("auth/token/", TokenObtainApi.as_view(), name="api-token"),
    path("me/", MeApi.as_view(), name="api-me"),
    path("sites/", SiteListApi.as_view(), name="api-site-list"),
    path("sites/<int:site_id>/", SiteDetailApi.as_view(), name="api-site-detail"),
    path("protocol-versions/", ProtocolVersionListApi.as_view(), name="api-protocol-versions"),
    path("patients/", PatientListApi.as_view(), name="api-patient-list"),
    path(_P, PatientDetailApi.as_view(), name="api-patient-detail"),
    path(f"{_P}history/", PatientHistoryApi.as_view(), name="api-patient-history"),
    path(f"{_P}eligibility/", EligibilityApi.as_view(), name="api-eligibility"),
    path(
        f"{_P}eligibility/confirm/",
        EligibilityConfirmApi.as_view(),
        name="api-eligibility-confirm",
    ),
    path(
        f"{_P}eligibility/history/",
        EligibilityHistoryApi.as_view(),
        name="api-eligibility-history",
    ),
    path(f"{_P}screen-failure/", ScreenFailureApi.as_view(), name="api-screen-failure"),
    path(f"{_P}consent/", ConsentApi.as_view(), name="api-consent"),
    path(f"{_P}consent/history/", ConsentHistoryApi.as_view(), name="api-consent-history"),
    path(
        f"{_P}consent/entered-in-error/",
        ConsentEnteredInErrorApi.as_view(),
        name="api-consent-entered-in-error",
    ),
    path(f"{_P}baseline/", BaselineApi.as_view(), name="api-baseline"),
    path(f"{_P}baseline/history/", BaselineHistoryApi.as_view(), name="api-baseline-history"),
    path(
        f"{_P}baseline/entered-in-error/",
        BaselineEnteredInErrorApi.as_view(),
        name="api-baseline-entered-in-error",
    ),
    path(f"{_P}enrol/", EnrolApi.as_view(), name="api-enrol"),
]
