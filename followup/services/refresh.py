"""The daily schedule refresh (docs/protocol.md "Post-treatment follow-up": the scheduler).

Idempotent and safe to run concurrently: each batch locks its patients' rows, reads the
visits, and writes only what the dates require; a second run finds nothing to do, and the
unique constraint (patient, visit number) backs the "no duplicates" promise. Each batch is
one transaction with a fixed number of queries, so a worker killed halfway leaves whole
batches done and a re-run completes the rest.

Anchor: the end-of-treatment date. A randomised patient without an end-of-treatment record
(treatment never recorded as ended, or recorded late) is followed from a provisional anchor,
randomisation + PROVISIONAL_ANCHOR_MONTHS; once the end of treatment is recorded, every
visit still open is re-anchored on it (history keeps the earlier dates).

Stopping: death, withdrawal or loss to follow-up stop the schedule on their date; an open
visit whose window had not closed by then is cancelled with the reason, never deleted.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import operator
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

from django.db import models, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from followup.models import OPEN_STATUSES, Visit, VisitStatus
from followup.schedule import FollowupRules, PlannedVisit, plan_visit, status_on, visits_due_by
from followup.services.bulk import NewVisit, visits_insert, visits_update
from randomization.models import Randomization, TrialCalendar
from randomization.services.calendar import study_end_ensure
from trial.bulk import cycle_collection_paused, records_read
from trial.dates import add_months
from trial.models import Patient

_RANK: dict[str, int] = {str(s): i for i, s in enumerate(OPEN_STATUSES)}
_DATE_FIELDS = (
    "month",
    "anchor_date",
    "anchor_provisional",
    "target_date",
    "window_opens",
    "window_closes",
    "overdue_from",
    "missed_from",
)
_UPDATE_FIELDS = [
    *_DATE_FIELDS,
    "status",
    "status_reason",
    "window_reminded_on",
    "overdue_reminded_on",
]
_updated_values = operator.attrgetter(*_UPDATE_FIELDS)


@dataclass
class RefreshResult:
    today: dt.date
    end_of_study: dt.date | None = None
    patients: int = 0
    batches: int = 0
    created: int = 0
    updated: int = 0
    cancelled: int = 0
    reminders: int = 0

    def add(self, other: BatchResult) -> None:
        self.batches += 1
        self.created += other.created
        self.updated += other.updated
        self.cancelled += other.cancelled
        self.reminders += other.reminders


@dataclass
class BatchResult:
    created: int = 0
    updated: int = 0
    cancelled: int = 0
    reminders: int = 0
    to_create: list[tuple[int, NewVisit]] = field(default_factory=list)
    to_update: list[Visit] = field(default_factory=list)


@dataclass(frozen=True)
class _PatientState:
    patient_id: int
    anchor: dt.date
    provisional: bool
    stop_date: dt.date | None
    stop_reason: str


def visits_refresh(*, today: dt.date, batch_size: int | None = None) -> RefreshResult:
    """Bring every randomised patient's schedule up to date as of `today`.

    Creates the visits that come due, moves open visits to due / overdue / missed, cancels
    those after a stop and flags the visits the day's reminders will name
    (`result.reminders`); the callers that run daily then send them (followup/tasks.py).
    """
    size = batch_size or FollowupRules.from_settings().refresh_batch_size
    calendar = study_end_ensure()
    result = RefreshResult(today=today)
    if calendar is None:
        return result
    result.end_of_study = calendar.end_of_study
    patient_ids = list(
        Randomization.objects.order_by("patient_id").values_list("patient_id", flat=True)
    )
    result.patients = len(patient_ids)
    for chunk in _chunks(patient_ids, size):
        result.add(visits_refresh_batch(patient_ids=chunk, today=today, calendar=calendar))
    return result


def patient_schedule_refresh(*, patient: Patient, today: dt.date) -> None:
    """Bring one patient's schedule up to date at once: after end of treatment, a death,
    a withdrawal or a loss to follow-up is recorded (docs/protocol.md "Post-treatment follow-up")."""
    calendar = study_end_ensure()
    if calendar is not None:
        visits_refresh_batch(patient_ids=[patient.pk], today=today, calendar=calendar)


# What stops the schedule: (the patient's relation, its date column, the cancellation label).
_STOPS = (
    ("death", "death_date", "Death"),
    ("withdrawal", "withdrawal_date", "Withdrawal of consent"),
    ("loss_to_followup", "declared_on", "Lost to follow-up"),
)
# Visits a stop cancelled ("Death on 2027-03-01"): reopened once that stop no longer applies
# (its record entered in error, or its date corrected).
_CANCELLED_BY_A_STOP = Q(status=VisitStatus.CANCELLED) & reduce(
    operator.or_, (Q(status_reason__startswith=f"{label} on ") for _, _, label in _STOPS)
)

# The records whose date stops or anchors the schedule (`_state` reads them).
SCHEDULE_RECORDS = frozenset(
    {"trial.death", "trial.withdrawal", "trial.losstofollowup", "treatment.endoftreatment"}
)


def schedule_refresh_after_entered_in_error(
    *, record: models.Model, today: dt.date, **_: object
) -> None:
    """Once a record that stops or anchors the schedule is marked entered in error, plan the
    patient's visits again without it (docs/protocol.md "Post-treatment follow-up")."""
    if record._meta.label_lower in SCHEDULE_RECORDS:
        patient_schedule_refresh(patient=getattr(record, "patient"), today=today)  # noqa: B009


