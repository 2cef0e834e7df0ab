"""Template helpers for the pages: what the signed-in user may do, from the one permissions table."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings

from trial.permissions import Action

register = template.Library()


@register.filter
def may(user: Any, action: str) -> bool:
    """`{% if user|may:"screen" %}`: whether a role of the user allows the action somewhere."""
    return bool(getattr(user, "is_authenticated", False) and user.can(Action(action)))


@register.simple_tag
def session_age() -> int:
    """Seconds of inactivity after which the server ends the session (SESSION_COOKIE_AGE)."""
    return int(settings.SESSION_COOKIE_AGE)
