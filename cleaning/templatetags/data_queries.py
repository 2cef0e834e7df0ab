"""Data queries on the pages that show records, whichever app the page belongs to.

`{% query_marker record "field" %}`: a marker for each open query on that field of the record
(next to the field; `"*" "a" "b"`: on any field but a and b); `{% record_queries record %}`: every open query of the record (and of the
records given after it); `{% raise_query_link record "field" %}`: the link to raise one, for a
data manager or monitor of the patient's site; `{% patient_queries patient %}`: the patient's
open queries, counted, for the patient header. The templates are the layer that composes every
app (as the header's `patient_frame` tags do), so the clinical apps' Python never imports this.

One database query per patient and page: the patient's open queries are read once and kept on
the request.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import template
from django.db import models
from django.urls import reverse

from cleaning.selectors import open_queries_of_patients
from trial.data_queries import OpenQuery
from trial.permissions import Action
from trial.selectors.history import patient_id_of

register = template.Library()

Index = dict[tuple[str, int], list[OpenQuery]]


def _index(context: template.Context, patient_id: int) -> Index:
    request = context.get("request")
    cache: dict[int, Index] = getattr(request, "_open_queries", None) or {}
    if patient_id not in cache:
        cache[patient_id] = open_queries_of_patients([patient_id])
        if request is not None:
            request._open_queries = cache
    return cache[patient_id]


def _open(context: template.Context, record: Any) -> list[OpenQuery]:
    if not isinstance(record, models.Model) or record.pk is None:
        return []
    return _index(context, patient_id_of(record)).get((record._meta.label_lower, record.pk), [])


@register.inclusion_tag("cleaning/_markers.html", takes_context=True)
def query_marker(
    context: template.Context, record: Any, field: str, *except_fields: str
) -> dict[str, Any]:
    """Markers of the open queries on one field; field "*": on any field but those listed."""
    rows = _open(context, record)
    if field == "*":
        return {"queries": [q for q in rows if q.field not in except_fields]}
    return {"queries": [q for q in rows if q.field == field]}


@register.inclusion_tag("cleaning/_record_queries.html", takes_context=True)
def record_queries(context: template.Context, record: Any, *others: Any) -> dict[str, Any]:
    rows = _open(context, record)
    for group in others:
        for other in group if isinstance(group, list | models.QuerySet) else [group]:
            rows += _open(context, other)
    return {"queries": rows}


@register.simple_tag(takes_context=True)
def raise_query_url(context: template.Context, record: Any, field: str = "") -> str:
    """The page to raise a query on the record, or "" for a user who may not raise one."""
    request, patient = context.get("request"), context.get("patient")
    if request is None or patient is None or not isinstance(record, models.Model):
        return ""
    if record.pk is None or not request.user.can(Action.RAISE_QUERY, patient.site):
        return ""
    kwargs = {"patient_id": patient.pk, "record_type": record._meta.model_name, "pk": record.pk}
    url = reverse("cleaning:query_new", kwargs=kwargs)
    return f"{url}?{urlencode({'field': field})}" if field else url


@register.inclusion_tag("cleaning/_patient_queries.html", takes_context=True)
def patient_queries(context: template.Context, patient: Any) -> dict[str, Any]:
    index = _index(context, patient.pk)
    count = sum(len(rows) for rows in index.values())
    url = reverse("cleaning:query_list") + f"?{urlencode({'patient': patient.pk})}"
    return {"count": count, "url": url}