@cycle_collection_paused()  # its objects die with the batch
@transaction.atomic
def visits_refresh_batch(
    *, patient_ids: list[int], today: dt.date, calendar: TrialCalendar
) -> BatchResult:
    """Refresh the schedules of a batch of patients in one transaction (constant query count)."""
    rules = FollowupRules.from_settings()
    rows = (
        Patient.objects.select_for_update(of=("self",))
        .filter(pk__in=patient_ids)
        .order_by("pk")
        .values("pk", **_patient_dates())
    )
    states = [s for s in (_state(row, rules) for row in rows) if s is not None]
    ids = [s.patient_id for s in states]
    numbers: dict[int, set[int]] = defaultdict(set)
    for patient_id, number in Visit.objects.filter(patient_id__in=ids).values_list(
        "patient_id", "number"
    ):
        numbers[patient_id].add(number)
    # Only open visits can change; settled ones (done, not done, cancelled) are left alone,
    # except a visit a stop cancelled, which comes back if that stop no longer applies.
    open_visits: dict[int, list[Visit]] = defaultdict(list)
    for visit in records_read(
        Visit.objects.filter(Q(status__in=OPEN_STATUSES) | _CANCELLED_BY_A_STOP, patient_id__in=ids)
    ):
        open_visits[visit.patient_id].append(visit)
    batch = BatchResult()
    for state in states:
        pid = state.patient_id
        _plan_patient(state, numbers[pid], open_visits[pid], today, calendar, rules, batch)
    visits_insert(batch.to_create, default_reason="Scheduled")
    visits_update(batch.to_update, _UPDATE_FIELDS, default_reason="Schedule refreshed")
    batch.created, batch.updated = len(batch.to_create), len(batch.to_update)
    return batch


def _patient_dates() -> dict[str, Subquery]:
    """What places and stops a patient's schedule, by subqueries: one index lookup per patient
    and record, where joins read each record table whole for every batch (a tenth of a second
    per batch at 100,000 patients). A record entered in error does not count."""
    dates = {"randomized_at": _record_date("randomization", "randomized_at", counted_only=False)}
    dates["end_of_treatment_on"] = _record_date("end_of_treatment", "end_date")
    dates.update((f"{name}_on", _record_date(name, column)) for name, column, _ in _STOPS)
    return dates


def _record_date(relation: str, column: str, *, counted_only: bool = True) -> Subquery:
    model: Any = Patient._meta.get_field(relation).related_model
    records = model._default_manager.filter(patient=OuterRef("pk"))
    if counted_only:
        records = records.filter(entered_in_error=False)
    return Subquery(records.values(column))


def _state(row: Mapping[str, Any], rules: FollowupRules) -> _PatientState | None:
    randomized_at = row["randomized_at"]
    if randomized_at is None:
        return None
    if row["end_of_treatment_on"]:
        anchor, provisional = row["end_of_treatment_on"], False
    else:
        randomized_on = timezone.localdate(randomized_at)
        anchor, provisional = add_months(randomized_on, rules.provisional_anchor_months), True
    stops = [(row[f"{name}_on"], label) for name, _, label in _STOPS if row[f"{name}_on"]]
    stop_date, stop_label = min(stops, key=lambda s: s[0]) if stops else (None, "")
    reason = f"{stop_label} on {stop_date:%Y-%m-%d}" if stop_date else ""
    return _PatientState(row["pk"], anchor, provisional, stop_date, reason)


def _stopped_before_close(state: _PatientState, window_closes: dt.date) -> bool:
    return state.stop_date is not None and window_closes > state.stop_date


def _plan_patient(
    state: _PatientState,
    existing: set[int],
    visits: list[Visit],
    today: dt.date,
    calendar: TrialCalendar,
    rules: FollowupRules,
    batch: BatchResult,
) -> None:
    new_visits = _new_visits(state.anchor, state.provisional, today, calendar.end_of_study, rules)
    for new in new_visits:
        if new.number in existing:
            continue
        if _stopped_before_close(state, new.window_closes):
            break  # the schedule stopped: nothing later is planned
        batch.to_create.append((state.patient_id, new))
        batch.reminders += _is_reminded_today(new, today)
    for visit in visits:
        if _settle_open(visit, state, today, calendar, rules):
            batch.to_update.append(visit)
            batch.cancelled += visit.status == VisitStatus.CANCELLED
            batch.reminders += _is_reminded_today(visit, today)


