"""Writes of the randomisation app (PROTOCOL.md "Randomisation").

Concurrency of `patient_randomize`. Lock order, always the same, so requests never deadlock:

1. the patient row: a repeated request for the same patient waits, then finds the allocation
   already made (and the unique constraint on the patient refuses a second one anyway);
2. the active allocation list row: the one serialisation point of all allocations, so slots and
   randomisation numbers are consecutive: none skipped, none given twice;
3. the trial calendar row, only until the end of study is fixed (the first randomisation).

Everything that can be read or validated is done before lock 2 (permission, eligibility,
consent and baseline in the statement that takes lock 1, field validation). While lock 2 is
held: one statement for the next slot and number, the insert of the allocation and of its
history row, and the commit. A lock per stratum would not help: numbers run across the list,
and the benchmark's worst case (every request in one stratum) serialises on the stratum anyway.

CPU, the limit on a small machine (bench/bench_randomization.py): the statements of the
operation are written in SQL, or compiled from the ORM once per process, rather than built per
call; the result e-mail is a Celery task queued on commit, not rendered and sent in the request.
"""

from __future__ import annotations

import datetime as dt
from functools import cache, partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, Max

from followup.models import TrialCalendar
from followup.services.calendar import study_end_fix
from randomization import allocation, notifications, selectors, tasks
from randomization.models import (
    AllocationList,
    AllocationSlot,
    Method,
    Purpose,
    Randomization,
    Stratum,
)
from randomization.services.common import NOT_OPEN, STRATUM_EMPTY, TEST_LIST, config
from trial.audit import require
from trial.exceptions import StateConflict
from trial.models import Patient, User
from trial.permissions import Action

# ---- Randomising a patient -------------------------------------------------------------------


def _active_list_locked() -> AllocationList:
    """Lock the active list row: the one serialisation point of all allocations (at most one
    row: a unique constraint)."""
    rows = AllocationList.objects.raw(_ACTIVE_LIST_SQL)
    allocation_list = next(iter(rows), None)
    if allocation_list is None:
        raise StateConflict(NOT_OPEN)
    if allocation_list.purpose == Purpose.TEST and not config("ALLOW_TEST_LIST"):
        raise StateConflict(TEST_LIST)
    return allocation_list


# The one statement run under the list lock besides the inserts, written in SQL so that no query
# is compiled while the lock is held. Slots are used in position order, so the first unused one
# is the next; both maxima are read from unique indexes (stratum+position, list+sequence).
_SLOT, _STRATUM, _RANDOMIZATION = (
    AllocationSlot._meta.db_table,
    Stratum._meta.db_table,
    Randomization._meta.db_table,
)
_ACTIVE_LIST_SQL = f"SELECT * FROM {AllocationList._meta.db_table} WHERE active FOR UPDATE"
_EXISTING_SQL = f"SELECT * FROM {_RANDOMIZATION} WHERE patient_id = %s"
_NEXT_SLOT_SQL = f"""
SELECT slot.*,
       (SELECT max(s.position) FROM {_SLOT} s WHERE s.stratum_id = slot.stratum_id)
           AS last_position,
       (SELECT max(r.sequence) FROM {_RANDOMIZATION} r WHERE r.allocation_list_id = %(list)s)
           AS last_sequence
  FROM {_SLOT} slot
  JOIN {_STRATUM} stratum ON stratum.id = slot.stratum_id
 WHERE stratum.allocation_list_id = %(list)s AND stratum.key = %(key)s
   AND NOT EXISTS (SELECT 1 FROM {_RANDOMIZATION} r WHERE r.slot_id = slot.id)
 ORDER BY slot.position
 LIMIT 1
"""


def _next_slot(allocation_list: AllocationList, key: str) -> AllocationSlot:
    """The stratum's first unused slot, annotated with the stratum's last position and the
    list's last sequence number: one statement, run once the list row is locked."""
    rows = AllocationSlot.objects.raw(_NEXT_SLOT_SQL, {"list": allocation_list.pk, "key": key})
    slot = next(iter(rows), None)
    if slot is None:
        raise StateConflict(STRATUM_EMPTY)
    return slot


