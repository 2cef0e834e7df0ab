"""The patient's casebook as a PDF (docs/protocol.md "Data cleaning and locking"): every form
with its values, the investigator's signatures, the SDV marks, the data queries and the audit
trail of every record, for inspection and the site file.

Rendered from an HTML template by WeasyPrint, a kept library that lays out HTML and CSS as PDF
pages with real text (so the pages can be searched, and read back in the tests).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from django.db import models
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from weasyprint import HTML

from cleaning.selectors import record_queries
from treatment.models import Signature
from trial.models import Patient
from trial.selectors.history import HistoryEntry, record_history
from verification.models import Lock, SdvMark
from verification.selectors import FormRow, patient_form_matrix, record_marks

_HIDDEN = frozenset({"id", "created_at"})


def _value(record: models.Model, f: models.Field) -> str:
    value = getattr(record, f.attname)
    if value is None or value == "":
        return "—"
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if f.is_relation:
        return str(getattr(record, f.name))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


@dataclass
class CasebookRecord:
    title: str
    values: list[tuple[str, str]]
    marks: list[SdvMark]
    queries: list[Any]
    history: list[HistoryEntry]


def _record(status: Any) -> CasebookRecord:
    record = status.record
    fields = [cast(models.Field, f) for f in record._meta.concrete_fields if f.name not in _HIDDEN]
    return CasebookRecord(
        title=status.title,
        values=[(str(f.verbose_name).capitalize(), _value(record, f)) for f in fields],
        marks=record_marks(record),
        queries=list(record_queries(record)),
        history=record_history(record),
    )


def casebook_context(patient: Patient, *, printed_at: dt.datetime) -> dict[str, Any]:
    rows: list[FormRow] = patient_form_matrix(patient)
    return {
        "patient": patient,
        "printed_at": printed_at,
        "rows": rows,
        "forms": [(row, [_record(r) for r in row.records]) for row in rows],
        "signatures": Signature.objects.filter(patient=patient).order_by("signed_at"),
        "locks": Lock.objects.filter(patient=patient).select_related("locked_by").order_by("pk"),
    }


def casebook_pdf(patient: Patient, *, printed_at: dt.datetime) -> bytes:
    """The patient's casebook, as PDF bytes."""
    html = render_to_string(
        "verification/casebook.html", casebook_context(patient, printed_at=printed_at)
    )
    return cast(bytes, HTML(string=html).write_pdf())
