"""A version of the data kept in history tables, cheap enough to key page caches by.

Every audited save adds a history row (django-simple-history) and none is ever deleted: an
"entered in error" or a deletion adds a row too. So the largest history id of each table
changes with every change of its records, and reading it is an index lookup, where counting
the rows read the whole index of every history table on every call (bench/run load).

The largest id alone misses one case: on PostgreSQL ids are handed out when a row is
inserted, not when its transaction commits, so a transaction that commits after a later one
adds a row below the largest id. The version therefore also counts the rows among the last
`WINDOW` ids: such a late row changes that count, unless more than `WINDOW` newer rows of the
same table were committed while its transaction stayed open.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, IntegerField, Max, Model, QuerySet, Subquery, Value

WINDOW = 1000


def _recent(history: type[Model], position: int) -> QuerySet[Any, tuple[int, int | None, int]]:
    """One row: the table's position, its largest id and the number of rows of the window."""
    rows = history._default_manager.order_by()
    last = rows.order_by("-pk").values("pk")[:1]
    return (
        rows.filter(pk__gt=Subquery(last) - WINDOW)
        .annotate(table=Value(position, output_field=IntegerField()))
        .values("table")
        .annotate(last=Max("pk"), recent=Count("pk"))
        .values_list("table", "last", "recent")
    )


def history_version(histories: Sequence[type[Model]], *, salt: str = "") -> str:
    """A fingerprint of the rows of these history models (one query), changed by any save."""
    parts = [salt]
    if histories:
        first, *rest = [_recent(history, n) for n, history in enumerate(histories)]
        seen = {table: (last, recent) for table, last, recent in first.union(*rest, all=True)}
        for n, history in enumerate(histories):
            last, recent = seen.get(n, (None, 0))
            parts.append(f"{history._meta.label}:{last}:{recent}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]
