"""Middleware of the project as a whole."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from trial.dates import is_time_zone


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


class UserLanguageMiddleware:
    """The interface language: the signed-in user's choice (`User.language`) when they made one,
    else what LocaleMiddleware chose before sign-in (the language cookie set by the switch in
    the page header, then the browser's Accept-Language). After AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        chosen = getattr(user, "language", "") if user is not None else ""
        if user is not None and user.is_authenticated and chosen in _language_codes():
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        response = self.get_response(request)
        response.headers["Content-Language"] = translation.get_language()
        return response


def _language_codes() -> set[str]:
    return {code for code, _name in settings.LANGUAGES}


class SiteTimeZoneMiddleware:
    """Times on pages are shown in the zone of the user's site (`Site.time_zone`); a user of
    several sites in different zones, a trial-wide user and a visitor see settings.TIME_ZONE.
    After AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = user_time_zone(getattr(request, "user", None))
        if zone:
            timezone.activate(zoneinfo.ZoneInfo(zone))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def user_time_zone(user: Any) -> str:
    """The one zone of the sites of the user's active memberships; "" when there is none, a
    trial-wide membership or sites in different zones (then settings.TIME_ZONE applies)."""
    if user is None or not user.is_authenticated:
        return ""
    memberships = user.active_memberships
    zones = {m.site.time_zone if m.site_id is not None else "" for m in memberships}
    if len(zones) != 1:
        return ""
    zone = zones.pop()
    return zone if is_time_zone(zone) else ""
