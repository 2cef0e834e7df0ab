"""What the base app knows of data queries: how to list the ones still open on a record.

Data queries live in the data cleaning app (`cleaning/`), which comes after every clinical app
on the patient's path, so no clinical app may import it. It registers here, in its
AppConfig.ready(), the one function that lists a patient's open queries; the API shows them
with each record through `trial.api.OpenQueriesField`. An explicit registry, not a signal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from trial.selectors.history import patient_id_of


@dataclass(frozen=True)
class OpenQuery:
    """A data query still open (or answered, not yet closed) on a record."""

    id: int
    field: str
    state: str
    category: str
    origin: str
    rule: str
    text: str
    raised_at: dt.datetime


# patient ids → {("app_label.model_name", record id): the record's open queries}
OpenQueriesOfPatients = Callable[[Sequence[int]], dict[tuple[str, int], list[OpenQuery]]]

_sources: list[OpenQueriesOfPatients] = []


def open_queries_source_register(source: OpenQueriesOfPatients) -> None:
    """Register the function that lists a patient's open queries (the cleaning app's)."""
    if source not in _sources:
        _sources.append(source)


def open_queries_of(
    record: Any, cache: dict[Any, Any] | None = None, siblings: Iterable[Any] = ()
) -> list[OpenQuery]:
    """The open queries on a record.

    `cache` (kept by the caller for a listing) and `siblings` (the other records of the
    listing) make a listing one look-up for all its patients, not one per record.
    """
    if not _sources or record.pk is None:
        return []
    cache = {} if cache is None else cache
    patient_id = patient_id_of(record)
    if patient_id not in cache:
        wanted = {patient_id} | {patient_id_of(r) for r in siblings if r.pk is not None}
        wanted -= set(cache)
        index: dict[tuple[str, int], list[OpenQuery]] = {}
        for source in _sources:
            for key, rows in source(sorted(wanted)).items():
                index.setdefault(key, []).extend(rows)
        for pid in wanted:
            cache[pid] = True
        cache.setdefault("index", {}).update(index)
    return list(cache.get("index", {}).get((record._meta.label_lower, record.pk), []))
