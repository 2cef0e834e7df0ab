"""The OpenAPI schema documents the one error shape (trial/api.py) on every operation.

drf-standardized-errors' AutoSchema adds the error responses each view can give; this subclass
adds those the domain can give anywhere: 403 (roles are checked by the services), 409 (a record
not in the state an operation needs), 413 (a body over the limit), 503 (the database cannot be
reached), 400 wherever a query parameter or a body is validated, and 429 on the token endpoint
(failed logins are limited). Every status has the same schema, `ErrorResponse`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_standardized_errors.openapi import AutoSchema as StandardizedErrorsAutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Short machine-readable code, e.g. `required`.")
    detail = serializers.CharField(help_text="What went wrong, for a person.")
    attr = serializers.CharField(
        allow_null=True,
        help_text="The input field at fault (nested fields joined by dots; `non_field_errors` "
        "for the record as a whole); null when no field is at fault.",
    )

    class Meta:
        ref_name = "Error"


class ErrorResponseSerializer(serializers.Serializer):
    """Every error of the API: its type and one or more errors (one per field message)."""

    type = serializers.ChoiceField(choices=["validation_error", "client_error", "server_error"])
    errors = ErrorSerializer(many=True)  # type: ignore[assignment]  # a field, not .errors

    class Meta:
        ref_name = "ErrorResponse"


UNSAFE = ("POST", "PUT", "PATCH")


class AutoSchema(StandardizedErrorsAutoSchema):
    def _should_add_error_response(self, responses: dict[str, Any], status_code: str) -> bool:
        if status_code in responses:
            return False
        if status_code == "400":
            return self.method in UNSAFE or self._has_query_input()
        if status_code == "403":
            return not self._is_open()
        if status_code in ("409", "413"):
            return self.method in UNSAFE
        if status_code == "429":
            return bool(getattr(self.view, "login_attempts_limited", False))
        if status_code == "503":
            return True
        return super()._should_add_error_response(responses, status_code)

    def _is_open(self) -> bool:
        permissions = self.view.get_permissions()
        return len(permissions) == 1 and type(permissions[0]) is AllowAny

    def _has_query_input(self) -> bool:
        return any(p["in"] == "query" for p in self._get_parameters()) or bool(
            self._get_paginator()
        )


class TokenScheme(OpenApiAuthenticationExtension):
    """`Authorization: Token <token>` (trial/api_auth.py, a knox token from auth/token/)."""

    target_class = "trial.api_auth.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Token"
        )
