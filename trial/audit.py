"""Writing records with their history: the acting user always, a reason for any correction.

After-save checks: the data cleaning app (`cleaning/`) comes after every clinical app on the
patient's path, so no service may import it. It registers here, in its AppConfig.ready(), the
checks that run after each record is saved (its automatic edit checks: a soft finding opens a
query, a hard one refuses the save with a field error). An explicit list rather than a signal:
the checks run in order, inside the transaction and the savepoint of the save, so a refusal
undoes the save and nothing half-written remains.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import models, transaction

from trial.exceptions import PermissionDenied
from trial.models import Site, User
from trial.permissions import Action, not_allowed_message

REASON_REQUIRED = "Give a reason for changing a recorded value."

# called as check(instance=…, by=…, confirmation=…); may raise ValidationError to refuse
AfterSaveCheck = Callable[..., object]

_after_save_checks: list[AfterSaveCheck] = []


def after_save_register(check: AfterSaveCheck) -> None:
    """Register what a later app checks after every record saved through `record_save`."""
    if check not in _after_save_checks:
        _after_save_checks.append(check)


def record_save(
    *, instance: models.Model, by: User, reason: str = "", confirmation: str = ""
) -> None:
    """Validate and save a record, stamping its history row with the user and the reason, then
    run the registered after-save checks.

    `confirmation` is the entering user's word that a value an automatic check flags is right
    (a soft finding's query then opens already answered with it).

    :raises ValidationError: the record is invalid, a clinical record is being changed
        without a reason, or a registered check refuses the saved values (nothing is saved).
    """
    changing = not instance._state.adding
    if changing and getattr(instance, "requires_change_reason", False) and not reason.strip():
        raise ValidationError({"reason": [REASON_REQUIRED]})
    instance.full_clean()
    instance._history_user = by  # type: ignore[attr-defined]
    instance._change_reason = reason.strip() or ("Changed" if changing else "Created")  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            instance.save()
            for check in _after_save_checks:
                check(instance=instance, by=by, confirmation=confirmation.strip())
    except ValidationError:
        if not changing:  # the savepoint undid the insert: the object is unsaved again
            instance.pk, instance._state.adding = None, True
        raise


def require(*, user: User, action: Action, site: Site | None) -> None:
    """Refuse unless one of the user's roles allows the action at the site.

    :raises PermissionDenied: with a message naming the action.
    """
    if not user.can(action, site):
        raise PermissionDenied(not_allowed_message(action))
