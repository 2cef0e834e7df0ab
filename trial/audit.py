"""Writing records with their history: the acting user always, a reason for any correction.

After-save checks: the data cleaning app (`cleaning/`) comes after every clinical app on the
patient's path, so no service may import it. It registers here, in its AppConfig.ready(), the
checks that run after each record is saved (its automatic edit checks: a soft finding opens a
query, a hard one refuses the save with a field error). An explicit list rather than a signal:
the checks run in order, inside the transaction and the savepoint of the save, so a refusal
undoes the save and nothing half-written remains.

Write guards and after-change hooks: the verification app (`verification/`, after cleaning)
locks records, patients and the database at a cut-off, and keeps source-data verification
marks. It registers here a write guard, asked before any record is written (by `record_save`
and by the few services that save otherwise, through `write_check`), and a hook told which
fields a saved change touched. Every write path of every app goes through one of them, so none
can forget a lock.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from trial.exceptions import PermissionDenied
from trial.models import Site, User
from trial.permissions import Action, not_allowed_message

# English here (tests and callers compare with it); shown through gettext where it is raised.
REASON_REQUIRED = gettext_noop("Give a reason for changing a recorded value.")
# The history's change-reason column (simple-history's `history_change_reason`, a
# CharField(max_length=100)); tests/trial/test_record_history.py checks every history table.
REASON_MAX_LENGTH = 100

# called as check(instance=…, by=…, confirmation=…); may raise ValidationError to refuse
AfterSaveCheck = Callable[..., object]

_after_save_checks: list[AfterSaveCheck] = []

# called as guard(instance=…, stored=…) before a write, `stored` the record's values as saved
# ({attname: value}, None for a new record); raises StateConflict to refuse the write
WriteGuard = Callable[..., object]

_write_guards: list[WriteGuard] = []

# called as hook(instance=…, by=…, reason=…, changed=…) after a change, `changed` the names of
# the fields whose stored value it changed
AfterChangeHook = Callable[..., object]

_after_change_hooks: list[AfterChangeHook] = []


def after_save_register(check: AfterSaveCheck) -> None:
    """Register what a later app checks after every record saved through `record_save`."""
    if check not in _after_save_checks:
        _after_save_checks.append(check)


def write_guard_register(guard: WriteGuard) -> None:
    """Register what a later app asks before any record is written (the verification locks)."""
    if guard not in _write_guards:
        _write_guards.append(guard)


def after_change_register(hook: AfterChangeHook) -> None:
    """Register what a later app does with the fields a change touched (SDV marks)."""
    if hook not in _after_change_hooks:
        _after_change_hooks.append(hook)


def stored_values(instance: models.Model) -> dict[str, object] | None:
    """The record's values as saved now ({attname: value}), None for a new record."""
    if instance._state.adding or instance.pk is None:
        return None
    names = [f.attname for f in instance._meta.concrete_fields]
    return type(instance)._base_manager.filter(pk=instance.pk).values(*names).first()


def write_check(*, instance: models.Model, stored: dict[str, object] | None = None) -> None:
    """Ask every registered write guard whether the record may be written.

    :raises StateConflict: a guard refuses (the record, its patient or its date is locked).
    """
    if not _write_guards:
        return
    if stored is None:
        stored = stored_values(instance)
    for guard in _write_guards:
        guard(instance=instance, stored=stored)


def changed_fields(instance: models.Model, stored: dict[str, object] | None) -> frozenset[str]:
    """The names of the fields whose value differs from the stored one (all for a new record)."""
    fields = instance._meta.concrete_fields
    if stored is None:
        return frozenset(f.name for f in fields)
    return frozenset(
        f.name for f in fields if stored.get(f.attname) != getattr(instance, f.attname)
    )


def record_save(
    *, instance: models.Model, by: User, reason: str = "", confirmation: str = ""
) -> None:
    """Validate and save a record, stamping its history row with the user and the reason, then
    run the registered after-save checks.

    `confirmation` is the entering user's word that a value an automatic check flags is right
    (a soft finding's query then opens already answered with it).

    :raises ValidationError: the record is invalid, a clinical record is being changed
        without a reason, the reason is longer than its column, or a registered check refuses
        the saved values (nothing is saved).
    :raises StateConflict: a registered write guard refuses (a lock); nothing is saved.
    """
    changing = not instance._state.adding
    stored = stored_values(instance) if changing else None
    write_check(instance=instance, stored=stored)
    if changing and getattr(instance, "requires_change_reason", False) and not reason.strip():
        raise ValidationError({"reason": [_(REASON_REQUIRED)]})
    if len(reason.strip()) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": [reason_too_long(REASON_MAX_LENGTH)]})
    instance.full_clean()
    instance._history_user = by  # type: ignore[attr-defined]
    instance._change_reason = reason.strip() or ("Changed" if changing else "Created")  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            instance.save()
            for check in _after_save_checks:
                check(instance=instance, by=by, confirmation=confirmation.strip())
            if changing and _after_change_hooks:
                changed = changed_fields(instance, stored)
                for hook in _after_change_hooks:
                    hook(instance=instance, by=by, reason=reason.strip(), changed=changed)
    except ValidationError:
        if not changing:  # the savepoint undid the insert: the object is unsaved again
            instance.pk, instance._state.adding = None, True
        raise


def reason_too_long(room: int) -> str:
    return _("Keep the reason within %(room)d characters.") % {"room": room}


def reason_prefixed(prefix: str, reason: str) -> str:
    """The history reason `prefix` + the user's reason, which must leave room for the prefix.

    :raises ValidationError: on `reason`, when both would not fit the change-reason column.
    """
    room = REASON_MAX_LENGTH - len(prefix)
    if len(reason.strip()) > room:
        raise ValidationError({"reason": [reason_too_long(room)]})
    return prefix + reason.strip()


def require(*, user: User, action: Action, site: Site | None) -> None:
    """Refuse unless one of the user's roles allows the action at the site.

    :raises PermissionDenied: with a message naming the action.
    """
    if not user.can(action, site):
        raise PermissionDenied(not_allowed_message(action))
