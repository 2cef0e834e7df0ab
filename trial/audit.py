"""Writing records with their history: the acting user always, a reason for any correction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from trial.exceptions import PermissionDenied
from trial.models import Site, User
from trial.permissions import Action, not_allowed_message

REASON_REQUIRED = "Give a reason for changing a recorded value."


def record_save(*, instance: models.Model, by: User, reason: str = "") -> None:
    """Validate and save a record, stamping its history row with the user and the reason.

    :raises ValidationError: the record is invalid, or a clinical record is being changed
        without a reason.
    """
    changing = not instance._state.adding
    if changing and getattr(instance, "requires_change_reason", False) and not reason.strip():
        raise ValidationError({"reason": [REASON_REQUIRED]})
    instance.full_clean()
    instance._history_user = by  # type: ignore[attr-defined]
    instance._change_reason = reason.strip() or ("Changed" if changing else "Created")  # type: ignore[attr-defined]
    instance.save()


def require(*, user: User, action: Action, site: Site | None) -> None:
    """Refuse unless one of the user's roles allows the action at the site.

    :raises PermissionDenied: with a message naming the action.
    """
    if not user.can(action, site):
        raise PermissionDenied(not_allowed_message(action))