def _minimization_decide(
    allocation_list: AllocationList, values: dict[str, str], sequence: int
) -> allocation.MinimizationDecision:
    field_of = {
        "regimen": "stratum_regimen",
        "disease_status": "stratum_disease_status",
        "site": "stratum_site",
    }
    counts: dict[tuple[str, str], dict[str, int]] = {}
    for factor in allocation_list.factors:
        rows = (
            Randomization.objects.filter(allocation_list=allocation_list)
            .values(field_of[factor], "arm")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in rows:
            counts.setdefault((factor, row[field_of[factor]]), {})[row["arm"]] = row["n"]
    return allocation.minimization_choose(
        counts=counts,
        levels={f: values[f] for f in allocation_list.factors},
        probability=float(allocation_list.minimization_probability or 0.8),
        seed=allocation_list.seed,
        sequence=sequence,
    )


_ANY_PK = -7_000_001  # stands for the patient's pk in the statement compiled once


@cache
def _patient_lock_sql() -> tuple[str, tuple[Any, ...]]:
    """The patient-locking statement, compiled from the ORM once per process: building and
    compiling it took 1.6 ms of CPU per randomisation; its text never changes."""
    query = (
        selectors.with_randomization_inputs(Patient.objects.select_for_update(of=("self",)))
        .select_related(None)
        .annotate(study_end_fixed=Exists(TrialCalendar.objects.all()))
        .filter(pk=_ANY_PK)
        .query
    )
    sql, params = query.sql_with_params()
    assert params.count(_ANY_PK) == 1
    return sql, tuple(params)


def _patient_locked(patient: Patient) -> Patient:
    """Lock the patient row, reading in the same statement everything randomisation checks
    (stratification values, consent) and whether the end of study is already fixed."""
    sql, params = _patient_lock_sql()
    rows = Patient.objects.raw(sql, [patient.pk if p == _ANY_PK else p for p in params])
    locked = next(iter(rows), None)
    if locked is None:
        raise Patient.DoesNotExist(f"No patient {patient.pk}")
    if locked.site_id == patient.site_id:
        locked.site = patient.site  # already read with the request; a site row is not locked
    return locked


def _check_randomizable(patient: Patient) -> dict[str, str]:
    values = selectors.stratification_values(patient)
    problems = selectors.randomization_problems(patient, values=values)
    conflicts = [p for p in problems if p in selectors.STATE_PROBLEMS]
    if conflicts:
        raise StateConflict(conflicts[0])
    if problems:
        raise ValidationError({"__all__": problems})
    return values


def _allocation_prepare(
    patient: Patient, values: dict[str, str], *, by: User, now: dt.datetime
) -> Randomization:
    """The allocation as far as it is known before the list is locked, validated now so that
    nothing but the slot, the number and the inserts happens under the lock."""
    randomization = Randomization(
        patient=patient,
        randomized_at=now,
        randomized_by=by,
        stratum_regimen=values["regimen"],
        stratum_disease_status=values["disease_status"],
        stratum_site=values["site"],
    )
    randomization.full_clean(
        exclude=[
            "patient",
            "randomized_by",
            "allocation_list",
            "slot",
            "arm",
            "randomization_number",
            "sequence",
        ],
        validate_unique=False,
        validate_constraints=False,
    )
    return randomization


def _allocate(randomization: Randomization, allocation_list: AllocationList) -> int | None:
    """Give the allocation its arm, sequence and number (and slot); return the number of slots
    the stratum has left, or None for minimization. Runs under the list lock."""
    values = {
        "regimen": randomization.stratum_regimen,
        "disease_status": randomization.stratum_disease_status,
        "site": randomization.stratum_site,
    }
    unused = None
    if allocation_list.method == Method.MINIMIZATION:
        last = Randomization.objects.filter(allocation_list=allocation_list).aggregate(
            m=Max("sequence")
        )
        sequence = (last["m"] or 0) + 1
        decision = _minimization_decide(allocation_list, values, sequence)
        randomization.arm, randomization.minimization = decision.arm, decision.as_json()
    else:
        slot = _next_slot(allocation_list, allocation.stratum_key(values, allocation_list.factors))
        sequence = (slot.last_sequence or 0) + 1  # type: ignore[attr-defined]
        randomization.arm, randomization.slot = slot.arm, slot
        unused = slot.last_position - slot.position  # type: ignore[attr-defined]
    randomization.allocation_list = allocation_list
    randomization.sequence = sequence
    randomization.randomization_number = f"{allocation_list.code}-{sequence:04d}"
    return unused


@transaction.atomic
def patient_randomize(*, patient: Patient, by: User, now: dt.datetime) -> Randomization:
    """Allocate the next concealed slot of the patient's stratum (or the minimization arm).

    A repeated request returns the allocation already made; `created` tells them apart.

    Everything that can be read or checked is done before the list row is locked; under the
    lock: the list row, one statement for the slot and the next number, the allocation and its
    history row, and the commit.

    :raises PermissionDenied: the user may not randomise at the patient's site.
    :raises StateConflict: not enrolled or eligibility not confirmed; no usable active list;
        no slot left in the stratum. Nothing is written.
    :raises ValidationError: consent or a stratification value is missing. Nothing is written.
    """
    require(user=by, action=Action.RANDOMIZE, site=patient.site)
    patient = _patient_locked(patient)
    # A statement of its own, after the patient lock is granted: the locking statement reads a
    # snapshot from before its wait and would miss an allocation just made for this patient.
    existing = next(iter(Randomization.objects.raw(_EXISTING_SQL, [patient.pk])), None)
    if existing is not None:
        existing.created = False  # type: ignore[attr-defined]
        return existing
    values = _check_randomizable(patient)
    randomization = _allocation_prepare(patient, values, by=by, now=now)
    allocation_list = _active_list_locked()
    # Again a statement of its own after the lock, so it sees the previous holder's allocation.
    unused = _allocate(randomization, allocation_list)
    randomization._history_user = by  # type: ignore[attr-defined]
    randomization._change_reason = "Randomised"  # type: ignore[attr-defined]
    randomization.save()
    # The first randomisation fixes the trial's end of study (PROTOCOL.md "Post-treatment
    # follow-up"); once fixed it never changes, so later randomisations skip the call.
    if not patient.study_end_fixed:  # type: ignore[attr-defined]
        study_end_fix(first_randomized_at=now, by=by)
    randomization.created = True  # type: ignore[attr-defined]
    # The e-mail is rendered and sent by a worker, not in this request (randomization/tasks.py).
    transaction.on_commit(
        partial(tasks.randomization_result_notify.delay, randomization_pk=randomization.pk)
    )
    if unused is not None:
        _warn_if_low(randomization.slot.stratum_id, unused=unused)  # type: ignore[union-attr]
    return randomization


def _warn_if_low(stratum_pk: int, *, unused: int) -> None:
    """Warn once when the stratum falls below the threshold, and again when it is empty.

    Slots are used in position order without gaps, so the unused count is the distance from
    this slot to the stratum's last one."""
    threshold = int(config("LOW_SLOT_WARNING"))
    if unused == threshold - 1 or (unused == 0 and threshold > 1):
        transaction.on_commit(
            partial(notifications.low_slots_warn, stratum_pk=stratum_pk, unused=unused)
        )
