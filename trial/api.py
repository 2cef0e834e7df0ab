"""API plumbing shared by every app: the one exception handler and the reason-for-change field."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

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
