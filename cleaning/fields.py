"""The fields of a record a query may be about, with the labels people read."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext, gettext_lazy

# What a query may point at besides a record's own fields (an edit check's pseudo-field).
EXTRA_FIELDS: dict[str, list[tuple[str, Any]]] = {
    "trial.baseline": [("mutations", gettext_lazy("Mutation results"))],
}
_NOT_DATA = {"id", "created_at", "entered_in_error", "entered_in_error_reason"}


def queryable_fields(model: type[models.Model]) -> list[tuple[str, str]]:
    """The fields of a record a query may be about: name → label."""
    fields = [
        (f.name, str(f.verbose_name)[:1].upper() + str(f.verbose_name)[1:])
        for f in model._meta.concrete_fields
        if f.name not in _NOT_DATA and not f.primary_key
    ]
    return fields + EXTRA_FIELDS.get(model._meta.label_lower, [])


def field_label(model: type[models.Model] | None, name: str) -> str:
    if not name:
        return gettext("the record")
    if model is None:
        return name
    return dict(queryable_fields(model)).get(name, name.replace("_", " "))
