"""API of verification: a patient's form status matrix, source-data verification of a record (or
named fields of it), and locks of a record, a patient or the database at a cut-off, with their
release (docs/protocol.md "Data cleaning and locking").

Patients and records are looked up through the site-scoped querysets (another site's is a 404),
locks through those the user may see; the services check the roles (403) and the lock
requirements (409, the refusal lists what is missing). Each write is one service call.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trial.access import acting_user, patient_for
from trial.apis.idempotency import IDEMPOTENCY_KEY, IDEMPOTENCY_RESPONSES, idempotent
from trial.selectors.history import clinical_record_get
from verification import selectors
from verification.models import Lock, LockScope, SdvMark
from verification.services import locks, sdv

TAG = "verification"


class RecordStatusOutput(serializers.Serializer):
    record_type = serializers.CharField(help_text="The record's model name, as in its URLs.")
    record_id = serializers.IntegerField(source="record.pk")
    title = serializers.CharField()
    sdv_required = serializers.BooleanField(
        source="required", help_text="The SDV plan asks a monitor to verify it."
    )
    verified = serializers.BooleanField()
    verified_fields = serializers.ListField(child=serializers.CharField())
    locked = serializers.BooleanField()
    open_queries = serializers.IntegerField()
    draft = serializers.BooleanField(help_text="Saved with required fields missing.")
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="Of a draft: the required fields left empty."
    )

    class Meta:
        ref_name = "FormRecordStatus"


class FormRowOutput(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=selectors.FormStatus.values)
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="Of an incomplete form: the fields it misses."
    )
    started = serializers.BooleanField()
    verified = serializers.BooleanField()
    signed = serializers.BooleanField()
    locked = serializers.BooleanField()
    sdv_required = serializers.BooleanField()
    open_queries = serializers.IntegerField()
    records = RecordStatusOutput(many=True)

    class Meta:
        ref_name = "FormStatusRow"


class PatientFormsApi(APIView):
    """GET: the patient's form status matrix (not started, incomplete, complete, verified,
    signed, locked), with SDV and open queries per record."""

    @extend_schema(tags=[TAG], responses={200: FormRowOutput(many=True)})
    def get(self, request: Request, patient_id: int) -> Response:
        rows = selectors.patient_form_matrix(patient_for(request, patient_id))
        return Response(FormRowOutput(rows, many=True).data)


class SdvMarkOutput(serializers.ModelSerializer[SdvMark]):
    record_type = serializers.CharField(source="content_type.model")
    record_id = serializers.IntegerField(source="object_id")
    field = serializers.CharField(source="field_name", help_text="Empty: the whole record.")
    verified_by = serializers.CharField(source="verified_by.username")

    class Meta:
        model = SdvMark
        fields = ["id", "record_type", "record_id", "field", "verified_by", "verified_at"]


class RecordVerifyApi(APIView):
    """POST: mark the record (no `fields`) or the named fields of it verified against source
    (monitors). Marks already valid are kept; the answer lists the record's valid marks."""

    class InputSerializer(serializers.Serializer):
        fields = serializers.ListField(  # type: ignore[assignment]
            child=serializers.CharField(max_length=64),
            required=False,
            default=list,
            help_text="Field names; empty or absent: the whole record.",
        )

        class Meta:
            ref_name = "RecordVerifyInput"

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: SdvMarkOutput(many=True), **IDEMPOTENCY_RESPONSES},
    )
    @idempotent("record_verify")
    def post(self, request: Request, patient_id: int, record_type: str, pk: int) -> Response:
        user = acting_user(request)
        patient = patient_for(request, patient_id)
        record = clinical_record_get(
            user=user, patient_id=patient.pk, record_type=record_type, pk=pk
        )
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sdv.sdv_mark(
            record=record, by=user, now=timezone.now(), fields=data.validated_data["fields"]
        )
        marks = [m for m in selectors.record_marks(record) if m.valid]
        return Response(SdvMarkOutput(marks, many=True).data, status=201)


