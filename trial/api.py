"""API plumbing shared by every app: the one exception handler, the reason-for-change and
confirmation fields, and the open data queries shown with any clinical record."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from trial.data_queries import open_queries_of
from trial.exceptions import ApplicationError


def _django_errors(error: DjangoValidationError) -> dict[str, Any]:
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if k == "__all__" else k): [str(m) for e in v for m in e.messages]
            for k, v in error.error_dict.items()
        }
    return {"non_field_errors": list(error.messages)}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Turn domain errors and Django validation errors into 400/403/409 with field messages."""
    if isinstance(exc, DjangoValidationError):
        errors = _django_errors(exc)
        detail = "; ".join(m for messages in errors.values() for m in messages)
        return Response({"detail": detail, **errors}, status=400)
    if isinstance(exc, ApplicationError):
        return Response({"detail": exc.message, **exc.field_errors}, status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    return drf_exception_handler(exc, context)


class ReasonField(serializers.CharField):
    """The reason for change that any correction of a clinical record must carry."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault(
            "help_text", "Reason for change; required when correcting a recorded value."
        )
        super().__init__(**kwargs)


class ConfirmationField(serializers.CharField):
    """The entering user's word that a value an automatic edit check flags is right."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault(
            "help_text",
            "Optional: if an automatic edit check flags a value you know is right, say why; "
            "its query then opens already answered.",
        )
        super().__init__(**kwargs)


class OpenQuerySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    field = serializers.CharField(help_text="The field the query is about; empty: the record.")
    state = serializers.CharField(help_text="open, or answered (waiting to be closed).")
    category = serializers.CharField()
    origin = serializers.CharField(
        help_text="manual (raised by a person) or system (an edit check)."
    )
    rule = serializers.CharField(help_text="The edit check that raised it (system queries).")
    text = serializers.CharField()
    raised_at = serializers.DateTimeField()

    class Meta:
        ref_name = "OpenQuery"


@extend_schema_field(OpenQuerySerializer(many=True))
class OpenQueriesField(serializers.Field):
    """Read-only: the data queries still open on this record (GET /api/v1/queries/{id}/)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> list[dict[str, Any]]:
        # The serializer's context lives as long as the listing, and the listing's records are
        # those of the enclosing list serializer: one look-up for every patient of a page.
        cache = self.context.setdefault("_open_queries", {})
        listing = getattr(getattr(self.parent, "parent", None), "instance", None)
        siblings = listing if isinstance(listing, list | QuerySet) else ()
        rows = open_queries_of(value, cache, siblings)
        return [OpenQuerySerializer(row).data for row in rows]
