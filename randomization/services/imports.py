"""Importing an allocation list made by an independent statistician (docs/protocol.md
"Randomisation"). The file and the import's parameters are checked in full first; on any
problem nothing is written, and a dry run gives the same report without writing."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from randomization import external, selectors
from randomization.allocation import DEX
from randomization.models import AllocationList, AllocationSlot, Method, Source
from randomization.rules import RandomizationRules
from randomization.services.lists import _checksum_store, _slots_create, _strata_create
from trial.audit import record_save, require
from trial.models import User
from trial.permissions import Action


@dataclass
class ImportReport:
    """What an import found (and, unless a dry run or refused, wrote).

    `errors` are by field (`file` for the file's rows, each with its row numbers);
    `strata` have the same shape as in the verification report."""

    allocation_list: AllocationList
    dry_run: bool
    rows: int = 0
    errors: dict[str, list[str]] = field(default_factory=dict)
    strata: list[selectors.StratumUsage] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def problems(self) -> list[str]:
        return [message for messages in self.errors.values() for message in messages]

    @property
    def balance_rule(self) -> str:
        return selectors.balance_rule(self.allocation_list)

    @property
    def written(self) -> bool:
        return self.allocation_list.pk is not None


@transaction.atomic
def allocation_list_import_external(
    *,
    content: bytes,
    code: str,
    purpose: str,
    stated_method: str,
    block_sizes: list[int] | None,
    balance_tolerance: int | None,
    by: User,
    now: dt.datetime,
    dry_run: bool = False,
) -> ImportReport:
    """Import (inactive) a list made outside the system, with its provenance: who imported it,
    when, the file's SHA-256, the statistician's stated method and declared block sizes (or,
    without blocks, the tolerance of each stratum's balance). Return the report; a dry run
    writes nothing.

    :raises PermissionDenied: the user is not the statistician or sponsor administrator.
    :raises ValidationError: any problem of the parameters or the file (not on a dry run,
        which reports them); nothing is written.
    """
    require(user=by, action=Action.MANAGE_ALLOCATION, site=None)
    allocation_list = AllocationList(
        code=code.strip(),
        purpose=purpose,
        source=Source.IMPORTED,
        method=Method.BLOCKS,
        block_sizes=sorted(set(block_sizes or [])),
        factors=RandomizationRules.from_settings().list_factors,
        balance_tolerance=balance_tolerance,
        stated_method=stated_method.strip(),
        file_sha256=hashlib.sha256(content).hexdigest(),
        imported_at=now,
        imported_by=by,
    )
    report = ImportReport(allocation_list=allocation_list, dry_run=dry_run)
    _parameters_check(report)
    rows = _file_check(report, content)
    if dry_run:
        return report
    if not report.ok:
        raise ValidationError(report.errors)
    _list_write(allocation_list, rows, by=by)
    # The stored list is verified as activation will verify it: what was checked is what was
    # written.
    verified = selectors.allocation_list_verify(allocation_list)
    if not verified.ok:
        raise ValidationError({"file": verified.problems})
    report.strata = verified.strata
    return report


def _parameters_check(report: ImportReport) -> None:
    allocation_list, errors = report.allocation_list, report.errors
    try:
        allocation_list.full_clean(exclude=["checksum"])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault("non_field_errors" if name == "__all__" else name, []).extend(
                messages
            )
    if not allocation_list.stated_method:
        errors.setdefault("stated_method", []).append(
            _("Say how the statistician made the list (method, software, seed if any, date).")
        )
    sizes = allocation_list.block_sizes
    if any(size < 2 or size % 2 for size in sizes):
        errors.setdefault("block_sizes", []).append(
            _("Block sizes are even numbers from 2 (each block 1:1).")
        )
    tolerance = allocation_list.balance_tolerance
    if sizes and tolerance is not None:
        errors.setdefault("balance_tolerance", []).append(
            _("A tolerance applies only to a list without declared blocks.")
        )
    if not sizes and tolerance is None:
        errors.setdefault("balance_tolerance", []).append(
            _(
                "Without declared blocks, state the largest difference between the arms' counts "
                "allowed in a stratum."
            )
        )
    same_file = AllocationList.objects.filter(file_sha256=allocation_list.file_sha256).first()
    if same_file is not None:
        errors.setdefault("file", []).append(
            _("This file was already imported as list %(code)s.") % {"code": same_file.code}
        )


def _file_check(report: ImportReport, content: bytes) -> list[external.Row]:
    """Read and check every row; fill the report's file problems and strata balance."""
    allocation_list = report.allocation_list
    if len(content) > external.MAX_FILE_BYTES:
        report.errors.setdefault("file", []).append(
            _("The file is larger than %(size)s bytes: is it the allocation list?")
            % {"size": f"{external.MAX_FILE_BYTES:,}"}
        )
        return []
    strata = selectors.strata_keys(allocation_list.factors)
    reading = external.file_read(
        content,
        factors=allocation_list.factors,
        levels={f: selectors.levels(f) for f in allocation_list.factors},
        blocks_declared=bool(allocation_list.block_sizes),
    )
    problems = list(reading.problems)
    if reading.readable:
        problems += external.structure_problems(
            reading.rows,
            strata=[key for key, _ in strata],
            block_sizes=allocation_list.block_sizes,
            tolerance=allocation_list.balance_tolerance,
            unreadable=reading.unreadable_strata,
        )
    if problems:
        report.errors.setdefault("file", []).extend(str(p) for p in problems)
    report.rows = reading.row_count
    report.strata = _balance(reading.rows)
    return reading.rows


def _balance(rows: list[external.Row]) -> list[selectors.StratumUsage]:
    counts: dict[str, list[int]] = {}
    for row in rows:
        dex_ctrl = counts.setdefault(row.key, [0, 0])
        dex_ctrl[0 if row.slot.arm == DEX else 1] += 1
    return [
        selectors.StratumUsage(key, 0, dex + ctrl, dex, ctrl)
        for key, (dex, ctrl) in sorted(counts.items())
    ]


def _list_write(allocation_list: AllocationList, rows: list[external.Row], *, by: User) -> None:
    reason = f"Imported from a file of SHA-256 {allocation_list.file_sha256}"
    record_save(instance=allocation_list, by=by, reason=reason)
    levels = {row.key: dict(row.levels) for row in rows}
    strata = {
        s.key: s
        for s in _strata_create(allocation_list=allocation_list, keys=sorted(levels.items()), by=by)
    }
    slots = [
        AllocationSlot(
            stratum=strata[row.key],
            position=row.slot.position,
            block_number=row.slot.block_number,
            block_size=row.slot.block_size,
            arm=row.slot.arm,
        )
        for row in sorted(rows, key=lambda r: (r.key, r.slot.position))
    ]
    _slots_create(slots, by=by, reason=reason)
    _checksum_store(allocation_list, by=by, reason="Checksum of the imported list")
