"""Pages of data queries: the list (a site's, or every site's with filters and ageing), one
query with its thread and actions, raising a query on a record, and the edit checks.

Queries are looked up through `DataQuery.objects.for_user(...)`: another site's query is a 404.
"""

from __future__ import annotations

import csv
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cleaning import selectors
from cleaning.checks.registry import EDIT_CHECKS, edit_check
from cleaning.fields import field_label, queryable_fields
from cleaning.forms import (
    QueryAnswerForm,
    QueryCloseForm,
    QueryFilterForm,
    QueryRaiseForm,
    QueryReopenForm,
)
from cleaning.models import DataQuery, QueryState
from cleaning.records import record_edit_url, record_page_url
from cleaning.services import queries as services
from trial.access import acting_user, patient_for
from trial.forms import submitted
from trial.models import Site, User
from trial.pages import form_page, page
from trial.permissions import Action
from trial.selectors.history import clinical_record_get, record_history

CSV_COLUMNS = [
    "query",
    "site",
    "patient",
    "form",
    "record",
    "field",
    "category",
    "raised_by",
    "edit_check",
    "state",
    "raised_at",
    "days_open",
    "days_to_answer",
    "days_to_close",
    "question",
    "last_message",
]


def _sites(user: User) -> list[Site]:
    site_ids = user.site_ids_for(Action.VIEW)
    sites = Site.objects.order_by("code")
    return list(sites if site_ids is None else sites.filter(pk__in=site_ids))


def _rows(queries: Any, now: Any) -> list[dict[str, Any]]:
    rows = []
    for query in queries:
        model = query.content_type.model_class()
        rows.append(
            {
                "query": query,
                "form": model._meta.verbose_name.capitalize() if model else "",
                "field": field_label(model, query.field_name),
                **selectors.ageing(query, now),
            }
        )
    return rows


@page
def query_list(request: HttpRequest) -> HttpResponse:
    """The queries of the user's sites; ?format=csv downloads the filtered list."""
    user, now = acting_user(request), timezone.now()
    filters_form = QueryFilterForm(request.GET or None, sites=_sites(user))
    filters = filters_form.filters()
    queries = selectors.queries_for_user(user=user, filters=filters, now=now)
    if request.GET.get("format") == "csv":
        return _csv(_rows(queries.prefetch_related("record"), now))
    paginated = Paginator(queries, 50).get_page(request.GET.get("page"))
    query_string = request.GET.copy()
    query_string.pop("page", None)
    context = {
        "filters": filters_form,
        "page": paginated,
        "rows": _rows(list(paginated.object_list), now),
        "summary": selectors.ageing_summary(queries, now),
        "query_string": query_string.urlencode(),
        "can_raise": user.can(Action.RAISE_QUERY),
    }
    return render(request, "cleaning/query_list.html", context)


