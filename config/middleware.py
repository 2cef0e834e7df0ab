"""Middleware of the project as a whole."""

from __future__ import annotations

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, except that a cookie naming no session never creates one.

    With SESSION_SAVE_EVERY_REQUEST (the inactivity timeout renews on each request), Django saves
    a session the request never read; saving a key that has no row (made up, or expired and
    cleared) then writes a new, empty row. Reading the session first turns such a key into an
    empty session, which Django neither saves nor keeps the cookie of.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        if (
            session is not None
            and settings.SESSION_SAVE_EVERY_REQUEST
            and not session.modified
            and session.session_key
            and response.status_code < 500
        ):
            session.keys()  # loads it; a key without a row is dropped
        return super().process_response(request, response)
