"""Reads of data queries: the lists with their filters and ageing, a record's open queries, the
counts the home page shows, and the fields a query may point at."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext, gettext_lazy, pgettext

from cleaning.checks.registry import TRIGGER_MODELS
from cleaning.models import UNRESOLVED, DataQuery, QueryMessage, QueryState
from trial.data_queries import OpenQuery
from trial.models import User
from trial.permissions import Action
from trial.selectors.history import clinical_record_types


def _first_message() -> Subquery:
    first = QueryMessage.objects.filter(query=OuterRef("pk")).order_by("written_at", "pk")
    return Subquery(first.values("text")[:1])


def _last_message() -> Subquery:
    last = QueryMessage.objects.filter(query=OuterRef("pk")).order_by("-written_at", "-pk")
    return Subquery(last.values("text")[:1])


def with_text(queries: QuerySet[DataQuery]) -> QuerySet[DataQuery]:
    """Annotate the question (first message) and the last word on it."""
    return queries.annotate(text=_first_message(), last_text=_last_message())


# --- lists --------------------------------------------------------------------------------------

STATE_FILTERS = {
    "unresolved": gettext_lazy("Open or answered"),
    QueryState.OPEN: QueryState.OPEN.label,
    QueryState.ANSWERED: QueryState.ANSWERED.label,
    QueryState.CLOSED: QueryState.CLOSED.label,
    "all": gettext_lazy("All"),
}
AGE_FILTERS = {
    "7": gettext_lazy("Open 7 days or more"),
    "14": gettext_lazy("Open 14 days or more"),
    "30": gettext_lazy("Open 30 days or more"),
}


@dataclass(frozen=True)
class QueryFilters:
    site: str = ""
    state: str = "unresolved"
    category: str = ""
    origin: str = ""
    form: str = ""  # the record's kind: its model name (visit, consent, cycle, …)
    min_days_open: int | None = None
    patient_id: int | None = None
    rule: str = ""


def queries_for_user(*, user: User, filters: QueryFilters, now: dt.datetime) -> QuerySet[DataQuery]:
    """The queries of the sites the user may see, filtered, oldest first."""
    queries = DataQuery.objects.for_user(user)
    f = filters
    if f.site:
        queries = queries.filter(patient__site__code=f.site)
    if f.state == "unresolved":
        queries = queries.filter(state__in=UNRESOLVED)
    elif f.state in QueryState.values:
        queries = queries.filter(state=f.state)
    for name, value in (("category", f.category), ("origin", f.origin), ("rule_id", f.rule)):
        if value:
            queries = queries.filter(**{name: value})
    if f.form:
        queries = queries.filter(content_type__model=f.form)
    if f.patient_id:
        queries = queries.filter(patient_id=f.patient_id)
    if f.min_days_open is not None:
        cutoff = now - dt.timedelta(days=f.min_days_open)
        queries = queries.filter(raised_at__lte=cutoff, state__in=UNRESOLVED)
    return (
        with_text(queries)
        .select_related("patient__site", "content_type", "raised_by", "closed_by")
        .order_by("raised_at", "pk")
    )


def form_choices() -> list[tuple[str, str]]:
    """The kinds of record a query can be on, for the "form" filter."""
    models_ = {m for m in clinical_record_types().values()} | set(TRIGGER_MODELS)
    return sorted(
        ((m._meta.model_name or "", str(m._meta.verbose_name).capitalize()) for m in models_),
        key=lambda pair: pair[1],
    )


def days_between(start: dt.datetime, end: dt.datetime) -> float:
    return round((end - start).total_seconds() / 86400, 1)


def ageing(query: DataQuery, now: dt.datetime) -> dict[str, float | None]:
    """Days open (until closed, or now), days to the first answer, days to closing."""
    closed = query.closed_at if query.state == QueryState.CLOSED else None
    return {
        "days_open": days_between(query.raised_at, closed or now),
        "days_to_answer": days_between(query.raised_at, query.first_answered_at)
        if query.first_answered_at
        else None,
        "days_to_close": days_between(query.raised_at, closed) if closed else None,
    }


@dataclass(frozen=True)
class AgeingSummary:
    count: int
    unresolved: int
    median_days_open: float | None
    median_days_to_answer: float | None
    median_days_to_close: float | None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def ageing_summary(queries: QuerySet[DataQuery], now: dt.datetime) -> AgeingSummary:
    """Medians over a filtered list (one query: the three dates of each)."""
    rows = list(queries.values_list("state", "raised_at", "first_answered_at", "closed_at"))
    open_days = [days_between(r, c or now) for s, r, a, c in rows if s in UNRESOLVED]
    answer_days = [days_between(r, a) for s, r, a, c in rows if a]
    close_days = [days_between(r, c) for s, r, a, c in rows if c]
    return AgeingSummary(
        count=len(rows),
        unresolved=len(open_days),
        median_days_open=_median(open_days),
        median_days_to_answer=_median(answer_days),
        median_days_to_close=_median(close_days),
    )


# --- one record, one patient --------------------------------------------------------------------


def record_queries(record: models.Model) -> QuerySet[DataQuery]:
    content_type = ContentType.objects.get_for_model(type(record))
    queries = DataQuery.objects.filter(content_type=content_type, object_id=record.pk)
    return with_text(queries).select_related("raised_by").order_by("raised_at", "pk")


def open_queries_of_patients(
    patient_ids: Sequence[int],
) -> dict[tuple[str, int], list[OpenQuery]]:
    """Every unresolved query of the patients by record (app_label.model, id): one query."""
    rows = with_text(
        DataQuery.objects.filter(patient_id__in=patient_ids, state__in=UNRESOLVED)
    ).select_related("content_type")
    index: dict[tuple[str, int], list[OpenQuery]] = {}
    for q in rows.order_by("raised_at", "pk"):
        key = (f"{q.content_type.app_label}.{q.content_type.model}", q.object_id)
        index.setdefault(key, []).append(
            OpenQuery(
                id=q.pk,
                field=q.field_name,
                state=q.state,
                category=q.category,
                origin=q.origin,
                rule=q.rule_id,
                text=q.finding or q.text or "",  # type: ignore[attr-defined]
                raised_at=q.raised_at,
            )
        )
    return index


def query_thread(query: DataQuery) -> list[dict[str, Any]]:
    """Messages and state changes of a query, in the order they happened."""
    events: list[dict[str, Any]] = [
        {"at": m.written_at, "who": m.author, "kind": m.get_kind_display(), "text": m.text}
        for m in query.messages.select_related("author")
    ]
    events += [
        {
            "at": t.at,
            "who": t.by,
            "kind": f"{t.get_from_state_display() or pgettext('query', 'New')} → "
            f"{t.get_to_state_display()}",
            # The notes the system writes are fixed phrases (marked where written): shown in
            # the reader's language; a person's note is shown as written.
            "text": gettext(t.note) if t.note else "",
            "move": True,
        }
        for t in query.transitions.select_related("by")
    ]
    return sorted(events, key=lambda e: (e["at"], e.get("move", False)))


# --- counts for the home page -------------------------------------------------------------------


@dataclass(frozen=True)
class QueryCounts:
    open: int
    answered: int

    @property
    def unresolved(self) -> int:
        return self.open + self.answered


def query_counts(*, user: User, action: Action = Action.VIEW) -> QueryCounts:
    """Open and answered queries of the sites where the user's roles allow the action."""
    counts = (
        DataQuery.objects.for_user(user, action)
        .filter(state__in=UNRESOLVED)
        .aggregate(
            open=Count("pk", filter=Q(state=QueryState.OPEN)),
            answered=Count("pk", filter=Q(state=QueryState.ANSWERED)),
        )
    )
    return QueryCounts(open=counts["open"] or 0, answered=counts["answered"] or 0)


def unresolved_by_site(user: User, action: Action = Action.VIEW_REPORTS) -> dict[int, int]:
    """Unresolved queries per site id, over the sites the user may see in reports."""
    rows = (
        DataQuery.objects.for_user(user, action)
        .filter(state__in=UNRESOLVED)
        .order_by()
        .values("patient__site")
        .annotate(n=Count("pk"))
    )
    return {r["patient__site"]: r["n"] for r in rows}


def unresolved_by_check(user: User) -> dict[str, int]:
    """Unresolved system queries per edit check id, over the sites the user may see."""
    rows = (
        DataQuery.objects.for_user(user)
        .filter(state__in=UNRESOLVED, origin="system")
        .order_by()
        .values("rule_id")
        .annotate(n=Count("pk"))
    )
    return {r["rule_id"]: r["n"] for r in rows}