def _csv(rows: list[dict[str, Any]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="data-queries.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        q = row["query"]
        writer.writerow(
            [
                q.pk,
                q.patient.site.code,
                str(q.patient),
                row["form"],
                str(q.record) if q.record is not None else "",
                row["field"],
                q.get_category_display(),
                q.raised_by.get_username() if q.raised_by else _("edit check"),
                q.rule_id,
                q.get_state_display(),
                f"{timezone.localtime(q.raised_at):%Y-%m-%d %H:%M}",
                row["days_open"],
                "" if row["days_to_answer"] is None else row["days_to_answer"],
                "" if row["days_to_close"] is None else row["days_to_close"],
                q.text or q.finding,
                q.last_text,
            ]
        )
    return response


def _query(request: HttpRequest, query_id: int) -> Any:
    visible = selectors.with_text(DataQuery.objects.for_user(acting_user(request)))
    return get_object_or_404(visible.select_related("patient__site", "content_type"), pk=query_id)


def _detail_context(request: HttpRequest, query: Any, **forms_: forms.Form) -> dict[str, Any]:
    user, site = acting_user(request), query.patient.site
    record = query.record
    detail_url = reverse("cleaning:query_detail", kwargs={"query_id": query.pk})
    edit_url = record_edit_url(record) if record is not None else None
    can_answer = user.can(Action.ANSWER_QUERY, site)
    return {
        "query": query,
        "check": edit_check(query.rule_id) if query.is_system else None,
        "patient": query.patient,
        "record": record,
        "field": field_label(type(record) if record else None, query.field_name),
        "thread": selectors.query_thread(query),
        "ageing": selectors.ageing(query, timezone.now()),
        "record_url": record_page_url(record) if record is not None else None,
        "correct_url": f"{edit_url}?query={query.pk}&next={detail_url}"
        if edit_url and can_answer and query.state == QueryState.OPEN
        else None,
        "corrections": _corrections(record, query),
        "can_answer": can_answer and query.state == QueryState.OPEN,
        "can_close": user.can(Action.RAISE_QUERY, site) and query.unresolved,
        "can_reopen": user.can(Action.RAISE_QUERY, site) and query.state != QueryState.OPEN,
        "answer_form": forms_.get("answer_form") or QueryAnswerForm(),
        "close_form": forms_.get("close_form") or QueryCloseForm(),
        "reopen_form": forms_.get("reopen_form") or QueryReopenForm(),
    }


def _corrections(record: Any, query: Any) -> list[Any]:
    """The record's changes whose reason names this query (made from its correction link)."""
    if record is None:
        return []
    reference = f"query #{query.pk}"
    return [e for e in record_history(record) if reference in e.reason.lower()]


@page
def query_detail(request: HttpRequest, query_id: int) -> HttpResponse:
    query = _query(request, query_id)
    return render(request, "cleaning/query_detail.html", _detail_context(request, query))


def _action_page(
    request: HttpRequest,
    query_id: int,
    *,
    form_class: type[forms.Form],
    name: str,
    action: Action,
    submit: Any,
    success: str,
) -> HttpResponse:
    """One action on a query, on the query's own page (its form's errors shown there)."""
    query = _query(request, query_id)
    form = form_class(submitted(request))
    return form_page(
        request,
        form=form,
        submit=lambda: submit(
            query=query,
            by=acting_user(request),
            now=timezone.now(),
            **form.cleaned_data,
        ),
        template="cleaning/query_detail.html",
        action=action,
        site=query.patient.site,
        success=success,
        next_url=reverse("cleaning:query_detail", kwargs={"query_id": query.pk}),
        context=_detail_context(request, query, **{name: form}),
    )


@page
def query_answer(request: HttpRequest, query_id: int) -> HttpResponse:
    return _action_page(
        request,
        query_id,
        form_class=QueryAnswerForm,
        name="answer_form",
        action=Action.ANSWER_QUERY,
        submit=services.query_answer,
        success=_("Answer sent; the query waits for its raiser to close it."),
    )


@page
def query_close(request: HttpRequest, query_id: int) -> HttpResponse:
    return _action_page(
        request,
        query_id,
        form_class=QueryCloseForm,
        name="close_form",
        action=Action.RAISE_QUERY,
        submit=services.query_close,
        success=_("Query closed."),
    )


@page
def query_reopen(request: HttpRequest, query_id: int) -> HttpResponse:
    return _action_page(
        request,
        query_id,
        form_class=QueryReopenForm,
        name="reopen_form",
        action=Action.RAISE_QUERY,
        submit=services.query_reopen,
        success=_("Query re-opened; the site team will see it again."),
    )


@page
def query_new(request: HttpRequest, patient_id: int, record_type: str, pk: int) -> HttpResponse:
    """Raise a query on a record (`?field=<name>` chooses the field)."""
    patient = patient_for(request, patient_id)
    user = acting_user(request)
    record = clinical_record_get(user=user, patient_id=patient.pk, record_type=record_type, pk=pk)
    form = QueryRaiseForm(
        submitted(request),
        fields=queryable_fields(type(record)),
        initial={"field_name": request.GET.get("field", "")},
    )
    return form_page(
        request,
        form=form,
        submit=lambda: services.query_raise(
            record=record, by=user, now=timezone.now(), **form.cleaned_data
        ),
        template="cleaning/query_new.html",
        action=Action.RAISE_QUERY,
        site=patient.site,
        success=lambda q: (
            _("Query #%(number)s raised; the site team will see it.") % {"number": q.pk}
        ),
        next_url=lambda q: reverse("cleaning:query_detail", kwargs={"query_id": q.pk}),
        context={
            "patient": patient,
            "record": record,
            "record_url": record_page_url(record),
            "queries": selectors.record_queries(record),
        },
    )


@page
def edit_checks(request: HttpRequest) -> HttpResponse:
    """The declared edit checks, with the unresolved system queries of each at the user's sites."""
    counts = selectors.unresolved_by_check(acting_user(request))
    rows = [(check, counts.get(check.id, 0)) for check in EDIT_CHECKS]
    return render(request, "cleaning/edit_checks.html", {"rows": rows})
