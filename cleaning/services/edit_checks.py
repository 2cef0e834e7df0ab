"""Running the automatic edit checks: after each save, and over the whole database.

After a save (`edit_checks_after_save`, registered in trial/audit.py by cleaning/apps.py): the
checks the saved model re-runs are evaluated for its patient. A hard finding on the saved
record refuses the save with a field error; every other finding keeps one open system query
per check × record × field; an open system query whose finding is gone closes itself, with that
recorded. A confirmation given at entry opens the new queries already answered.

Over the database (`edit_checks_run`, nightly and `manage.py edit_checks_run`): every check for
every patient, in batches with a fixed number of queries each, so checks added after the data
were entered find what is already there. It is idempotent: a second run changes nothing, and
the database holds the promise of one open query per finding (a unique constraint).

A system query a person closed stays closed while the check finds the same thing (the finding
was accepted); a different finding on the same field opens a new query.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from cleaning.checks.base import EditCheck, Finding, Outcome, PatientData, Pending, Severity
from cleaning.checks.registry import EDIT_CHECKS, TRIGGER_MODELS, checks_for
from cleaning.models import (
    UNRESOLVED,
    DataQuery,
    MessageKind,
    QueryMessage,
    QueryOrigin,
    QueryState,
    QueryStateChange,
)
from cleaning.rules import CleaningRules
from trial.bulk import cycle_collection_paused, insert_with_history, update_with_history
from trial.models import Patient, User
from trial.selectors.history import patient_id_of

logger = logging.getLogger(__name__)

# Stored as written (English); the query's page shows it in the reader's language.
CONFIRMED_AT_ENTRY = gettext_noop("Confirmed at entry")

Key = tuple[str, int, int, str]  # check id, content type, record id, field


def _key(check: EditCheck, record: models.Model, field_name: str) -> Key:
    content_type = ContentType.objects.get_for_model(type(record))
    return (check.id, content_type.pk, int(record.pk), field_name)


def _same(a: models.Model, b: models.Model) -> bool:
    return a._meta.concrete_model is b._meta.concrete_model and a.pk == b.pk


@dataclass(frozen=True)
class Evaluated:
    check: EditCheck
    patient_id: int
    outcome: Outcome


@dataclass
class Plan:
    create: list[tuple[DataQuery, Evaluated]] = field(default_factory=list)
    reword: list[tuple[DataQuery, str]] = field(default_factory=list)
    close: list[DataQuery] = field(default_factory=list)


@dataclass
class RunResult:
    patients: int = 0
    batches: int = 0
    opened: int = 0
    reworded: int = 0
    closed: int = 0

    def add(self, plan: Plan) -> None:
        self.batches += 1
        self.opened += len(plan.create)
        self.reworded += len(plan.reword)
        self.closed += len(plan.close)


def _evaluate(
    checks: Sequence[EditCheck], data: PatientData, rules: CleaningRules
) -> Iterator[Evaluated]:
    """What the checks find, worded in the active language."""
    for check in checks:
        for patient_id in data.patient_ids:
            for outcome in check.outcomes(data, patient_id, rules):
                yield Evaluated(check, patient_id, outcome)


def _known(patient_ids: Sequence[int], checks: Sequence[EditCheck]) -> dict[Key, DataQuery]:
    """The system queries that matter to a new evaluation, by key: each unresolved one, and the
    last one a person closed (its finding was accepted)."""
    queries = (
        DataQuery.objects.filter(
            patient_id__in=patient_ids,
            origin=QueryOrigin.SYSTEM,
            rule_id__in=[c.id for c in checks],
        )
        .filter(Q(state__in=UNRESOLVED) | Q(closed_by__isnull=False))
        .order_by("raised_at", "pk")
    )
    known: dict[Key, DataQuery] = {}
    for query in queries:
        key = (query.rule_id, query.content_type_id, query.object_id, query.field_name)
        current = known.get(key)
        if current is None or not current.unresolved:
            known[key] = query
    return known


def _plan(
    evaluated: list[Evaluated],
    known: dict[Key, DataQuery],
    *,
    at: dt.datetime,
) -> Plan:
    plan, seen = Plan(), set()
    for item in evaluated:
        key = _key(item.check, item.outcome.record, item.outcome.field)
        if key in seen:
            continue
        seen.add(key)
        if isinstance(item.outcome, Pending):
            continue
        query = known.get(key)
        message = item.outcome.message
        if query is not None and query.unresolved:
            if query.finding != message:
                plan.reword.append((query, message))
        elif query is None or query.finding != message:
            plan.create.append((_new_query(item, key, at=at), item))
    for key, query in known.items():
        if query.unresolved and key not in seen:
            plan.close.append(query)
    return plan


def _new_query(item: Evaluated, key: Key, *, at: dt.datetime) -> DataQuery:
    assert isinstance(item.outcome, Finding)
    return DataQuery(
        patient_id=item.patient_id,
        content_type_id=key[1],
        object_id=key[2],
        field_name=item.outcome.field,
        category=item.check.category,
        origin=QueryOrigin.SYSTEM,
        rule_id=item.check.id,
        finding=item.outcome.message,
        state=QueryState.OPEN,
        raised_at=at,
    )


def _apply(plan: Plan, *, at: dt.datetime, by: User | None, confirmation: str = "") -> None:
    """Write the plan with history: a fixed number of statements, whatever its size."""
    messages: list[QueryMessage] = []
    moves: list[QueryStateChange] = []
    who = f" after a change by {by.get_username()}" if by is not None else ""
    if plan.create:
        queries = [query for query, _ in plan.create]
        if confirmation:
            for query in queries:
                query.state = QueryState.ANSWERED
                query.first_answered_at = query.answered_at = at
        insert_with_history(queries, user=by, reason="Raised by an edit check")
        for query in queries:
            messages.append(_message(query, MessageKind.CHECK, None, at, query.finding))
            moves.append(_move(query, "", QueryState.OPEN, None, at, f"Raised by {query.rule_id}"))
            if confirmation:
                messages.append(_message(query, MessageKind.ANSWER, by, at, confirmation))
                moves.append(
                    _move(query, QueryState.OPEN, QueryState.ANSWERED, by, at, CONFIRMED_AT_ENTRY)
                )
    if plan.reword:
        for query, finding in plan.reword:
            query.finding = finding
            messages.append(_message(query, MessageKind.CHECK, None, at, f"Now found: {finding}"))
        update_with_history(
            [q for q, _ in plan.reword],
            ["finding"],
            user=by,
            reason="The edit check's finding changed",
        )
    if plan.close:
        for query in plan.close:
            note = f"Closed by {query.rule_id}: the data now satisfy the check{who}"
            moves.append(_move(query, query.state, QueryState.CLOSED, None, at, note[:300]))
            query.state, query.closed_at, query.closed_by = QueryState.CLOSED, at, None
        update_with_history(
            plan.close,
            ["state", "closed_at", "closed_by"],
            user=by,
            reason="Closed by its edit check: the data now hold",
        )
    insert_with_history(messages, user=by, reason=None)
    insert_with_history(moves, user=by, reason=None)


def _message(
    query: DataQuery, kind: str, author: User | None, at: dt.datetime, text: str
) -> QueryMessage:
    return QueryMessage(query=query, kind=kind, author=author, written_at=at, text=text)


def _move(
    query: DataQuery, was: str, now: str, by: User | None, at: dt.datetime, note: str
) -> QueryStateChange:
    return QueryStateChange(query=query, from_state=was, to_state=now, by=by, at=at, note=note)


def _stored_wording(
    checks: Sequence[EditCheck], data: PatientData, rules: CleaningRules
) -> list[Evaluated]:
    """What the checks find, worded in the trial's default language (settings.LANGUAGE_CODE).

    A system query keeps its finding as text, and that text is what tells the same finding
    from a new one (`_plan`): worded in the language of whoever saved, a French save would
    re-word every open query an English save had raised. The finding is therefore stored in
    one language; the query's page names its edit check in the reader's language.
    """
    with translation.override(settings.LANGUAGE_CODE):
        return list(_evaluate(checks, data, rules))


# --- after a save ------------------------------------------------------------------------------


def _refusals(evaluated: list[Evaluated], instance: models.Model) -> dict[str, list[str]]:
    """The hard findings that involve the record being saved, as its field errors."""
    errors: dict[str, list[str]] = {}
    for item in evaluated:
        outcome = item.outcome
        if item.check.severity != Severity.HARD or not isinstance(outcome, Finding):
            continue
        if _same(outcome.record, instance):
            errors.setdefault(outcome.field, []).append(outcome.message)
        elif outcome.other is not None and _same(outcome.other[0], instance):
            errors.setdefault(outcome.other[1], []).append(outcome.other[2])
    return errors


def edit_checks_after_save(*, instance: models.Model, by: User, confirmation: str = "") -> None:
    """Re-run, for the saved record's patient, the edit checks its model takes part in.

    :raises ValidationError: a hard check finds the saved record wrong (the save is undone).
    """
    model = type(instance)
    if model not in TRIGGER_MODELS:
        return
    checks = checks_for(model)
    patient_id = patient_id_of(instance)
    data = PatientData([patient_id], now=None)  # no clock: deadlines are the nightly run's
    rules = CleaningRules.from_settings()
    evaluated = _stored_wording(checks, data, rules)
    if _refusals(evaluated, instance):
        # Told to the person saving, in their language (the data are loaded already).
        raise ValidationError(_refusals(list(_evaluate(checks, data, rules)), instance))
    at = timezone.now()  # the moment of the save, as its history row has it
    plan = _plan(evaluated, _known([patient_id], checks), at=at)
    try:
        with transaction.atomic():
            _apply(plan, at=at, by=by, confirmation=confirmation)
    except IntegrityError:
        # The nightly run wrote the same query meanwhile; it holds the finding already.
        logger.warning("Edit checks of patient %s: a concurrent run wrote first", patient_id)


# --- over the database -------------------------------------------------------------------------


@cycle_collection_paused()  # its objects die with the batch
@transaction.atomic
def edit_checks_run_batch(
    *, patient_ids: Sequence[int], now: dt.datetime, checks: Sequence[EditCheck] | None = None
) -> Plan:
    """Run the checks for a batch of patients and write what changed (one transaction)."""
    checks = list(checks or EDIT_CHECKS)
    data = PatientData(patient_ids, now=now)
    evaluated = _stored_wording(checks, data, CleaningRules.from_settings())
    plan = _plan(evaluated, _known(patient_ids, checks), at=now)
    _apply(plan, at=now, by=None)
    return plan


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def edit_checks_run(
    *, now: dt.datetime, batch_size: int | None = None, check_ids: Sequence[str] = ()
) -> RunResult:
    """Run every edit check (or those named) over every patient of the database.

    :raises ValueError: an unknown check id.
    """
    checks = list(EDIT_CHECKS)
    if check_ids:
        known = {c.id for c in EDIT_CHECKS}
        unknown = sorted(set(check_ids) - known)
        if unknown:
            raise ValueError(f"Unknown edit check(s): {', '.join(unknown)}.")
        checks = [c for c in EDIT_CHECKS if c.id in check_ids]
    size = batch_size or CleaningRules.from_settings().batch_size
    ids = list(Patient.objects.order_by("pk").values_list("pk", flat=True))
    result = RunResult(patients=len(ids))
    for chunk in _chunks(ids, size):
        result.add(edit_checks_run_batch(patient_ids=chunk, now=now, checks=checks))
    return result
