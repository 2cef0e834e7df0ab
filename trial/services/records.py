"""Corrections that apply to any clinical record."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from trial.audit import reason_prefixed, record_save, require
from trial.exceptions import StateConflict
from trial.models import ClinicalRecord, Site, User
from trial.permissions import ENTERED_IN_ERROR_ACTIONS, Action

# Marking a death, a withdrawal, a loss to follow-up or an end of treatment entered in error
# changes the follow-up schedule, which a later app keeps (`followup/`): it registers here, in its
# AppConfig.ready(), what follows such a mark. An explicit list rather than a signal, as in
# trial/audit.py: the listeners run in order, inside the transaction of the mark, so a failure
# undoes the mark and the schedule never disagrees with the records.
# called as listener(record=…, by=…, today=…) after the record is saved as entered in error
EnteredInErrorListener = Callable[..., object]

_entered_in_error_listeners: list[EnteredInErrorListener] = []


def entered_in_error_listen(listener: EnteredInErrorListener) -> None:
    """Register what a later app does once a record is marked entered in error."""
    if listener not in _entered_in_error_listeners:
        _entered_in_error_listeners.append(listener)


def entered_in_error_action(record: ClinicalRecord) -> Action | None:
    """The action that marks this kind of record entered in error (None: not from here)."""
    return ENTERED_IN_ERROR_ACTIONS.get(record._meta.label_lower)


def record_site(record: ClinicalRecord) -> Site:
    """The site a clinical record belongs to, following its `site_path`."""
    owner: Any = record
    for step in getattr(record, "site_path").split("__"):  # noqa: B009
        owner = getattr(owner, step)
    return cast(Site, owner)


@transaction.atomic
def record_mark_entered_in_error(
    *, record: ClinicalRecord, by: User, reason: str, today: dt.date
) -> ClinicalRecord:
    """Mark a clinical record as entered in error; it stays in the database and its history.
    Who may is whoever enters that kind of record (`ENTERED_IN_ERROR_ACTIONS`). The registered
    listeners then run in the same transaction (the follow-up schedule, as of `today`).

    :raises PermissionDenied: the user's roles do not enter this kind of record at its site.
    :raises ValidationError: without a reason.
    :raises StateConflict: already marked, or a kind of record marked by its own operation.
    """
    action = entered_in_error_action(record)
    if action is None:
        raise StateConflict(
            _(
                "A record of this kind (%(kind)s) is not marked entered in error here: "
                "correct it on its own page."
            )
            % {"kind": record._meta.verbose_name}
        )
    require(user=by, action=action, site=record_site(record))
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why this record was entered in error.")]})
    if record.entered_in_error:
        raise StateConflict(_("This record is already marked as entered in error."))
    record.entered_in_error, record.entered_in_error_reason = True, reason.strip()
    record_save(instance=record, by=by, reason=reason_prefixed("Entered in error: ", reason))
    for listener in _entered_in_error_listeners:
        listener(record=record, by=by, today=today)
    return record
