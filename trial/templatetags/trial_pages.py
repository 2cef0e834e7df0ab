"""Template helpers for the pages: what the signed-in user may do, from the one permissions table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.conf import settings
from django.utils import timezone

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


@register.filter
def iso(value: Any) -> str:
    """A date or datetime as YYYY-MM-DD (the one date format of every page), or "–"."""
    if not value:
        return "–"
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value.strftime("%Y-%m-%d"))


@register.simple_tag
def trial_status(patient: Any) -> dict[str, str]:
    """`{% trial_status patient as st %}`: where the patient stands (st.key, st.label)."""
    from trial.selectors.status import patient_trial_status, status_label

    annotated = patient_trial_status(patient, today=timezone.localdate())
    return {"key": annotated.trial_status, "label": status_label(annotated)}  # type: ignore[attr-defined]