class LockOutput(serializers.ModelSerializer[Lock]):
    scope = serializers.ChoiceField(choices=LockScope.choices)
    record_type = serializers.CharField(source="content_type.model", allow_null=True, default=None)
    record_id = serializers.IntegerField(source="object_id", allow_null=True)
    locked_by = serializers.CharField(source="locked_by.username")
    unlocked_by = serializers.CharField(
        source="unlocked_by.username", allow_null=True, default=None
    )
    in_force = serializers.BooleanField()

    class Meta:
        model = Lock
        fields = [
            "id",
            "scope",
            "patient",
            "record_type",
            "record_id",
            "cutoff_date",
            "reason",
            "locked_by",
            "locked_at",
            "in_force",
            "unlocked_by",
            "unlocked_at",
            "unlock_reason",
        ]


class LockInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        ref_name = "LockInput"


class LockListApi(APIView):
    """GET: the locks in force the user may see (database locks, and those of patients of the
    user's sites), newest first."""

    @extend_schema(tags=[TAG], responses={200: LockOutput(many=True)})
    def get(self, request: Request) -> Response:
        rows = selectors.locks_for_user(acting_user(request)).filter(unlocked_at=None)
        return Response(LockOutput(rows.select_related("content_type"), many=True).data)


def _created(lock: Lock) -> Response:
    return Response(LockOutput(lock).data, status=201)


class RecordLockApi(APIView):
    """POST: lock one record of a patient (data managers)."""

    @extend_schema(
        tags=[TAG],
        request=LockInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: LockOutput, **IDEMPOTENCY_RESPONSES},
    )
    @idempotent("record_lock")
    def post(self, request: Request, patient_id: int, record_type: str, pk: int) -> Response:
        user = acting_user(request)
        patient = patient_for(request, patient_id)
        record = clinical_record_get(
            user=user, patient_id=patient.pk, record_type=record_type, pk=pk
        )
        data = LockInput(data=request.data)
        data.is_valid(raise_exception=True)
        return _created(
            locks.record_lock(record=record, by=user, now=timezone.now(), **data.validated_data)
        )


class PatientLockApi(APIView):
    """POST: lock every record of a patient (data managers), once the patient's forms meet the
    lock requirements; otherwise 409 listing what is missing."""

    @extend_schema(
        tags=[TAG],
        request=LockInput,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: LockOutput, **IDEMPOTENCY_RESPONSES},
    )
    @idempotent("patient_lock")
    def post(self, request: Request, patient_id: int) -> Response:
        patient = patient_for(request, patient_id)
        data = LockInput(data=request.data)
        data.is_valid(raise_exception=True)
        return _created(
            locks.patient_lock(
                patient=patient, by=acting_user(request), now=timezone.now(), **data.validated_data
            )
        )


class DatabaseLockApi(APIView):
    """POST: lock every record dated on or before the cut-off, at every site (trial-wide data
    managers)."""

    class InputSerializer(LockInput):
        cutoff_date = serializers.DateField()

        class Meta:
            ref_name = "DatabaseLockInput"

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: LockOutput, **IDEMPOTENCY_RESPONSES},
    )
    @idempotent("database_lock")
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _created(
            locks.database_lock(by=acting_user(request), now=timezone.now(), **data.validated_data)
        )


class LockReleaseApi(APIView):
    """POST: release a lock in force, with the reason (data managers; trial-wide for a database
    lock). The lock's row and history stay."""

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField()

        class Meta:
            ref_name = "LockReleaseInput"

    @extend_schema(tags=[TAG], request=InputSerializer, responses={200: LockOutput})
    def post(self, request: Request, lock_id: int) -> Response:
        user = acting_user(request)
        lock: Any = get_object_or_404(selectors.locks_for_user(user), pk=lock_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        released = locks.lock_release(
            lock=lock, by=user, now=timezone.now(), reason=data.validated_data["reason"]
        )
        return Response(LockOutput(released).data)
