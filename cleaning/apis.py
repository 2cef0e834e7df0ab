"""API of data queries: list and read (with their thread and history), raise on a record,
answer, close and re-open; the declared edit checks.

Queries are looked up through `DataQuery.objects.for_user(...)`, records through the patient's
site: another site's query or record is a 404. Each write is one service call.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cleaning import selectors
from cleaning.checks.base import Severity
from cleaning.checks.registry import EDIT_CHECKS
from cleaning.models import (
    DataQuery,
    MessageKind,
    QueryCategory,
    QueryMessage,
    QueryOrigin,
    QueryStateChange,
)
from cleaning.selectors import AGE_FILTERS, STATE_FILTERS, QueryFilters
from cleaning.services import queries as services
from trial.access import acting_user, patient_for
from trial.apis.common import HistoryEntrySerializer, error_responses
from trial.selectors.history import clinical_record_get, record_history

TAG = "data queries"


class MessageOutput(serializers.ModelSerializer[QueryMessage]):
    author = serializers.CharField(source="author.username", allow_null=True, default=None)
    kind = serializers.ChoiceField(choices=MessageKind.choices)

    class Meta:
        model = QueryMessage
        fields = ["kind", "author", "written_at", "text"]


class StateChangeOutput(serializers.ModelSerializer[QueryStateChange]):
    by = serializers.CharField(source="by.username", allow_null=True, default=None)

    class Meta:
        model = QueryStateChange
        fields = ["from_state", "to_state", "by", "at", "note"]


class QueryOutput(serializers.ModelSerializer[DataQuery]):
    site = serializers.CharField(source="patient.site.code")
    subject = serializers.CharField(source="patient.__str__")
    record_type = serializers.CharField(source="content_type.model")
    record_id = serializers.IntegerField(source="object_id")
    field = serializers.CharField(source="field_name")
    raised_by = serializers.CharField(source="raised_by.username", allow_null=True, default=None)
    closed_by = serializers.CharField(source="closed_by.username", allow_null=True, default=None)
    edit_check = serializers.CharField(source="rule_id")
    text = serializers.CharField(help_text="The question, or what the edit check found.")
    days_open = serializers.FloatField()
    days_to_answer = serializers.FloatField(allow_null=True)
    days_to_close = serializers.FloatField(allow_null=True)

    class Meta:
        model = DataQuery
        fields = [
            "id",
            "site",
            "patient",
            "subject",
            "record_type",
            "record_id",
            "field",
            "category",
            "origin",
            "edit_check",
            "state",
            "raised_by",
            "raised_at",
            "first_answered_at",
            "answered_at",
            "closed_at",
            "closed_by",
            "text",
            "days_open",
            "days_to_answer",
            "days_to_close",
        ]

    def to_representation(self, instance: DataQuery) -> dict[str, Any]:
        ageing = selectors.ageing(instance, self.context.get("now") or timezone.now())
        for name, value in ageing.items():
            setattr(instance, name, value)
        instance.text = instance.finding or getattr(instance, "text", "")  # type: ignore[attr-defined]
        return super().to_representation(instance)


class QueryDetailOutput(QueryOutput):
    messages = MessageOutput(many=True, read_only=True)
    transitions = StateChangeOutput(many=True, read_only=True)

    class Meta(QueryOutput.Meta):
        fields = [*QueryOutput.Meta.fields, "messages", "transitions"]


def _query(request: Request, query_id: int) -> DataQuery:
    visible = selectors.with_text(DataQuery.objects.for_user(acting_user(request)))
    return get_object_or_404(
        visible.select_related("patient__site", "content_type", "raised_by", "closed_by"),
        pk=query_id,
    )


def _detail(request: Request, query_id: int) -> Response:
    query = _query(request, query_id)
    return Response(QueryDetailOutput(query).data)


class QueryListApi(ListAPIView[DataQuery]):
    """The data queries of the sites you may see, oldest first, with their ageing."""

    class FilterSerializer(serializers.Serializer):
        site = serializers.CharField(required=False, help_text="Site code.")
        state = serializers.ChoiceField(choices=list(STATE_FILTERS), default="unresolved")
        category = serializers.ChoiceField(choices=QueryCategory.choices, required=False)
        origin = serializers.ChoiceField(choices=QueryOrigin.choices, required=False)
        form = serializers.CharField(required=False, help_text="Kind of record, e.g. visit.")
        min_days_open = serializers.ChoiceField(choices=list(AGE_FILTERS), required=False)
        patient = serializers.IntegerField(required=False)
        edit_check = serializers.CharField(required=False)

        class Meta:
            ref_name = "QueryListFilter"

    serializer_class = QueryOutput
    queryset = DataQuery.objects.none()
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        filters = self.FilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        d = filters.validated_data
        chosen = QueryFilters(
            site=d.get("site", ""),
            state=d["state"],
            category=d.get("category", ""),
            origin=d.get("origin", ""),
            form=d.get("form", ""),
            min_days_open=int(d["min_days_open"]) if d.get("min_days_open") else None,
            patient_id=d.get("patient"),
            rule=d.get("edit_check", ""),
        )
        return selectors.queries_for_user(
            user=acting_user(self.request), filters=chosen, now=timezone.now()
        )

    @extend_schema(
        tags=[TAG],
        parameters=[FilterSerializer],
        responses={200: QueryOutput(many=True), **error_responses(400, 403)},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class QueryDetailApi(APIView):
    """One query with its messages and state changes (who, when)."""

    @extend_schema(tags=[TAG], responses={200: QueryDetailOutput, **error_responses(403, 404)})
    def get(self, request: Request, query_id: int) -> Response:
        return _detail(request, query_id)


class QueryHistoryApi(APIView):
    """The audit history of the query's own row: every state it went through, by whom, when."""

    @extend_schema(
        tags=[TAG], responses={200: HistoryEntrySerializer(many=True), **error_responses(404)}
    )
    def get(self, request: Request, query_id: int) -> Response:
        query = _query(request, query_id)
        entries = [{"record": str(query), "entry": e} for e in record_history(query)]
        return Response(HistoryEntrySerializer(entries, many=True).data)


