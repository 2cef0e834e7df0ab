"""Views of the project as a whole: the health check and the last-resort error responses."""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views import defaults

from trial.api import RETRY_AFTER_SECONDS

UNAVAILABLE = (OperationalError, InterfaceError)


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for the container health check: the application answers and reaches its database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except UNAVAILABLE:
        unavailable = JsonResponse({"status": "database unavailable"}, status=503)
        unavailable["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return unavailable
    return JsonResponse({"status": "ok"})


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's handler500: an exception that no view turned into a response.

    The database being unreachable (a restart, a failover) is a 503 with `Retry-After`, not a
    500; the API answers in its one JSON error shape (README "API"), pages with a page that
    needs no database (no user, no context processors)."""
    error = sys.exc_info()[1]
    unavailable = isinstance(error, UNAVAILABLE)
    if request.path.startswith("/api/"):
        code, detail = (
            ("service_unavailable", "The database cannot be reached; try again shortly.")
            if unavailable
            else ("error", "Server Error (500)")
        )
        body = {"type": "server_error", "errors": [{"code": code, "detail": detail, "attr": None}]}
        response: HttpResponse = JsonResponse(body, status=503 if unavailable else 500)
    else:
        template = "503.html" if unavailable else "500.html"
        response = HttpResponse(
            loader.render_to_string(template), status=503 if unavailable else 500
        )
    return _retry_later(response) if unavailable else response


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's handler404 (no URL matched, or a page raised Http404): JSON in the API's error
    shape under /api/, Django's page otherwise."""
    if request.path.startswith("/api/"):
        error = {"code": "not_found", "detail": "Not found.", "attr": None}
        return JsonResponse({"type": "client_error", "errors": [error]}, status=404)
    return defaults.page_not_found(request, exception)


def _retry_later(response: HttpResponse) -> HttpResponse:
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """django-axes' answer to a login attempt for a locked-out username (AXES_LOCKOUT_CALLABLE).

    429 on every login path: the API's error shape (the token view has already answered it), or
    the sign-in page saying why and how to get unlocked."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    if request.path.startswith("/api/"):
        if original_response is not None and original_response.status_code == 429:
            response: HttpResponse = original_response
        else:
            detail = "Too many failed logins for this username; try again later."
            body = {
                "type": "client_error",
                "errors": [{"code": "locked_out", "detail": detail, "attr": None}],
            }
            response = JsonResponse(body, status=429)
    else:
        response = render(
            request, "registration/locked_out.html", {"cooloff_minutes": minutes}, status=429
        )
    response["Retry-After"] = str(minutes * 60)
    return response
