"""Randomising a patient (docs/protocol.md "Randomisation").

Concurrency of `patient_randomize`, written once with the ORM's `select_for_update()`: a row
lock on PostgreSQL, a no-op on SQLite (whose writers are serialised by the database itself).
Lock order, always the same, so requests never deadlock:

1. the patient row: a repeated request for the same patient waits, then finds the allocation
   already made (and the unique constraint on the patient refuses a second one anyway);
2. the active allocation list row: the one serialisation point of all allocations, so slots and
   randomisation numbers are consecutive: none skipped, none given twice;
3. the trial calendar row, only until the end of study is fixed (the first randomisation).

Everything that can be checked (permission, eligibility, consent, stratification values, field
validation) is done before lock 2. Each read that must see a previous holder's allocation is a
statement of its own issued after the lock is granted: a locking statement reads a snapshot
taken before its wait.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max

from randomization import allocation, notifications, selectors
from randomization.models import (
    AllocationList,
    AllocationSlot,
    Method,
    Purpose,
    Randomization,
)
from randomization.rules import RandomizationRules
from randomization.services.calendar import study_end_fix
from randomization.services.common import NOT_OPEN, STRATUM_EMPTY, TEST_LIST
from trial.audit import require, write_check
from trial.exceptions import StateConflict
from trial.models import Patient, User
from trial.permissions import Action


@transaction.atomic
def patient_randomize(*, patient: Patient, by: User, now: dt.datetime) -> Randomization:
    """Allocate the next concealed slot of the patient's stratum (or the minimization arm).

    A repeated request returns the allocation already made; `created` tells them apart.

    :raises PermissionDenied: the user may not randomise at the patient's site.
    :raises StateConflict: not enrolled or eligibility not confirmed; no usable active list;
        no slot left in the stratum. Nothing is written.
    :raises ValidationError: consent or a stratification value is missing. Nothing is written.
    """
    require(user=by, action=Action.RANDOMIZE, site=patient.site)
    patient = _patient_locked(patient)
    existing = Randomization.objects.filter(patient=patient).first()
    if existing is not None:
        existing.created = False  # type: ignore[attr-defined]
        return existing
    values = _randomizable_values(patient)
    randomization = _allocation_prepare(patient, values, by=by, now=now)
    allocation_list = _active_list_locked()
    slot = _allocate(randomization, allocation_list)
    write_check(instance=randomization)
    randomization._history_user = by  # type: ignore[attr-defined]
    randomization._change_reason = "Randomised"  # type: ignore[attr-defined]
    randomization.save()
    # The first randomisation fixes the trial's end of study (docs/protocol.md "Randomisation").
    # The trial's first randomisation is the first of its list; the fix is idempotent, so the
    # first of a later list changes nothing, and no other randomisation needs the call.
    if randomization.sequence == 1:
        study_end_fix(first_randomized_at=now, by=by)
    randomization.created = True  # type: ignore[attr-defined]
    # The result e-mail commits with the allocation, or not at all (README "Messages").
    notifications.randomization_result_queue(randomization=randomization, now=now)
    if slot is not None:
        _warn_if_low(slot, now=now)
    return randomization


def _patient_locked(patient: Patient) -> Patient:
    """Lock the patient row, reading with it what randomisation checks (stratification values,
    consent)."""
    locked = selectors.with_randomization_inputs(
        Patient.objects.select_for_update(of=("self",))
    ).get(pk=patient.pk)
    return locked


def _randomizable_values(patient: Patient) -> dict[str, str]:
    """The patient's stratification values, once nothing stands in the way of randomisation."""
    values = selectors.stratification_values(patient)
    problems = selectors.randomization_problems(patient, values=values)
    conflicts = [p for p in problems if p in selectors.state_problems()]
    if conflicts:
        raise StateConflict(conflicts[0])
    if problems:
        raise ValidationError({"__all__": problems})
    return values


def _allocation_prepare(
    patient: Patient, values: dict[str, str], *, by: User, now: dt.datetime
) -> Randomization:
    """The allocation as far as it is known before the list is locked, validated now."""
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
            *("patient", "randomized_by", "allocation_list", "slot", "arm"),
            *("randomization_number", "sequence"),
        ],
        validate_unique=False,
        validate_constraints=False,
    )
    return randomization


def _active_list_locked() -> AllocationList:
    """Lock the active list row (at most one: a unique constraint)."""
    allocation_list = AllocationList.objects.select_for_update().filter(active=True).first()
    if allocation_list is None:
        raise StateConflict(str(NOT_OPEN))
    if (
        allocation_list.purpose == Purpose.TEST
        and not RandomizationRules.from_settings().allow_test_list
    ):
        raise StateConflict(str(TEST_LIST))
    return allocation_list


def _allocate(
    randomization: Randomization, allocation_list: AllocationList
) -> AllocationSlot | None:
    """Give the allocation its arm, sequence, number and (for blocks) slot, which is returned.

    Runs under the list lock."""
    last = Randomization.objects.filter(allocation_list=allocation_list).aggregate(
        m=Max("sequence")
    )
    sequence = (last["m"] or 0) + 1
    values = randomization.stratum_values
    slot = None
    if allocation_list.method == Method.MINIMIZATION:
        decision = _minimization_decide(allocation_list, values, sequence)
        randomization.arm, randomization.minimization = decision.arm, decision.as_json()
    else:
        slot = _next_slot(allocation_list, allocation.stratum_key(values, allocation_list.factors))
        randomization.arm, randomization.slot = slot.arm, slot
    randomization.allocation_list = allocation_list
    randomization.sequence = sequence
    randomization.randomization_number = f"{allocation_list.code}-{sequence:04d}"
    return slot


def _next_slot(allocation_list: AllocationList, key: str) -> AllocationSlot:
    """The stratum's first unused slot: slots are used in position order."""
    slot = (
        AllocationSlot.objects.filter(
            stratum__allocation_list=allocation_list,
            stratum__key=key,
            randomization__isnull=True,
        )
        .order_by("position")
        .first()
    )
    if slot is None:
        raise StateConflict(str(STRATUM_EMPTY))
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


def _warn_if_low(slot: AllocationSlot, *, now: dt.datetime) -> None:
    """Warn once when the stratum falls below the threshold, and again when it is empty.

    Slots are used in position order without gaps, so the unused count is the distance from
    this slot to the stratum's last one."""
    threshold = RandomizationRules.from_settings().low_slot_warning
    last = AllocationSlot.objects.filter(stratum_id=slot.stratum_id).aggregate(m=Max("position"))
    unused = last["m"] - slot.position
    if unused == threshold - 1 or (unused == 0 and threshold > 1):
        notifications.low_slots_queue(stratum=slot.stratum, unused=unused, now=now)
