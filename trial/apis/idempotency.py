"""The `Idempotency-Key` header on the API's creates (trial/idempotency.py): one decorator on the
view's method, and what the schema says about it.

    @extend_schema(parameters=[IDEMPOTENCY_KEY], responses={201: Output, **IDEMPOTENCY_RESPONSES})
    @idempotent("adverse_event_create")
    def post(self, request, patient_id): ...
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from trial.access import acting_user
from trial.apis.common import ErrorSerializer
from trial.idempotency import (
    KEY_PATTERN,
    KEY_RULE,
    REPLAYED_HEADER,
    request_fingerprint,
    request_once,
)

HEADER = "Idempotency-Key"

IDEMPOTENCY_KEY = OpenApiParameter(
    name=HEADER,
    location=OpenApiParameter.HEADER,
    required=False,
    type={"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    description=(
        "A key the client chooses for this create (a UUID, for example) and sends again when "
        "it repeats the request (after a timeout, a double click). A repeat with the same key "
        "answers the first response (same status and body, with the header "
        f"`{REPLAYED_HEADER}: true`) and creates nothing; the same key with a different body "
        "is refused with 422. Keys are per user and per operation."
    ),
)

IDEMPOTENCY_RESPONSES = {
    422: OpenApiResponse(
        ErrorSerializer,
        description="The Idempotency-Key was used before for a different request; nothing done.",
    )
}

Handler = Callable[..., Response]


def idempotent(operation: str) -> Callable[[Handler], Handler]:
    """Make an APIView method a create that a repeated `Idempotency-Key` does not repeat.

    Without the header the method runs as before."""

    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        def wrapper(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
            key = request.headers.get(HEADER)
            if key is None:
                return handler(view, request, *args, **kwargs)
            if not KEY_PATTERN.fullmatch(key):
                raise exceptions.ValidationError({HEADER: [KEY_RULE]})
            answered: list[Response] = []

            def run() -> tuple[int, Any]:
                answered.append(handler(view, request, *args, **kwargs))
                return answered[0].status_code, answered[0].data

            outcome = request_once(
                user=acting_user(request),
                operation=f"api:{operation}",
                key=key,
                fingerprint=request_fingerprint(
                    method=request.method or "", path=request.path, data=request.data
                ),
                run=run,
            )
            if not outcome.replayed and answered:
                return answered[0]
            response = Response(outcome.body, status=outcome.status)
            response[REPLAYED_HEADER] = "true"
            return response

        return wrapper

    return decorate
