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

import csv
import datetime as dt
import io
from functools import cache, partial
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, Max
from simple_history.utils import bulk_create_with_history

from followup.models import TrialCalendar
from followup.services.calendar import study_end_fix
from randomization import allocation, notifications, selectors, tasks
from randomization.models import (
    AllocationList,
    AllocationSlot,
    CorrectionKind,
    Method,
    Purpose,
    Randomization,
    RandomizationCorrection,
    Stratum,
)
from trial.audit import record_save, require
from trial.exceptions import StateConflict
from trial.models import Patient, PatientStatus, Site, User
from trial.permissions import Action

NOT_OPEN = (
    "Randomisation is not open: no allocation list is active. Contact the trial statistician."
)
TEST_LIST = (
    "Randomisation is suspended: the active allocation list is a test list. "
    "Contact the trial statistician."
)
# Deliberately says nothing of the list (counts, arms, block position): allocation concealment.
STRATUM_EMPTY = (
    "This patient cannot be randomised yet: no allocation is available for the patient's "
    "stratum. Nothing was recorded. The trial statistician must extend the allocation list."
)


def _config(name: str) -> Any:
    return settings.TRIAL_RANDOMIZATION[name]


# ---- Allocation lists ------------------------------------------------------------------------


def _validate_parameters(
    *, method: str, block_sizes: list[int], factors: list[str], slots: int, probability: float
) -> None:
    errors: dict[str, list[str]] = {}
    if method not in Method.values:
        errors["method"] = [f"Choose one of {', '.join(Method.values)}."]
    if not factors or len(set(factors)) != len(factors) or set(factors) - set(allocation.FACTORS):
        errors["factors"] = [f"Distinct factors among {', '.join(allocation.FACTORS)}."]
    if method == Method.BLOCKS:
        if not block_sizes or any(s <= 0 or s % 2 for s in block_sizes):
            errors["block_sizes"] = ["Block sizes must be positive even numbers (1:1)."]
        if slots < 1:
            errors["slots_per_stratum"] = ["At least one slot per stratum."]
    if method == Method.MINIMIZATION and not 0.5 <= probability <= 1:
        errors["minimization_probability"] = ["A probability between 0.5 and 1."]
    if errors:
        raise ValidationError(errors)


def _strata_create(
    *, allocation_list: AllocationList, keys: list[tuple[str, dict[str, str]]], by: User
) -> list[Stratum]:
    sites = {s.code: s for s in Site.objects.all()}
    strata = []
    for key, values in keys:
        stratum = Stratum(
            allocation_list=allocation_list,
            key=key,
            regimen=values.get("regimen", ""),
            disease_status=values.get("disease_status", ""),
            site=sites.get(values["site"]) if "site" in values else None,
        )
        record_save(instance=stratum, by=by)
        strata.append(stratum)
    return strata


def _slots_create(slots: list[AllocationSlot], *, by: User, reason: str) -> None:
    bulk_create_with_history(
        slots, AllocationSlot, batch_size=500, default_user=by, default_change_reason=reason
    )


def _checksum_store(allocation_list: AllocationList, *, by: User, reason: str) -> None:
    allocation_list.checksum = selectors.list_checksum(allocation_list)
    record_save(instance=allocation_list, by=by, reason=reason)


@transaction.atomic
def allocation_list_generate(
    *,
    code: str,
    purpose: str,
    seed: str,
    by: User,
    now: dt.datetime,
    method: str = Method.BLOCKS,
    block_sizes: list[int] | None = None,
    factors: list[str] | None = None,
    slots_per_stratum: int = 0,
    minimization_probability: float | None = None,
) -> AllocationList:
    """Generate a list from a seed: the same seed and parameters always give the same list.

    :raises PermissionDenied: the user is not the statistician or sponsor administrator.
    :raises ValidationError: bad parameters, a code or seed already used by another list.
    """
    require(user=by, action=Action.MANAGE_ALLOCATION, site=None)
    block_sizes = list(block_sizes or [])
    factors = list(factors or [])
    probability = minimization_probability or float(_config("MINIMIZATION_PROBABILITY"))
    _validate_parameters(
        method=method,
        block_sizes=block_sizes,
        factors=factors,
        slots=slots_per_stratum,
        probability=probability,
    )
    is_blocks = method == Method.BLOCKS
    allocation_list = AllocationList(
        code=code,
        purpose=purpose,
        method=method,
        seed=seed,
        block_sizes=block_sizes if is_blocks else [],
        factors=factors,
        slots_per_stratum=slots_per_stratum if is_blocks else 0,
        minimization_probability=None if is_blocks else probability,
        generated_at=now,
        generated_by=by,
    )
    record_save(instance=allocation_list, by=by, reason="Generated")
    if is_blocks:
        strata = _strata_create(
            allocation_list=allocation_list, keys=selectors.strata_keys(factors), by=by
        )
        slots = [
            AllocationSlot(
                stratum=stratum,
                position=d.position,
                block_number=d.block_number,
                block_size=d.block_size,
                arm=d.arm,
            )
            for stratum in strata
            for d in allocation.blocks_draw(
                seed=seed, key=stratum.key, block_sizes=block_sizes, slots=slots_per_stratum
            )
        ]
        _slots_create(slots, by=by, reason="Generated")
    _checksum_store(allocation_list, by=by, reason="Checksum of the generated list")
    return allocation_list


