"""Source-data verification by monitors (docs/protocol.md "Data cleaning and locking").

A monitor marks a record, or named fields of it, as verified against the source documents. A
later change to a verified field ends its mark, with who changed it and why: the hook below is
registered with trial.audit at start-up and told the fields every change touched.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from trial.audit import record_save, require
from trial.exceptions import StateConflict
from trial.models import ClinicalRecord, Patient, User
from trial.permissions import Action
from trial.selectors.history import patient_id_of
from trial.services import drafts
from verification.models import SdvMark
from verification.selectors import sdv_fields

# bookkeeping columns: a change to them is no change of what was verified
_NOT_DATA = frozenset({"created_at", "id"})


def _field_names(record: models.Model, fields: Sequence[str]) -> list[str]:
    known = set(sdv_fields(type(record)))
    names = [name.strip() for name in fields if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValidationError(
            {
                "fields": [
                    _("Not a field of this record: %(names)s.") % {"names": ", ".join(unknown)}
                ]
            }
        )
    return names


@transaction.atomic
def sdv_mark(
    *, record: models.Model, by: User, now: dt.datetime, fields: Sequence[str] = ()
) -> list[SdvMark]:
    """Mark the record (no `fields`) or the named fields of it as verified against source.

    A mark already valid is kept as it is; only the missing ones are added.

    :raises PermissionDenied: the user is not a monitor of the record's site.
    :raises ValidationError: a name is not a field of the record.
    :raises StateConflict: the record is marked entered in error, or is a draft.
    """
    patient = Patient.objects.get(pk=patient_id_of(record))
    require(user=by, action=Action.VERIFY_SOURCE, site=patient.site)
    if getattr(record, "entered_in_error", False):
        raise StateConflict(
            _("This record is marked entered in error; there is nothing to verify.")
        )
    if drafts.is_draft(record):
        raise StateConflict(
            _("This record is a draft; there is nothing to verify until it is saved complete.")
        )
    names = _field_names(record, fields) or [""]
    content_type = ContentType.objects.get_for_model(record)
    valid = set(
        SdvMark.objects.select_for_update()
        .filter(content_type=content_type, object_id=record.pk, unverified_at=None)
        .values_list("field_name", flat=True)
    )
    marks = []
    for name in names:
        if name in valid:
            continue
        mark = SdvMark(
            patient=patient,
            content_type=content_type,
            object_id=record.pk,
            field_name=name,
            verified_by=by,
            verified_at=now,
        )
        record_save(
            instance=mark, by=by, reason=f"Verified against source: {name or 'record'}"[:100]
        )
        marks.append(mark)
    return marks


def _change_time(instance: models.Model) -> dt.datetime:
    """When the change was saved: its history row's time (domain code reads no clock)."""
    history: Any = getattr(instance, "history")  # noqa: B009 - added by simple-history
    return history.order_by("-history_id").values_list("history_date", flat=True)[0]


def _label(instance: models.Model, name: str) -> str:
    try:
        found = instance._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    return str(getattr(found, "verbose_name", name))


def sdv_after_change(
    *, instance: models.Model, by: User, reason: str, changed: frozenset[str]
) -> None:
    """End the SDV marks a change touched: the whole-record mark on any change of data, a
    field's mark when that field changed (registered with trial.audit.after_change_register)."""
    touched = changed - _NOT_DATA
    if not touched or not isinstance(instance, ClinicalRecord):
        return
    content_type = ContentType.objects.get_for_model(instance)
    valid = SdvMark.objects.select_for_update().filter(
        content_type=content_type, object_id=instance.pk, unverified_at=None
    )
    marks = [m for m in valid if not m.field_name or m.field_name in touched]
    if not marks:
        return
    when = _change_time(instance)
    fields = ", ".join(sorted(_label(instance, name) for name in touched))
    why = f"{fields} changed by {by.get_username()} after verification: {reason or 'no reason'}"
    for mark in marks:
        mark.unverified_at, mark.unverified_reason = when, why
        record_save(instance=mark, by=by, reason=f"Unverified: {fields} changed"[:100])


@transaction.atomic
def sdv_records_mark(
    *, records: Sequence[models.Model], by: User, now: dt.datetime
) -> list[SdvMark]:
    """Mark several whole records as verified against source, all or none.

    :raises PermissionDenied: the user is not a monitor of a record's site.
    :raises StateConflict: a record is marked entered in error.
    """
    marks: list[SdvMark] = []
    for record in records:
        marks += sdv_mark(record=record, by=by, now=now)
    return marks
