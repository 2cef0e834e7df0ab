"""Writing many visits with their history in a fixed number of queries.

On PostgreSQL: ids from the sequence, COPY for new rows, one INSERT … SELECT for their history
rows; changed rows through trial/bulk.py (one UPDATE … FROM unnest(…) and COPY for their
history rows). Elsewhere (the SQLite demo): simple-history's bulk functions. Either way every
row gets its history row, with the reason for the change.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, NamedTuple

from django.db import connection, models
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from followup.models import Visit
from trial.bulk import HISTORY_COLUMNS, history_own_fields, update_with_history

# COPY's text format: a backslash, a tab or a line break inside a value is escaped.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


class NewVisit(NamedTuple):
    """The planned columns of a new visit (Visit's field names); the others take their default.

    Every patient with the same anchor gets the same ones: the schedule refresh shares one
    tuple between them, and a COPY encodes it once.
    """

    number: int
    month: int
    anchor_date: dt.date
    anchor_provisional: bool
    target_date: dt.date
    window_opens: dt.date
    window_closes: dt.date
    overdue_from: dt.date
    missed_from: dt.date
    status: str
    window_reminded_on: dt.date | None
    overdue_reminded_on: dt.date | None


def _copy_supported() -> bool:
    return connection.vendor == "postgresql"


def _history_model() -> type[models.Model]:
    return Visit.history.model


def _copy_text(value: object) -> str:
    """One value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    return str(value).translate(_COPY_ESCAPES)


def visits_insert(visits: list[tuple[int, NewVisit]], *, default_reason: str) -> None:
    """Insert new visits, given as (patient id, planned columns), and their "created" history
    rows."""
    if not visits:
        return
    if not _copy_supported():
        objs = [Visit(patient_id=patient_id, **new._asdict()) for patient_id, new in visits]
        bulk_create_with_history(objs, Visit, default_change_reason=default_reason)
        return
    now = timezone.now()
    table = Visit._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(visits)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
    _copy_new(visits, ids, now)
    _history_insert(ids, kind="+", reason=default_reason[:100], now=now)


@functools.lru_cache(maxsize=16384)
def _copy_line(new: NewVisit) -> str:
    """A planned tuple in COPY's text format, encoded once however many patients (in however
    many batches) share it."""
    return "\t".join(map(_copy_text, new))


def _copy_new(visits: list[tuple[int, NewVisit]], ids: list[int], now: dt.datetime) -> None:
    rest = [
        f
        for f in Visit._meta.concrete_fields
        if f.attname not in ("id", "patient_id", *NewVisit._fields)
    ]
    names = ("id", "patient_id", *NewVisit._fields, *(f.column for f in rest))
    columns = ", ".join(connection.ops.quote_name(name) for name in names)
    # created_at is set as save() would (auto_now_add); every other column takes its default.
    tail = "\t".join(
        _copy_text(now if f.attname == "created_at" else f.get_default()) for f in rest
    )
    data = "".join(
        f"{pk}\t{patient_id}\t{_copy_line(new)}\t{tail}\n"
        for pk, (patient_id, new) in zip(ids, visits, strict=True)
    )
    with connection.cursor() as cursor:
        raw: Any = cursor.cursor
        with raw.copy(f"COPY {Visit._meta.db_table} ({columns}) FROM STDIN") as copy:
            copy.write(data)


def _history_insert(ids: list[int], *, kind: str, reason: str, now: dt.datetime) -> None:
    """History rows copied from the visits just written, by the database (in id order)."""
    qn = connection.ops.quote_name
    own = ", ".join(qn(f.column) for f in history_own_fields(Visit))
    special = ", ".join(qn(name) for name in HISTORY_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_history_model()._meta.db_table} ({own}, {special}) "
            f"SELECT {own}, %s, %s, %s, NULL FROM {Visit._meta.db_table} "
            "WHERE id = ANY(%s::bigint[]) ORDER BY id",
            [now, reason, kind, ids],
        )


def visits_update(visits: list[Visit], fields: list[str], *, default_reason: str) -> None:
    """Save changed fields of visits in one statement, and their "changed" history rows."""
    update_with_history(visits, fields, reason=default_reason)
