"""Data queries raised, answered, closed and re-opened by people (docs/protocol.md "Data
cleaning and locking").

open → answered (the site team) → closed (a data manager or monitor); answered or closed →
open again with a new message (a data manager or monitor). Every message and every move is a
row of its own, with who and when; nothing is edited or deleted.
"""

from __future__ import annotations

import datetime as dt

from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cleaning.fields import queryable_fields
from cleaning.models import (
    UNRESOLVED,
    DataQuery,
    MessageKind,
    QueryCategory,
    QueryMessage,
    QueryOrigin,
    QueryState,
    QueryStateChange,
)
from trial.audit import record_save, require
from trial.exceptions import StateConflict
from trial.models import Patient, User
from trial.permissions import Action
from trial.selectors.history import patient_id_of
from trial.validation import Errors, add_error, raise_if


def _write(query: DataQuery, *, kind: str, by: User, at: dt.datetime, text: str) -> None:
    record_save(
        instance=QueryMessage(query=query, kind=kind, author=by, written_at=at, text=text), by=by
    )


def _move(query: DataQuery, *, to: str, by: User, at: dt.datetime, note: str) -> None:
    """Save the query in its new state, and the move as a row of its own."""
    was = "" if query._state.adding else query.state
    query.state = to
    record_save(instance=query, by=by, reason=f"Query {note.lower()}")
    record_save(
        instance=QueryStateChange(
            query=query, from_state=was, to_state=to, by=by, at=at, note=note[:300]
        ),
        by=by,
    )


def _locked(query: DataQuery) -> DataQuery:
    return DataQuery.objects.select_for_update().select_related("patient__site").get(pk=query.pk)


def _text(errors: Errors, text: str, missing: str) -> str:
    if not text.strip():
        add_error(errors, "text", missing)
    return text.strip()


@transaction.atomic
def query_raise(
    *,
    record: models.Model,
    field_name: str,
    category: str,
    text: str,
    by: User,
    now: dt.datetime,
) -> DataQuery:
    """Open a query on a clinical record, or on one field of it, for the patient's site team.

    :raises PermissionDenied: the user may not raise queries at the patient's site.
    :raises ValidationError: no text, an unknown category, or a field the record does not have.
    """
    patient = Patient.objects.select_related("site").get(pk=patient_id_of(record))
    require(user=by, action=Action.RAISE_QUERY, site=patient.site)
    errors: Errors = {}
    body = _text(errors, text, _("Write the question."))
    if category not in QueryCategory.values:
        add_error(errors, "category", _("Choose a category from the list."))
    if field_name and field_name not in dict(queryable_fields(type(record))):
        add_error(
            errors,
            "field_name",
            _("A %(record)s has no such field.") % {"record": record._meta.verbose_name},
        )
    raise_if(errors)
    query = DataQuery(
        patient=patient,
        record=record,
        field_name=field_name,
        category=category,
        origin=QueryOrigin.MANUAL,
        raised_by=by,
        raised_at=now,
    )
    _move(query, to=QueryState.OPEN, by=by, at=now, note=gettext_noop("Raised"))
    _write(query, kind=MessageKind.RAISED, by=by, at=now, text=body)
    return query


@transaction.atomic
def query_answer(*, query: DataQuery, text: str, by: User, now: dt.datetime) -> DataQuery:
    """Answer an open query (after correcting the data through its form, if need be).

    :raises PermissionDenied: the user is not of the patient's site team.
    :raises StateConflict: the query is not open.
    :raises ValidationError: no answer.
    """
    query = _locked(query)
    require(user=by, action=Action.ANSWER_QUERY, site=query.patient.site)
    if query.state != QueryState.OPEN:
        raise StateConflict(
            _("Query #%(number)s is %(state)s.")
            % {"number": query.pk, "state": query.get_state_display().lower()}
        )
    errors: Errors = {}
    body = _text(errors, text, _("Write the answer."))
    raise_if(errors)
    query.first_answered_at = query.first_answered_at or now
    query.answered_at = now
    _move(query, to=QueryState.ANSWERED, by=by, at=now, note=gettext_noop("Answered by the site"))
    _write(query, kind=MessageKind.ANSWER, by=by, at=now, text=body)
    return query


@transaction.atomic
def query_close(*, query: DataQuery, by: User, now: dt.datetime, text: str = "") -> DataQuery:
    """Close a query that is settled (answered, or raised in error), with an optional note.

    :raises PermissionDenied: the user may not close queries at the patient's site.
    :raises StateConflict: the query is already closed.
    """
    query = _locked(query)
    require(user=by, action=Action.RAISE_QUERY, site=query.patient.site)
    if query.state not in UNRESOLVED:
        raise StateConflict(_("Query #%(number)s is already closed.") % {"number": query.pk})
    query.closed_at, query.closed_by = now, by
    _move(query, to=QueryState.CLOSED, by=by, at=now, note=gettext_noop("Closed"))
    if text.strip():
        _write(query, kind=MessageKind.CLOSE, by=by, at=now, text=text.strip())
    return query


@transaction.atomic
def query_reopen(*, query: DataQuery, text: str, by: User, now: dt.datetime) -> DataQuery:
    """Open an answered or closed query again, saying what is still wrong.

    :raises PermissionDenied: the user may not raise queries at the patient's site.
    :raises StateConflict: the query is open already, was closed by its edit check (the data
        hold: raise a new query instead), or a newer query on the same finding is open.
    :raises ValidationError: no message.
    """
    query = _locked(query)
    require(user=by, action=Action.RAISE_QUERY, site=query.patient.site)
    if query.state == QueryState.OPEN:
        raise StateConflict(_("Query #%(number)s is open already.") % {"number": query.pk})
    if query.is_system and query.state == QueryState.CLOSED:
        _reopen_system_check(query)
    errors: Errors = {}
    body = _text(errors, text, _("Write the message."))
    raise_if(errors)
    query.closed_at, query.closed_by = None, None
    _move(query, to=QueryState.OPEN, by=by, at=now, note=gettext_noop("Re-opened"))
    _write(query, kind=MessageKind.REOPEN, by=by, at=now, text=body)
    return query


def _reopen_system_check(query: DataQuery) -> None:
    if query.closed_by_id is None:
        raise StateConflict(
            _(
                "Query #%(number)s was closed by its edit check because the data now satisfy "
                "it; raise a new query to ask about the record."
            )
            % {"number": query.pk}
        )
    newer = DataQuery.objects.filter(
        origin=QueryOrigin.SYSTEM,
        rule_id=query.rule_id,
        content_type=query.content_type_id,
        object_id=query.object_id,
        field_name=query.field_name,
        state__in=UNRESOLVED,
    ).first()
    if newer is not None:
        raise StateConflict(
            _("Query #%(number)s on the same finding is open.") % {"number": newer.pk}
        )
