"""API of post-treatment follow-up: the worklist, visits, death, withdrawal, loss to follow-up.

Every patient is looked up through `Patient.objects.for_user(...)`: other sites answer 404.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from followup import selectors
from followup.models import ContactMethod, ContactOutcome, FollowupDiseaseStatus, Visit, VitalStatus
from followup.services import records
from randomization.selectors import study_end_get
from treatment.apis.relapse import RelapseFindingFields, finding_pop
from trial.access import acting_user, patient_for
from trial.api import ConfirmationField, OpenQueriesField, ReasonField
from trial.apis.idempotency import IDEMPOTENCY_KEY, IDEMPOTENCY_RESPONSES, idempotent
from trial.models import DeathCause


def _visit(request: Request, patient_id: int, pk: int) -> Visit:
    return get_object_or_404(Visit.objects.filter(patient=patient_for(request, patient_id)), pk=pk)


class VisitOutputSerializer(serializers.ModelSerializer[Visit]):
    subject_id = serializers.CharField(source="patient.subject_id", read_only=True)
    site = serializers.CharField(source="patient.site.code", read_only=True)
    relapse_date = serializers.DateField(
        source="relapse.relapse_date",
        read_only=True,
        allow_null=True,
        help_text="Date of the relapse record the visit reports (disease status relapse).",
    )
    open_queries = OpenQueriesField()

    class Meta:
        model = Visit
        fields = [
            "id",
            "patient",
            "subject_id",
            "site",
            "number",
            "month",
            "anchor_date",
            "anchor_provisional",
            "target_date",
            "window_opens",
            "window_closes",
            "overdue_from",
            "missed_from",
            "status",
            "status_reason",
            "contact_date",
            "not_done_reason",
            "vital_status",
            "disease_status",
            "relapse",
            "relapse_date",
            "new_treatment",
            "new_treatment_detail",
            "transplant",
            "transplant_date",
            "open_queries",
        ]


class WorklistApi(APIView):
    class FilterSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FollowupWorklistFilter"

        status = serializers.ChoiceField(
            choices=["due", "overdue", "missed"], required=False, allow_blank=True
        )

    @extend_schema(parameters=[FilterSerializer], responses=VisitOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        """Due, overdue and missed visits of the user's sites."""
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        visits = selectors.worklist_for_user(
            user=acting_user(request),
            status=filters.validated_data.get("status") or None,
        )
        return Response(VisitOutputSerializer(visits, many=True).data)


class StudyEndApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FollowupStudyEndOutput"

        first_randomized_on = serializers.DateField(allow_null=True)
        end_of_study = serializers.DateField(allow_null=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request) -> Response:
        """The trial's one end-of-study date (first randomisation + the study duration)."""
        calendar = study_end_get()
        data = {
            "first_randomized_on": calendar.first_randomized_on if calendar else None,
            "end_of_study": calendar.end_of_study if calendar else None,
        }
        return Response(self.OutputSerializer(data).data)


class PatientVisitListApi(APIView):
    @extend_schema(responses=VisitOutputSerializer(many=True))
    def get(self, request: Request, patient_id: int) -> Response:
        visits = selectors.patient_visits(patient=patient_for(request, patient_id))
        return Response(VisitOutputSerializer(visits, many=True).data)


class LastKnownAliveApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FollowupLastKnownAliveOutput"

        last_known_alive = serializers.DateField(allow_null=True)

    @extend_schema(responses=OutputSerializer)
    def get(self, request: Request, patient_id: int) -> Response:
        day = selectors.last_known_alive(patient_for(request, patient_id))
        return Response(self.OutputSerializer({"last_known_alive": day}).data)


