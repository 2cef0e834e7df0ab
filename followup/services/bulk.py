"""Writing many visits with their history in a fixed number of queries.

On PostgreSQL: ids from the sequence, COPY for new rows and history rows, one UPDATE … FROM
unnest(…) for changed rows (Django's bulk_update builds a CASE per field that grows with the
batch and slows down quadratically). Elsewhere (the SQLite demo): simple-history's
bulk_create_with_history / bulk_update_with_history. Either way every row gets its history
row, with the reason for the change.
"""

from __future__ import annotations

import datetime as dt
import operator
from typing import Any

from django.db import connection, models
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from followup.models import Visit


def _history_model() -> type[models.Model]:
    return Visit.history.model


def _reason(visit: Visit, default: str) -> str:
    return str(getattr(visit, "_change_reason", "") or default)[:100]


def _copy_history(visits: list[Visit], *, kind: str, default_reason: str, now: dt.datetime) -> None:
    history = _history_model()
    special = ("history_date", "history_change_reason", "history_type", "history_user_id")
    # The visit's own columns first, read in one call per row, then the history columns.
    own = [f for f in history._meta.concrete_fields if f.attname not in ("history_id", *special)]
    fields = own + sorted(
        (f for f in history._meta.concrete_fields if f.attname in special),
        key=lambda f: special.index(f.attname),
    )
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = operator.attrgetter(*(f.attname for f in own))
    with connection.cursor() as cursor:
        raw: Any = cursor.cursor
        with raw.copy(f"COPY {history._meta.db_table} ({columns}) FROM STDIN") as copy:
            for visit in visits:
                copy.write_row((*values(visit), now, _reason(visit, default_reason), kind, None))


def visits_insert(visits: list[Visit], *, default_reason: str) -> None:
    """Insert new visits and their "created" history rows."""
    if not visits:
        return
    if connection.vendor != "postgresql":
        bulk_create_with_history(visits, Visit, default_change_reason=default_reason)
        return
    now = timezone.now()
    table = Visit._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(visits)],
        )
        for visit, (pk,) in zip(visits, cursor.fetchall(), strict=True):
            visit.pk, visit.created_at = pk, now
    fields = Visit._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = operator.attrgetter(*(f.attname for f in fields))
    with connection.cursor() as cursor:
        raw: Any = cursor.cursor
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for visit in visits:
                copy.write_row(values(visit))
    for visit in visits:
        visit._state.adding, visit._state.db = False, connection.alias
    _copy_history(visits, kind="+", default_reason=default_reason, now=now)


def visits_update(visits: list[Visit], fields: list[str], *, default_reason: str) -> None:
    """Save changed fields of visits in one statement, and their "changed" history rows."""
    if not visits:
        return
    if connection.vendor != "postgresql":
        bulk_update_with_history(visits, Visit, fields, default_change_reason=default_reason)
        return
    model_fields: list[Any] = [Visit._meta.get_field(name) for name in fields]
    qn = connection.ops.quote_name
    assignments = ", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in model_fields)
    casts = ", ".join(f"%s::{f.cast_db_type(connection)}[]" for f in model_fields)
    names = ", ".join(qn(f.column) for f in model_fields)
    params: list[list[Any]] = [[v.pk for v in visits]]
    params += [[getattr(v, f.attname) for v in visits] for f in model_fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Visit._meta.db_table} AS t SET {assignments} "
            f"FROM unnest(%s::bigint[], {casts}) AS v(id, {names}) WHERE t.id = v.id",
            params,
        )
    _copy_history(visits, kind="~", default_reason=default_reason, now=timezone.now())
