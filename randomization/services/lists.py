"""Allocation lists: generation from a seed, activation, appending slots, restoring a list
exported by the system. Lists made outside the system: `randomization.services.imports`."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from randomization import allocation, selectors
from randomization.models import (
    AllocationList,
    AllocationSlot,
    Method,
    Purpose,
    Source,
    Stratum,
)
from randomization.rules import RandomizationRules
from trial.audit import reason_prefixed, record_save, require
from trial.models import Site, User
from trial.permissions import Action

# ---- Allocation lists ------------------------------------------------------------------------


def _validate_parameters(
    *, method: str, block_sizes: list[int], factors: list[str], slots: int, probability: float
) -> None:
    errors: dict[str, list[str]] = {}
    if method not in Method.values:
        errors["method"] = [_("Choose one of %(methods)s.") % {"methods": ", ".join(Method.values)}]
    if not factors or len(set(factors)) != len(factors) or set(factors) - set(allocation.FACTORS):
        errors["factors"] = [
            _("Distinct factors among %(factors)s.") % {"factors": ", ".join(allocation.FACTORS)}
        ]
    if method == Method.BLOCKS:
        if not block_sizes or any(s <= 0 or s % 2 for s in block_sizes):
            errors["block_sizes"] = [_("Block sizes must be positive even numbers (1:1).")]
        if slots < 1:
            errors["slots_per_stratum"] = [_("At least one slot per stratum.")]
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
    probability = (
        minimization_probability or RandomizationRules.from_settings().minimization_probability
    )
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
        raise ValidationError({"reason": [_("Say why this list becomes the active one.")]})
    if (
        allocation_list.purpose == Purpose.TEST
        and not RandomizationRules.from_settings().allow_test_list
    ):
        raise ValidationError(
            {"allocation_list": [_("A test list cannot be activated in this environment.")]}
        )
    report = selectors.allocation_list_verify(allocation_list)
    if not report.ok:
        raise ValidationError({"allocation_list": report.problems})
    for current in AllocationList.objects.select_for_update().filter(active=True):
        current.active = False
        record_save(instance=current, by=by, reason=reason_prefixed("Deactivated: ", reason))
    allocation_list.active = True
    record_save(instance=allocation_list, by=by, reason=reason_prefixed("Activated: ", reason))
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
        raise ValidationError({"reason": [_("Say why slots are appended.")]})
    if allocation_list.method != Method.BLOCKS or slots < 1:
        raise ValidationError({"slots": [_("Slots are appended to a block list, at least one.")]})
    if allocation_list.imported:
        # No seed to draw from: only the list's own statistician can extend it.
        raise ValidationError(
            {"allocation_list": [_("An imported list is extended by importing a new list.")]}
        )
    allocation_list = AllocationList.objects.select_for_update().get(pk=allocation_list.pk)
    all_keys = dict(selectors.strata_keys(allocation_list.factors))
    if key and key not in all_keys:
        raise ValidationError({"key": [_("%(key)s is not a stratum of this list.") % {"key": key}]})
    existing = {s.key: s for s in allocation_list.strata.all()}
    wanted = [key] if key else sorted(set(all_keys) | set(existing))
    new = [(k, all_keys[k]) for k in wanted if k not in existing]
    for stratum in _strata_create(allocation_list=allocation_list, keys=new, by=by):
        existing[stratum.key] = stratum
    added = [slot for k in wanted for slot in _append_to(existing[k], slots, reason, by=by)]
    _slots_create(added, by=by, reason=reason_prefixed("Appended: ", reason))
    _checksum_store(allocation_list, by=by, reason=reason_prefixed("Slots appended: ", reason))
    return len(added)


def _append_to(stratum: Stratum, slots: int, reason: str, *, by: User) -> list[AllocationSlot]:
    last = stratum.slots.aggregate(p=Max("position"), b=Max("block_number"))
    round_number = stratum.appended_rounds + 1 if last["p"] else 0
    if round_number:
        stratum.appended_rounds = round_number
        record_save(instance=stratum, by=by, reason=reason_prefixed("Slots appended: ", reason))
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
            name, _sep, value = line[1:].strip().partition("=")
            meta[name.strip()] = value.strip()
        elif line.strip():
            body.append(line)
    if meta.get("source") == Source.IMPORTED:
        raise ValidationError(
            {
                "file": [
                    _(
                        "This is the export of an imported list: import the statistician's "
                        "original file, whose SHA-256 the list records."
                    )
                ]
            }
        )
    rows = list(csv.DictReader(io.StringIO("\n".join(body))))
    missing = {"code", "seed", "method", "purpose", "checksum", "factors"} - set(meta)
    if missing or (rows and set(selectors.CSV_COLUMNS) - set(rows[0])):
        raise ValidationError(
            {"file": [_("This is not an allocation list exported by the system.")]}
        )
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
        raise ValidationError({"file": [_("The checksum does not match the list in the file.")]})
    return allocation_list