@transaction.atomic
def allocation_list_activate(
    *, allocation_list: AllocationList, by: User, reason: str
) -> AllocationList:
    """Make this list the one randomisation uses; the previously active list is deactivated.

    :raises ValidationError: no reason; a test list where test lists are not allowed; a list
        that fails verification.
    """
    require(user=by, action=Action.MANAGE_ALLOCATION, site=None)
    if not reason.strip():
        raise ValidationError({"reason": ["Say why this list becomes the active one."]})
    if allocation_list.purpose == Purpose.TEST and not _config("ALLOW_TEST_LIST"):
        raise ValidationError(
            {"allocation_list": ["A test list cannot be activated in this environment."]}
        )
    report = selectors.allocation_list_verify(allocation_list)
    if not report.ok:
        raise ValidationError({"allocation_list": report.problems})
    for current in AllocationList.objects.select_for_update().filter(active=True):
        current.active = False
        record_save(instance=current, by=by, reason=f"Deactivated: {reason.strip()}")
    allocation_list.active = True
    record_save(instance=allocation_list, by=by, reason=f"Activated: {reason.strip()}")
    return allocation_list


@transaction.atomic
def allocation_list_append(
    *, allocation_list: AllocationList, slots: int, reason: str, by: User, key: str = ""
) -> int:
    """Append whole blocks (at least `slots` slots) to every stratum, or to the one named by
    `key` (created if it is new, e.g. a new site). Existing slots are untouched.
    Return the number of slots added.

    :raises ValidationError: no reason, not a block list, an unknown stratum.
    """
    require(user=by, action=Action.MANAGE_ALLOCATION, site=None)
    if not reason.strip():
        raise ValidationError({"reason": ["Say why slots are appended."]})
    if allocation_list.method != Method.BLOCKS or slots < 1:
        raise ValidationError({"slots": ["Slots are appended to a block list, at least one."]})
    allocation_list = AllocationList.objects.select_for_update().get(pk=allocation_list.pk)
    all_keys = dict(selectors.strata_keys(allocation_list.factors))
    if key and key not in all_keys:
        raise ValidationError({"key": [f"{key} is not a stratum of this list."]})
    existing = {s.key: s for s in allocation_list.strata.all()}
    wanted = [key] if key else sorted(set(all_keys) | set(existing))
    new = [(k, all_keys[k]) for k in wanted if k not in existing]
    for stratum in _strata_create(allocation_list=allocation_list, keys=new, by=by):
        existing[stratum.key] = stratum
    added = [slot for k in wanted for slot in _append_to(existing[k], slots, reason, by=by)]
    _slots_create(added, by=by, reason=f"Appended: {reason.strip()}")
    _checksum_store(allocation_list, by=by, reason=f"Slots appended: {reason.strip()}")
    return len(added)


def _append_to(stratum: Stratum, slots: int, reason: str, *, by: User) -> list[AllocationSlot]:
    last = stratum.slots.aggregate(p=Max("position"), b=Max("block_number"))
    round_number = stratum.appended_rounds + 1 if last["p"] else 0
    if round_number:
        stratum.appended_rounds = round_number
        record_save(instance=stratum, by=by, reason=f"Slots appended: {reason.strip()}")
    drafts = allocation.blocks_draw(
        seed=stratum.allocation_list.seed,
        key=stratum.key,
        block_sizes=stratum.allocation_list.block_sizes,
        slots=slots,
        start_position=(last["p"] or 0) + 1,
        start_block=(last["b"] or 0) + 1,
        round_number=round_number,
    )
    return [
        AllocationSlot(
            stratum=stratum,
            position=d.position,
            block_number=d.block_number,
            block_size=d.block_size,
            arm=d.arm,
            append_round=round_number,
            append_reason=reason.strip() if round_number else "",
        )
        for d in drafts
    ]


