"""A record's audit trail as people read it: who, when, which field, old → new, why."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

from django.apps import apps
from django.db import models
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import formats, timezone
from django.utils.translation import gettext

from trial.models import ClinicalRecord


@dataclass(frozen=True)
class FieldChange:
    field: str
    label: str
    old: str | None
    new: str | None
    # The value is the protocol's wording (an eligibility criterion), not the interface's.
    protocol_text: bool = False


@dataclass(frozen=True)
class HistoryEntry:
    history_id: int
    when: dt.datetime
    who: str
    kind: str  # "created", "changed" or "deleted"
    reason: str
    changes: list[FieldChange] = field(default_factory=list)


_KINDS = {"+": "created", "~": "changed", "-": "deleted"}
_HIDDEN = {"created_at"}


def _display(record: models.Model, name: str) -> str | None:
    """A field's value as its reader reads it, in the active language and time zone: a choice
    by its label, a relation by its record's label, yes or no, a date ISO, a moment in the
    site's zone with the zone named."""
    f = cast(models.Field, record._meta.get_field(name))
    value = getattr(record, f.attname)
    if value is None:
        return None
    if getattr(f, "choices", None):
        return str(dict(f.flatchoices).get(value, value))
    if f.is_relation:
        return str(getattr(record, name))
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, dt.datetime):
        return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def record_history(record: models.Model) -> list[HistoryEntry]:
    """Return the record's history, newest first, with the fields each change touched."""
    history = getattr(record, "history")  # noqa: B009 - added by simple-history
    rows = list(history.select_related("history_user").order_by("history_date", "history_id"))
    model_fields = [
        f for f in record._meta.concrete_fields if f.name not in _HIDDEN and not f.primary_key
    ]
    entries: list[HistoryEntry] = []
    previous = None
    for row in rows:
        changes = []
        for f in model_fields:
            new = _display(row, f.name)
            old = _display(previous, f.name) if previous is not None else None
            if previous is None and new is None:
                continue
            if previous is None or old != new:
                protocol_text = bool(getattr(f.related_model, "protocol_text", False))
                changes.append(FieldChange(f.name, str(f.verbose_name), old, new, protocol_text))
        entries.append(
            HistoryEntry(
                history_id=row.history_id,
                when=row.history_date,
                who=row.history_user.get_username() if row.history_user else gettext("system"),
                kind=_KINDS.get(row.history_type, row.history_type),
                reason=row.history_change_reason or "",
                changes=changes,
            )
        )
        previous = row
    entries.reverse()
    return entries


def clinical_record_types() -> dict[str, type[models.Model]]:
    """Every kind of clinical record of the project, by its URL name (the model name)."""
    return {
        model._meta.model_name: model
        for model in apps.get_models()
        if issubclass(model, ClinicalRecord) and model._meta.model_name
    }


def patient_path(model: type[models.Model]) -> str:
    """The lookup from a clinical record to its patient, derived from its `site_path`."""
    site_path: str = getattr(model, "site_path")  # noqa: B009
    return "pk" if site_path == "site" else site_path.removesuffix("__site")


def patient_id_of(record: models.Model) -> int:
    """The id of the patient a clinical record belongs to (the patient's own id for a patient)."""
    path = patient_path(type(record))
    if path == "pk":
        return int(record.pk)
    *steps, last = path.split("__")
    owner: Any = record
    for step in steps:
        owner = getattr(owner, step)
    return int(getattr(owner, f"{last}_id"))


def clinical_record_get(*, user: Any, patient_id: int, record_type: str, pk: int) -> models.Model:
    """Return a clinical record of a patient the user may see.

    :raises Http404: unknown record type, another site's record, or not this patient's record.
    """
    model = clinical_record_types().get(record_type)
    if model is None:
        raise Http404("No such kind of record.")
    visible = model.objects.for_user(user)  # type: ignore[attr-defined]
    path = patient_path(model)
    if path == "pk" and pk != patient_id:
        raise Http404("This record is not the patient's.")
    return get_object_or_404(visible, **{"pk": pk, path: patient_id})