class VisitRecordApi(APIView):
    class InputSerializer(RelapseFindingFields):
        class Meta:
            ref_name = "FollowupVisitRecordInput"

        contact_date = serializers.DateField()
        vital_status = serializers.ChoiceField(choices=VitalStatus.choices)
        disease_status = serializers.ChoiceField(
            choices=FollowupDiseaseStatus.choices,
            help_text="relapse: give relapse_date and how it was established, unless a relapse "
            "is already recorded (the visit then reports that one).",
        )
        relapse_date = serializers.DateField(required=False, allow_null=True, default=None)
        new_treatment = serializers.BooleanField(default=False)
        new_treatment_detail = serializers.CharField(required=False, allow_blank=True, default="")
        transplant = serializers.BooleanField(default=False)
        transplant_date = serializers.DateField(required=False, allow_null=True, default=None)
        reason = ReasonField()
        confirmation = ConfirmationField()

    @extend_schema(
        request=InputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: VisitOutputSerializer, **IDEMPOTENCY_RESPONSES},
    )
    @idempotent("visit_record")
    def post(self, request: Request, patient_id: int, pk: int) -> Response:
        visit = _visit(request, patient_id, pk)
        data = _validated(self.InputSerializer, request)
        visit = records.visit_record(
            visit=visit,
            by=acting_user(request),
            today=timezone.localdate(),
            now=timezone.now(),
            relapse_finding=finding_pop(data),
            **data,
        )
        return Response(VisitOutputSerializer(visit).data)


class VisitNotDoneApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FollowupVisitNotDoneInput"

        not_done_reason = serializers.CharField()
        reason = ReasonField()

    @extend_schema(
        request=InputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: VisitOutputSerializer, **IDEMPOTENCY_RESPONSES},
    )
    @idempotent("visit_not_done")
    def post(self, request: Request, patient_id: int, pk: int) -> Response:
        visit = _visit(request, patient_id, pk)
        data = _validated(self.InputSerializer, request)
        visit = records.visit_not_done_record(
            visit=visit,
            by=acting_user(request),
            **data,
        )
        return Response(VisitOutputSerializer(visit).data)


class RecordOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()


def _validated(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class DeathRecordApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FollowupDeathRecordInput"

        death_date = serializers.DateField()
        cause = serializers.ChoiceField(choices=DeathCause.choices)
        cause_detail = serializers.CharField(required=False, allow_blank=True, default="")
        reason = ReasonField()

    @extend_schema(request=InputSerializer, responses={201: RecordOutputSerializer})
    def post(self, request: Request, patient_id: int) -> Response:
        patient = patient_for(request, patient_id)
        data = _validated(self.InputSerializer, request)
        death = records.death_record(
            patient=patient,
            by=acting_user(request),
            today=timezone.localdate(),
            **data,
        )
        return Response({"id": death.pk}, status=status.HTTP_201_CREATED)


class WithdrawalRecordApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FollowupWithdrawalRecordInput"

        withdrawal_date = serializers.DateField()
        vital_status_may_be_collected = serializers.BooleanField()
        data_may_be_collected = serializers.BooleanField()
        comment = serializers.CharField(required=False, allow_blank=True, default="")
        reason = ReasonField()

    @extend_schema(request=InputSerializer, responses={201: RecordOutputSerializer})
    def post(self, request: Request, patient_id: int) -> Response:
        patient = patient_for(request, patient_id)
        data = _validated(self.InputSerializer, request)
        withdrawal = records.withdrawal_record(
            patient=patient,
            by=acting_user(request),
            today=timezone.localdate(),
            **data,
        )
        return Response({"id": withdrawal.pk}, status=status.HTTP_201_CREATED)


class ContactAttemptApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FollowupContactAttemptInput"

        attempted_on = serializers.DateField()
        method = serializers.ChoiceField(choices=ContactMethod.choices)
        outcome = serializers.ChoiceField(choices=ContactOutcome.choices)
        note = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(
        request=InputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: RecordOutputSerializer, **IDEMPOTENCY_RESPONSES},
    )
    @idempotent("contact_attempt_create")
    def post(self, request: Request, patient_id: int) -> Response:
        patient = patient_for(request, patient_id)
        data = _validated(self.InputSerializer, request)
        attempt = records.contact_attempt_record(
            patient=patient,
            by=acting_user(request),
            today=timezone.localdate(),
            **data,
        )
        return Response({"id": attempt.pk}, status=status.HTTP_201_CREATED)


class LossToFollowUpDeclareApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "FollowupLossToFollowUpDeclareInput"

        comment = serializers.CharField(required=False, allow_blank=True, default="")

    @extend_schema(request=InputSerializer, responses={201: RecordOutputSerializer})
    def post(self, request: Request, patient_id: int) -> Response:
        patient = patient_for(request, patient_id)
        data = _validated(self.InputSerializer, request)
        loss = records.loss_to_followup_declare(
            patient=patient,
            by=acting_user(request),
            today=timezone.localdate(),
            **data,
        )
        return Response({"id": loss.pk}, status=status.HTTP_201_CREATED)
