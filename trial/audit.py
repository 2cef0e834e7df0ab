"""Writing records with their history: the acting user always, a reason for any correction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from trial.exceptions import PermissionDenied
from trial.models import Site, User
from trial.permissions import Action, not_allowed_message

REASON_REQUIRED = "Give a reason for changing a recorded value."
# The history's change-reason column (simple-history's `history_change_reason`, a
# CharField(max_length=100)); tests/trial/test_record_history.py checks every history table.
REASON_MAX_LENGTH = 100
REASON_TOO_LONG = f"Keep the reason within {REASON_MAX_LENGTH} characters."


def record_save(*, instance: models.Model, by: User, reason: str = "") -> None:
    """Validate and save a record, stamping its history row with the user and the reason.

    :raises ValidationError: the record is invalid, a clinical record is being changed
        without a reason, or the reason is longer than its column.
    """
    changing = not instance._state.adding
    if changing and getattr(instance, "requires_change_reason", False) and not reason.strip():
        raise ValidationError({"reason": [REASON_REQUIRED]})
    if len(reason.strip()) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": [REASON_TOO_LONG]})
    instance.full_clean()
    instance._history_user = by  # type: ignore[attr-defined]
    instance._change_reason = reason.strip() or ("Changed" if changing else "Created")  # type: ignore[attr-defined]
    instance.save()


def reason_prefixed(prefix: str, reason: str) -> str:
    """The history reason `prefix` + the user's reason, which must leave room for the prefix.

    :raises ValidationError: on `reason`, when both would not fit the change-reason column.
    """
    room = REASON_MAX_LENGTH - len(prefix)
    if len(reason.strip()) > room:
        raise ValidationError({"reason": [f"Keep the reason within {room} characters."]})
    return prefix + reason.strip()


def require(*, user: User, action: Action, site: Site | None) -> None:
    """Refuse unless one of the user's roles allows the action at the site.

    :raises PermissionDenied: with a message naming the action.
    """
    if not user.can(action, site):
        raise PermissionDenied(not_allowed_message(action))
