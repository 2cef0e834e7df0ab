"""Reading and writing many records, with their history, in a fixed number of queries.

Reading: `record_loaded` builds a record from a row of values as unpickling does, for batch
jobs that read hundreds of thousands of records (Django's constructor costs more than the
query). `cycle_collection_paused` keeps Python's cycle collector from walking millions of
objects again and again while they are made.

On PostgreSQL: ids from the table's sequence, COPY for the new rows and for the history rows,
one UPDATE … FROM unnest(…) for changed rows (Django's bulk_update builds a CASE per field that
grows with the batch and slows down quadratically, and simple-history builds a historical
record per row through the ORM). Elsewhere (the SQLite demo): simple-history's
bulk_create_with_history / bulk_update_with_history. Either way every row gets its history row,
with the user and the reason for the change (a record's own `_change_reason` first).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models.base import ModelState
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

_M = TypeVar("_M", bound=models.Model)

# The columns a history row adds to the record's own, in the order they are written.
HISTORY_COLUMNS = ("history_date", "history_change_reason", "history_type", "history_user_id")


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Python's cycle collector paused for the block (a function, as a decorator), then as it was.

    For work that makes millions of objects and keeps them: rows, facts, frames. Each full
    collection walks every object alive, and the collector runs one whenever the objects kept
    since the last grew by a quarter, so reading 1.5 million rows walked them again and again:
    a quarter of the survival datasets' time at 100,000 patients. Those objects hold no cycles,
    and what little garbage with cycles the block leaves is collected once it is over. Nested
    blocks leave the collector paused until the outermost ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def record_loaded(model: type[_M], names: Sequence[str], values: Sequence[Any], alias: str) -> _M:
    """A record of `model` holding the columns `names` (attnames) read from database `alias`,
    as a query would have returned it.

    The columns are set directly, as unpickling a record does: Django's constructor spends
    most of its time on descriptors and signals that a record read by a batch job never needs
    (three quarters of the nightly edit checks at 100,000 patients). A column left out loads
    on first access, like a deferred field.
    """
    record = model.__new__(model)
    record.__dict__.update(zip(names, values, strict=True))
    state = ModelState()
    state.adding, state.db = False, alias
    record._state = state
    return record


def records_read(queryset: models.QuerySet[_M]) -> list[_M]:
    """The queryset's records with every column, built by `record_loaded` (one query)."""
    model = queryset.model
    names = [f.attname for f in model._meta.concrete_fields]
    rows = queryset.values_list(*names)
    return [record_loaded(model, names, values, rows.db) for values in rows]


def history_own_fields(model: type[models.Model]) -> list[Any]:
    """The history model's copies of the record's columns (same names), in its order."""
    history: type[models.Model] = model.history.model  # type: ignore[attr-defined]
    skip = ("history_id", *HISTORY_COLUMNS)
    return [f for f in history._meta.concrete_fields if f.attname not in skip]


def _reason(record: models.Model, default: str | None) -> str | None:
    reason = getattr(record, "_change_reason", "") or default
    return str(reason)[:100] if reason else None


def _copy(table: str, fields: Sequence[models.Field[Any, Any]], rows: Any) -> None:
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    with connection.cursor() as cursor:
        raw: Any = cursor.cursor
        with raw.copy(f"COPY {qn(table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _prepared(record: models.Model, fields: Sequence[models.Field[Any, Any]]) -> list[Any]:
    return [f.get_db_prep_save(getattr(record, f.attname), connection) for f in fields]


def _copy_history(
    records: Sequence[models.Model], *, kind: str, reason: str | None, user_id: int | None
) -> None:
    model = type(records[0])
    history: type[models.Model] = model.history.model  # type: ignore[attr-defined]
    own = history_own_fields(model)
    special = sorted(
        (f for f in history._meta.concrete_fields if f.attname in HISTORY_COLUMNS),
        key=lambda f: HISTORY_COLUMNS.index(f.attname),
    )
    now = timezone.now()
    _copy(
        history._meta.db_table,
        own + special,
        ((*_prepared(r, own), now, _reason(r, reason), kind, user_id) for r in records),
    )


def insert_with_history(
    records: Sequence[_M], *, reason: str | None, user: models.Model | None = None
) -> None:
    """Insert new records of one model, and their "created" history rows; each record gets its
    primary key."""
    if not records:
        return
    model = type(records[0])
    if connection.vendor != "postgresql":
        bulk_create_with_history(
            list(records), model, default_user=user, default_change_reason=reason
        )
        return
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(records)],
        )
        for record, (pk,) in zip(records, cursor.fetchall(), strict=True):
            record.pk = pk
    fields = model._meta.concrete_fields
    for record in records:
        for f in fields:
            f.pre_save(record, add=True)  # auto_now_add and the like
    _copy(table, fields, (_prepared(r, fields) for r in records))
    for record in records:
        record._state.adding, record._state.db = False, connection.alias
    _copy_history(records, kind="+", reason=reason, user_id=user.pk if user else None)


def update_with_history(
    records: Sequence[_M],
    fields: Sequence[str],
    *,
    reason: str | None,
    user: models.Model | None = None,
) -> None:
    """Save the named fields of records of one model in one statement, and their "changed"
    history rows."""
    if not records:
        return
    model = type(records[0])
    if connection.vendor != "postgresql":
        bulk_update_with_history(
            list(records), model, list(fields), default_user=user, default_change_reason=reason
        )
        return
    model_fields: list[Any] = [model._meta.get_field(name) for name in fields]
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in model_fields)
    casts = ", ".join(f"%s::{f.cast_db_type(connection)}[]" for f in model_fields)
    names = ", ".join(qn(f.column) for f in model_fields)
    params: list[list[Any]] = [[r.pk for r in records]]
    params += [
        [f.get_db_prep_save(getattr(r, f.attname), connection) for r in records]
        for f in model_fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn(model._meta.db_table)} AS t SET {assignments} "
            f"FROM unnest(%s::bigint[], {casts}) AS v(id, {names}) WHERE t.id = v.id",
            params,
        )
    _copy_history(records, kind="~", reason=reason, user_id=user.pk if user else None)