def _settle_open(
    visit: Visit,
    state: _PatientState,
    today: dt.date,
    calendar: TrialCalendar,
    rules: FollowupRules,
) -> bool:
    """Re-anchor, cancel or advance one open visit, or reopen one a stop that no longer
    applies had cancelled; return whether it changed."""
    before = _updated_values(visit)
    reason = "Schedule refreshed"
    if visit.status == VisitStatus.CANCELLED:
        if visit.status_reason == state.stop_reason[:200]:
            return False  # still cancelled by the stop that applies
        visit.status, visit.status_reason = VisitStatus.PLANNED, ""
        reason = "Reopened: the stop that cancelled it no longer applies"
    if visit.anchor_date != state.anchor or visit.anchor_provisional != state.provisional:
        planned = plan_visit(
            anchor=state.anchor,
            number=visit.number,
            end_of_study=calendar.end_of_study,
            rules=rules,
        )
        if planned is None:
            return _cancel(visit, "Re-anchored: falls after the end of study")
        _apply_plan(visit, planned, state)
        visit.status = visit.status_on(today)
        reason = "Re-anchored on the end-of-treatment date"
    if _stopped_before_close(state, visit.window_closes):
        return _cancel(visit, state.stop_reason)
    new_status = visit.status_on(today)
    if _RANK[new_status] > _RANK[visit.status]:
        visit.status = new_status
    _flag_reminders(visit, today)
    changed = _updated_values(visit) != before
    if changed:
        visit._change_reason = reason  # type: ignore[attr-defined]
    return changed


def _cancel(visit: Visit, reason: str) -> bool:
    visit.status, visit.status_reason = VisitStatus.CANCELLED, reason[:200]
    visit._change_reason = f"Cancelled: {reason}"[:100]  # type: ignore[attr-defined]
    return True


@functools.lru_cache(maxsize=2048)
def _new_visits(
    anchor: dt.date,
    provisional: bool,
    today: dt.date,
    end_of_study: dt.date,
    rules: FollowupRules,
) -> tuple[NewVisit, ...]:
    """The visits a schedule on `anchor` has by `today`, as new rows. Every patient with that
    anchor shares them, so they are worked out once: planning each patient's visits anew, as
    model instances, was most of the first fill of a schedule."""
    return tuple(
        _new_visit(planned, anchor, provisional, status_on(planned, today), today)
        for planned in visits_due_by(
            anchor=anchor, today=today, end_of_study=end_of_study, rules=rules
        )
    )


def _planned_columns(planned: PlannedVisit, anchor: dt.date, provisional: bool) -> dict[str, Any]:
    """The columns of a visit its plan decides (number, month, anchor and dates), by the
    field names Visit and NewVisit share."""
    columns = {f.name: getattr(planned, f.name) for f in dataclasses.fields(planned)}
    return columns | {"anchor_date": anchor, "anchor_provisional": provisional}


def _new_visit(
    planned: PlannedVisit, anchor: dt.date, provisional: bool, status: str, today: dt.date
) -> NewVisit:
    window_reminded_on, overdue_reminded_on = _reminders(status, None, None, today)
    return NewVisit(
        **_planned_columns(planned, anchor, provisional),
        status=status,
        window_reminded_on=window_reminded_on,
        overdue_reminded_on=overdue_reminded_on,
    )


def _apply_plan(visit: Visit, planned: PlannedVisit, state: _PatientState) -> None:
    for name, value in _planned_columns(planned, state.anchor, state.provisional).items():
        setattr(visit, name, value)


def _flag_reminders(visit: Visit, today: dt.date) -> None:
    visit.window_reminded_on, visit.overdue_reminded_on = _reminders(
        visit.status, visit.window_reminded_on, visit.overdue_reminded_on, today
    )


def _reminders(
    status: str, window_on: dt.date | None, overdue_on: dt.date | None, today: dt.date
) -> tuple[dt.date | None, dt.date | None]:
    """Remember the day a visit entered its window / became overdue: one reminder each."""
    if status == VisitStatus.DUE and window_on is None:
        window_on = today
    if status == VisitStatus.OVERDUE and overdue_on is None:
        overdue_on = today
    return window_on, overdue_on


def _is_reminded_today(visit: Visit | NewVisit, today: dt.date) -> int:
    return int(today in (visit.window_reminded_on, visit.overdue_reminded_on))


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