class TextInput(serializers.Serializer):
    text = serializers.CharField()

    class Meta:
        ref_name = "QueryTextInput"


class OptionalTextInput(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        ref_name = "QueryOptionalTextInput"


def _act(
    request: Request, query_id: int, serializer: type[serializers.Serializer], service: Any
) -> Response:
    query = _query(request, query_id)
    data = serializer(data=request.data)
    data.is_valid(raise_exception=True)
    service(query=query, by=acting_user(request), now=timezone.now(), **data.validated_data)
    return _detail(request, query_id)


_ACTION_ERRORS = error_responses(400, 403, 404, 409)


class QueryAnswerApi(APIView):
    """The site team answers an open query (correct the data first through its record)."""

    @extend_schema(
        tags=[TAG], request=TextInput, responses={200: QueryDetailOutput, **_ACTION_ERRORS}
    )
    def post(self, request: Request, query_id: int) -> Response:
        return _act(request, query_id, TextInput, services.query_answer)


class QueryCloseApi(APIView):
    """A data manager or monitor closes an open or answered query."""

    @extend_schema(
        tags=[TAG], request=OptionalTextInput, responses={200: QueryDetailOutput, **_ACTION_ERRORS}
    )
    def post(self, request: Request, query_id: int) -> Response:
        return _act(request, query_id, OptionalTextInput, services.query_close)


class QueryReopenApi(APIView):
    """A data manager or monitor opens an answered or closed query again, with a message."""

    @extend_schema(
        tags=[TAG], request=TextInput, responses={200: QueryDetailOutput, **_ACTION_ERRORS}
    )
    def post(self, request: Request, query_id: int) -> Response:
        return _act(request, query_id, TextInput, services.query_reopen)


class RecordQueriesApi(APIView):
    """GET: every query on a record. POST: raise one (data managers and monitors).

    `record_type` is the record's model name (visit, consent, baseline, cycle, …), as in
    /api/v1/record-types/.
    """

    class InputSerializer(serializers.Serializer):
        field = serializers.CharField(
            required=False, allow_blank=True, default="", help_text="Empty: the whole record."
        )
        category = serializers.ChoiceField(choices=QueryCategory.choices)
        text = serializers.CharField()

        class Meta:
            ref_name = "QueryRaiseInput"

    def _record(self, request: Request, patient_id: int, record_type: str, pk: int) -> Any:
        patient = patient_for(request, patient_id)
        return clinical_record_get(
            user=acting_user(request), patient_id=patient.pk, record_type=record_type, pk=pk
        )

    @extend_schema(tags=[TAG], responses={200: QueryOutput(many=True), **error_responses(404)})
    def get(self, request: Request, patient_id: int, record_type: str, pk: int) -> Response:
        record = self._record(request, patient_id, record_type, pk)
        rows = selectors.record_queries(record).select_related("patient__site", "content_type")
        return Response(QueryOutput(rows, many=True).data)

    @extend_schema(
        tags=[TAG],
        request=InputSerializer,
        responses={201: QueryDetailOutput, **error_responses(400, 403, 404)},
    )
    def post(self, request: Request, patient_id: int, record_type: str, pk: int) -> Response:
        record = self._record(request, patient_id, record_type, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        query = services.query_raise(
            record=record,
            field_name=d["field"],
            category=d["category"],
            text=d["text"],
            by=acting_user(request),
            now=timezone.now(),
        )
        return Response(_detail(request, query.pk).data, status=status.HTTP_201_CREATED)


class EditCheckOutput(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    applies_to = serializers.CharField()
    severity = serializers.ChoiceField(choices=Severity.choices)
    category = serializers.ChoiceField(choices=QueryCategory.choices)
    setting = serializers.CharField(help_text="Where its numbers are configured, if anywhere.")
    models = serializers.ListField(child=serializers.CharField(), source="model_labels")

    class Meta:
        ref_name = "EditCheck"


class EditCheckListApi(APIView):
    """The automatic edit checks declared in the system (cleaning/checks/registry.py)."""

    @extend_schema(tags=[TAG], responses=EditCheckOutput(many=True))
    def get(self, request: Request) -> Response:
        rows = [
            {**check.__dict__, "model_labels": [m._meta.label_lower for m in check.models]}
            for check in EDIT_CHECKS
        ]
        return Response(EditCheckOutput(rows, many=True).data)
