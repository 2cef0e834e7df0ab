"""What every screening-to-enrolment API view shares: the site-isolated
patient lookup, and the serializers used by several endpoints.

Every patient is looked up through `Patient.objects.for_user(request.user)`, so a patient of
another site is a 404, and every write is one service call with the clock read in the view.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from rest_framework import serializers

from trial.api import OpenQueriesField, ReasonField
from trial.models import (
    Baseline,
    Consent,
    Patient,
    ScreenFailureReason,
    User,
)

TAG = "screening"

# --- shared pieces ---------------------------------------------------------------------------


def consent_of(patient: Patient) -> Consent:
    consent = Consent.objects.filter(patient=patient).select_related("obtained_by").first()
    if consent is None:
        raise Http404(_("No consent is recorded for this patient."))
    return consent


def baseline_of(patient: Patient) -> Baseline:
    baseline = Baseline.objects.filter(patient=patient).first()
    if baseline is None:
        raise Http404(_("No baseline record exists for this patient."))
    return baseline


class PatientOutputSerializer(serializers.ModelSerializer[Patient]):
    site_code = serializers.CharField(source="site.code", read_only=True)
    protocol_version = serializers.CharField(source="protocol_version.number", read_only=True)
    # Declared so that the schema says what the API returns: "" before a screen failure, null
    # before eligibility is confirmed or the patient enrolled.
    screen_failure_reason = serializers.ChoiceField(
        choices=ScreenFailureReason.choices, allow_blank=True, read_only=True
    )
    eligibility_confirmed_by = serializers.SlugRelatedField[User](
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Username of the investigator who confirmed eligibility; null until then.",
    )
    enrolled_by = serializers.SlugRelatedField[User](
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Username of who enrolled the patient; null until enrolment.",
    )
    open_queries = OpenQueriesField()

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
            "open_queries",
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


_M = TypeVar("_M", bound=Model)


def patient_record(queryset: QuerySet[_M], patient: Patient, pk: int) -> _M:
    """A record of this patient (a record of another patient, even of the same site: 404)."""
    return get_object_or_404(queryset, patient=patient, pk=pk)
