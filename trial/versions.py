"""A version of the data kept in history tables, cheap enough to key page caches by.

Every audited save adds a history row (django-simple-history) and none is ever deleted: an
"entered in error" or a deletion adds a row too. So the largest history id of each table
changes with every change of its records, and reading it is an index lookup, where counting
the rows read the whole index of every history table on every call (bench/run load).

The largest id alone misses one case: on PostgreSQL ids are handed out when a row is
inserted, not when its transaction commits, so a transaction that commits after a later one
adds a row below the largest id. The version therefore also takes the smallest id and the
number of the last `WINDOW` rows: such a late row changes them, unless more than `WINDOW` newer rows of the
same table were committed while its transaction stayed open. (The window is the last `WINDOW`
rows by id, read backwards along the primary key's index: a range on the largest id minus
`WINDOW` was planned as a scan of the whole table, the planner not knowing the bound.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, IntegerField, Max, Min, Model, QuerySet, Subquery, Value

WINDOW = 1000


def _recent(history: type[Model], position: int) -> QuerySet[Any, tuple[int, int, int, int]]:
    """One row: the table's position, and the largest id, the smallest id and the number of
    its last `WINDOW` rows (read backwards along the primary key's index)."""
    rows = history._default_manager.order_by()
    last = rows.order_by("-pk").values("pk")[:WINDOW]
    return (
        rows.filter(pk__in=Subquery(last))
        .annotate(table=Value(position, output_field=IntegerField()))
        .values("table")
        .annotate(last=Max("pk"), first=Min("pk"), recent=Count("pk"))
        .values_list("table", "last", "first", "recent")
    )


def history_version(histories: Sequence[type[Model]], *, salt: str = "") -> str:
    """A fingerprint of the rows of these history models (one query), changed by any save."""
    parts = [salt]
    if histories:
        first, *rest = [_recent(history, n) for n, history in enumerate(histories)]
        seen = {table: values for table, *values in first.union(*rest, all=True)}
        for n, history in enumerate(histories):
            parts.append(f"{history._meta.label}:{seen.get(n)}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]
