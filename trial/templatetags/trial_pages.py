"""Template helpers for the pages: what the signed-in user may do, from the one permissions table."""

from __future__ import annotations

from typing import Any

from django import template

from trial.permissions import Action

register = template.Library()


@register.filter
def may(user: Any, action: str) -> bool:
    """`{% if user|may:"screen" %}`: whether a role of the user allows the action somewhere."""
    return bool(getattr(user, "is_authenticated", False) and user.can(Action(action)))
