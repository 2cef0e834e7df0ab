"""API plumbing shared by every app: the one error shape, bounded inputs, the reason-for-change
and confirmation fields, and the open data queries shown with any clinical record.

Every error of the API has one JSON shape (drf-standardized-errors)::

    {"type": "validation_error" | "client_error" | "server_error",
     "errors": [{"code": "...", "detail": "...", "attr": "<field>" | null}]}

`attr` names the input field at fault (nested fields joined by dots, `non_field_errors` for
the record as a whole). Domain errors (trial/exceptions.py) and Django's `ValidationError`
become 400/403/409 here, a database that cannot be reached a 503 with `Retry-After`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions, serializers
from rest_framework.settings import api_settings

from trial.audit import REASON_MAX_LENGTH
from trial.data_queries import open_queries_of
from trial.exceptions import ApplicationError, PermissionDenied, StateConflict

NON_FIELD = "non_field_errors"
# Seconds a client should wait before retrying when the database cannot be reached.
RETRY_AFTER_SECONDS = 30


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = gettext_lazy("The record is not in a state where this applies.")
    default_code = "conflict"


class DatabaseUnavailable(exceptions.APIException):
    status_code = 503
    default_detail = gettext_lazy(
        "The database cannot be reached; nothing was changed. Try again shortly."
    )
    default_code = "service_unavailable"
    wait = RETRY_AFTER_SECONDS  # the handler turns it into a Retry-After header


def _django_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            (NON_FIELD if k == "__all__" else k): [str(m) for e in v for m in e.messages]
            for k, v in error.error_dict.items()
        }
    return {NON_FIELD: [str(m) for m in error.messages]}


class ApiExceptionHandler(ExceptionHandler):
    """Map domain errors, Django validation errors and an unreachable database onto DRF's."""

    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, DjangoValidationError):
            return exceptions.ValidationError(_django_errors(exc))
        if isinstance(exc, PermissionDenied):
            return exceptions.PermissionDenied(exc.message)
        if isinstance(exc, StateConflict):
            return Conflict(exc.message)
        if isinstance(exc, ApplicationError) and exc.status == 400:
            return exceptions.ValidationError(exc.field_errors or {NON_FIELD: [exc.message]})
        if isinstance(exc, ApplicationError):  # e.g. 422, an idempotency key reused
            refusal = exceptions.APIException(exc.message, code="refused")
            refusal.status_code = exc.status
            return refusal
        if isinstance(exc, OperationalError | InterfaceError):
            return DatabaseUnavailable()
        return super().convert_known_exceptions(exc)


class ReasonField(serializers.CharField):
    """The reason for change that any correction of a clinical record must carry.

    Bounded by the history's change-reason column (trial.audit.REASON_MAX_LENGTH)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("max_length", REASON_MAX_LENGTH)
        kwargs.setdefault(
            "help_text", "Reason for change; required when correcting a recorded value."
        )
        super().__init__(**kwargs)


class AwareDateTimeField(serializers.DateTimeField):
    """A date-time with its UTC offset, within the range the database stores.

    A naive value would be read in the server's time zone, silently; a value near year 1 or
    9999 cannot be converted to UTC. Both are refused with a field error."""

    default_error_messages = {
        "naive": gettext_lazy(
            "Give the date-time with its UTC offset, e.g. 2026-03-01T14:30:00+01:00."
        ),
        "overflow": gettext_lazy("Date-time out of range."),
    }

    def enforce_timezone(self, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            self.fail("naive")
        try:
            value.astimezone(dt.UTC)
            return value.astimezone(timezone.get_current_timezone())
        except OverflowError:
            self.fail("overflow")


class UsernameField(serializers.SlugRelatedField):
    """A user named by username. A name no user can have (with a NUL character, which
    PostgreSQL cannot even compare) is "not found", a 400, before any query."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="username", **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name="username", value=data.replace("\x00", ""))
        return super().to_internal_value(data)


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


# Sent with every correction, never read from the record.
_NOT_CURRENT = {"reason", "confirmation"}


def current_input(
    serializer: type[serializers.Serializer[Any]], record: Any, **values: Any
) -> dict[str, Any]:
    """The record's current values under the names of an input serializer (the fields the
    record does not hold under those names are given in `values`)."""
    fields: list[str] = list(serializer().fields.keys())
    names = [n for n in fields if n not in _NOT_CURRENT and n not in values]
    return {n: getattr(record, n) for n in names if hasattr(record, n)} | values


def partial_input(
    serializer: type[serializers.Serializer[Any]], *, current: dict[str, Any], sent: Any
) -> dict[str, Any]:
    """Validate a partial correction (PATCH): the fields sent over the record's current values,
    checked as one whole input. The service then receives every field, and the ones not sent
    keep their values instead of falling back to the serializer's or the service's defaults.

    :raises ValidationError: (DRF) the merged input is invalid, with one message per field.
    """
    if hasattr(sent, "dict"):  # a form-encoded body
        sent = sent.dict()
    if not isinstance(sent, Mapping):
        raise serializers.ValidationError(
            {api_settings.NON_FIELD_ERRORS_KEY: [_("Send an object of the fields to correct.")]}
        )
    merged = serializer(data={**{k: v for k, v in current.items() if v is not None}, **dict(sent)})
    merged.is_valid(raise_exception=True)
    return dict(merged.validated_data)