def _csv_parse(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    meta: dict[str, str] = {}
    body = []
    for line in text.splitlines():
        if line.startswith("#"):
            name, _, value = line[1:].strip().partition("=")
            meta[name.strip()] = value.strip()
        elif line.strip():
            body.append(line)
    rows = list(csv.DictReader(io.StringIO("\n".join(body))))
    missing = {"code", "seed", "method", "purpose", "checksum", "factors"} - set(meta)
    if missing or (rows and set(selectors.CSV_COLUMNS) - set(rows[0])):
        raise ValidationError({"file": ["This is not an allocation list exported by the system."]})
    return meta, rows


@transaction.atomic
def allocation_list_import(*, text: str, by: User, now: dt.datetime) -> AllocationList:
    """Import an exported list (inactive); its checksum must match what it contains.

    :raises ValidationError: a malformed file, or a checksum that does not match.
    """
    require(user=by, action=Action.MANAGE_ALLOCATION, site=None)
    meta, rows = _csv_parse(text)
    probability = meta.get("minimization_probability", "")
    allocation_list = AllocationList(
        code=meta["code"],
        purpose=meta["purpose"],
        method=meta["method"],
        seed=meta["seed"],
        block_sizes=[int(s) for s in meta.get("block_sizes", "").split(",") if s],
        factors=[f for f in meta["factors"].split(",") if f],
        slots_per_stratum=int(meta.get("slots_per_stratum") or 0),
        minimization_probability=float(probability) if probability else None,
        generated_at=now,
        generated_by=by,
    )
    record_save(instance=allocation_list, by=by, reason="Imported")
    keys: dict[str, dict[str, str]] = {}
    for row in rows:
        keys.setdefault(row["stratum"], {f: row[f] for f in allocation_list.factors})
    strata = {
        s.key: s
        for s in _strata_create(allocation_list=allocation_list, keys=sorted(keys.items()), by=by)
    }
    slots = [
        AllocationSlot(
            stratum=strata[row["stratum"]],
            position=int(row["position"]),
            block_number=int(row["block_number"]),
            block_size=int(row["block_size"]),
            arm=row["arm"],
            append_round=int(row["append_round"]),
        )
        for row in rows
    ]
    _slots_create(slots, by=by, reason="Imported")
    _checksum_store(allocation_list, by=by, reason="Checksum of the imported list")
    if allocation_list.checksum != meta["checksum"]:
        raise ValidationError({"file": ["The checksum does not match the list in the file."]})
    return allocation_list


# ---- Randomising a patient -------------------------------------------------------------------


def _active_list_locked() -> AllocationList:
    """Lock the active list row: the one serialisation point of all allocations (at most one
    row: a unique constraint)."""
    rows = AllocationList.objects.raw(_ACTIVE_LIST_SQL)
    allocation_list = next(iter(rows), None)
    if allocation_list is None:
        raise StateConflict(NOT_OPEN)
    if allocation_list.purpose == Purpose.TEST and not _config("ALLOW_TEST_LIST"):
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
    if patient.status != PatientStatus.ENROLLED:
        raise StateConflict("Only an enrolled patient can be randomised.")
    if not patient.eligibility_confirmed:
        raise StateConflict("An investigator must confirm eligibility before randomisation.")
    values = selectors.stratification_values(patient)
    problems = selectors.randomization_problems(patient, values=values)
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
    threshold = int(_config("LOW_SLOT_WARNING"))
    if unused == threshold - 1 or (unused == 0 and threshold > 1):
        transaction.on_commit(
            partial(notifications.low_slots_warn, stratum_pk=stratum_pk, unused=unused)
        )


# ---- Corrections -----------------------------------------------------------------------------


@transaction.atomic
def randomization_correct(
    *,
    randomization: Randomization,
    kind: str,
    reason: str,
    by: User,
    now: dt.datetime,
    correct_regimen: str = "",
    correct_disease_status: str = "",
) -> RandomizationCorrection:
    """Record an error in a randomisation. The allocation stands (ITT); never a re-randomisation.

    :raises PermissionDenied: the user is not a sponsor administrator.
    :raises ValidationError: no reason; a wrong-stratum correction without a corrected value.
    """
    patient = cast(Patient, randomization.patient)
    require(user=by, action=Action.CORRECT_RANDOMIZATION, site=patient.site)
    if not reason.strip():
        raise ValidationError({"reason": ["A correction needs a reason."]})
    if kind == CorrectionKind.WRONG_STRATUM and not (correct_regimen or correct_disease_status):
        raise ValidationError(
            {"correct_regimen": ["Give the stratification value(s) that should have been used."]}
        )
    correction = RandomizationCorrection(
        randomization=randomization,
        kind=kind,
        correct_regimen=correct_regimen,
        correct_disease_status=correct_disease_status,
        reason=reason.strip(),
        recorded_at=now,
        recorded_by=by,
    )
    record_save(instance=correction, by=by, reason=f"Correction: {reason.strip()}")
    return correction
