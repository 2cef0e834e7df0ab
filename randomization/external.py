"""Allocation lists made outside the system, free of the database (docs/protocol.md
"Randomisation"): reading an independent statistician's CSV and checking a list's own structure.

The file has a header on row 1 and one row per slot. Columns: each stratification factor of the
trial (`regimen`, `disease_status`, and `site` when the trial stratifies by site), `position`
(1, 2, 3, … within the stratum: the order in which the slots are used), `arm` (`DEX` or `CTRL`)
and, when the statistician declares blocks, `block_number` and `block_size`. An optional
`stratum` column, when filled, must name the stratum as the system does (the levels joined by
"|"). Row numbers count the header as row 1, as a spreadsheet shows them.

A list made here is checked by drawing it again from its seed; an imported list has no seed, so
it is checked against what it declares: every stratum present, positions 1..n, each complete
block exactly 1:1 (only a stratum's last block may be incomplete), or, without blocks, the arms
of each stratum within the tolerance the importer states.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from randomization.allocation import ARMS, CTRL, DEX, SlotDraft, stratum_key

BLOCK_COLUMNS = ("block_number", "block_size")
# Far above any trial's list (a slot is a line of some 30 bytes); it keeps a mistaken upload
# from being read into memory.
MAX_FILE_BYTES = 1_000_000
STRATUM_COLUMN = "stratum"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a list, with the file's rows it concerns (none when the list is
    read from the database, or when no row can show it, e.g. a missing stratum)."""

    message: str
    rows: tuple[int, ...] = ()

    def __str__(self) -> str:
        if not self.rows:
            return self.message
        return _("%(rows)s: %(problem)s") % {"rows": rows_text(self.rows), "problem": self.message}


def rows_text(rows: Iterable[int]) -> str:
    """`row 4`, `rows 2–9`, `rows 2–5, 9`: consecutive rows as a range."""
    numbers = sorted(set(rows))
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    text = ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
    return ngettext("row %(rows)s", "rows %(rows)s", len(numbers)) % {"rows": text}


@dataclass(frozen=True)
class Row:
    """One slot of a list: the file row it was read from (None when read from the database),
    its stratum's levels by factor and key, and the slot."""

    row: int | None
    levels: tuple[tuple[str, str], ...]
    key: str
    slot: SlotDraft

    @property
    def rows(self) -> tuple[int, ...]:
        return () if self.row is None else (self.row,)


@dataclass(frozen=True)
class FileReading:
    """What could be read from a file: its good rows, every problem, and the strata that hold a
    bad row (their order and blocks cannot be judged until the row is fixed)."""

    rows: list[Row]
    problems: list[Problem]
    unreadable_strata: frozenset[str]
    row_count: int
    # False when the file itself (encoding, header) could not be read: no row was judged.
    readable: bool = True


def file_read(
    data: bytes,
    *,
    factors: Sequence[str],
    levels: Mapping[str, Sequence[str]],
    blocks_declared: bool,
) -> FileReading:
    """Read every row of the file, collecting every problem with its row number."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        problem = Problem(_("the file is not UTF-8 text (save it as CSV UTF-8)"))
        return FileReading([], [problem], frozenset(), 0, readable=False)
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or []]
    problems = _header_problems(header, factors=factors, blocks_declared=blocks_declared)
    if problems:
        return FileReading([], problems, frozenset(), 0, readable=False)
    reader.fieldnames = header
    rows: list[Row] = []
    unreadable: set[str] = set()
    count = 0
    for values in reader:
        count += 1
        row, row_problems = _row_read(
            values, reader.line_num, factors=factors, levels=levels, blocks=blocks_declared
        )
        problems += row_problems
        if row is not None and not row_problems:
            rows.append(row)
        elif row is not None:
            unreadable.add(row.key)
    if not count:
        problems.append(Problem(_("the file has a header but no slot rows"), (1,)))
    return FileReading(rows, problems, frozenset(unreadable), count)


def _header_problems(
    header: list[str], *, factors: Sequence[str], blocks_declared: bool
) -> list[Problem]:
    if not header:
        return [Problem(_("the file is empty"))]
    required = [*factors, "position", *(BLOCK_COLUMNS if blocks_declared else ()), "arm"]
    allowed = [STRATUM_COLUMN, *required]
    problems = []
    duplicated = sorted(name for name, n in Counter(header).items() if n > 1)
    missing = [name for name in required if name not in header]
    unknown = [name for name in header if name not in allowed]
    if duplicated:
        problems.append(
            _("column(s) %(columns)s appear more than once") % {"columns": ", ".join(duplicated)}
        )
    if missing:
        problems.append(_("missing column(s) %(columns)s") % {"columns": ", ".join(missing)})
    if not blocks_declared and set(BLOCK_COLUMNS) & set(header):
        problems.append(
            _(
                "the file has block columns but no block sizes were declared: declare the sizes "
                "the statistician used, or remove the columns"
            )
        )
        unknown = [name for name in unknown if name not in BLOCK_COLUMNS]
    if unknown:
        problems.append(_("unknown column(s) %(columns)s") % {"columns": ", ".join(unknown)})
    if problems:
        problems.append(
            _("the columns are %(columns)s (%(stratum)s optional)")
            % {"columns": ", ".join(allowed), "stratum": STRATUM_COLUMN}
        )
    if len(header) == 1 and ";" in header[0]:
        # A spreadsheet set to a European locale saves "CSV" with semicolons.
        problems.append(_("the values are separated by semicolons: save the file with commas"))
    return [Problem(p, (1,)) for p in problems]


def _positive_int(value: str) -> int | None:
    return int(value) if value.isdigit() and int(value) > 0 else None


def _row_read(
    values: Mapping[str | None, object],
    line: int,
    *,
    factors: Sequence[str],
    levels: Mapping[str, Sequence[str]],
    blocks: bool,
) -> tuple[Row | None, list[Problem]]:
    """One row as a slot (None when its stratum is unknown) and what is wrong with it."""
    text = {k: str(v or "").strip() for k, v in values.items() if isinstance(k, str)}
    problems = []
    if values.get(None):
        problems.append(_("more values than columns"))
    for factor in factors:
        if text[factor] not in levels[factor]:
            choices = ", ".join(levels[factor])
            problems.append(
                _("%(factor)s %(value)s is not one of %(choices)s")
                % {"factor": factor, "value": repr(text[factor]), "choices": choices}
            )
    position = _positive_int(text["position"])
    if position is None:
        problems.append(
            _("position %(value)s is not a whole number from 1") % {"value": repr(text["position"])}
        )
    if text["arm"] not in ARMS:
        problems.append(
            _("arm %(value)s is not one of %(arms)s")
            % {"value": repr(text["arm"]), "arms": ", ".join(ARMS)}
        )
    number = size = 0
    if blocks:
        number, size = (_positive_int(text[c]) or 0 for c in BLOCK_COLUMNS)
        if not number or not size:
            problems.append(_("block_number and block_size must be whole numbers from 1"))
    row = None
    if all(text[f] in levels[f] for f in factors):
        key = stratum_key(text, factors)
        if text.get(STRATUM_COLUMN) and text[STRATUM_COLUMN] != key:
            problems.append(
                _("stratum %(value)s does not match its levels (%(key)s)")
                % {"value": repr(text[STRATUM_COLUMN]), "key": key}
            )
        row = Row(
            line,
            tuple((f, text[f]) for f in factors),
            key,
            SlotDraft(position or 0, number, size, text["arm"]),
        )
    return row, [Problem(p, (line,)) for p in problems]


# ---- The list's own structure ------------------------------------------------------------------


def structure_problems(
    rows: Iterable[Row],
    *,
    strata: Sequence[str],
    block_sizes: Sequence[int],
    tolerance: int | None,
    unreadable: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Every problem of the list's structure: a stratum missing, positions not 1..n, a block
    that is not 1:1 (blocks declared) or a stratum beyond the tolerance (no blocks declared).

    `strata` are the keys every list must hold; strata in `unreadable` are taken as present but
    not judged (a row of theirs could not be read)."""
    by_key: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_key[row.key].append(row)
    problems = [
        Problem(_("stratum %(key)s: no row, and every stratum must be in the list") % {"key": key})
        for key in strata
        if key not in by_key and key not in unreadable
    ]
    for key, members in sorted(by_key.items()):
        if key in unreadable:
            continue
        members.sort(key=lambda r: r.slot.position)
        # A stratum whose order or arms are wrong is not judged further: its blocks would only
        # repeat the same mistake.
        order = _position_problems(key, members) + _arm_problems(key, members)
        problems += order
        if order:
            continue
        if block_sizes:
            problems += _block_problems(key, members, block_sizes)
        else:
            problems += _tolerance_problems(key, members, tolerance or 0)
    return problems


def _position_problems(key: str, members: list[Row]) -> list[Problem]:
    problems = []
    by_position: dict[int, list[Row]] = defaultdict(list)
    for row in members:
        by_position[row.slot.position].append(row)
    for position, same in sorted(by_position.items()):
        if len(same) > 1:
            rows = tuple(r for s in same for r in s.rows)
            problems.append(
                Problem(
                    _("stratum %(key)s: position %(position)s appears twice")
                    % {"key": key, "position": position},
                    rows,
                )
            )
    expected = 1
    for position, same in sorted(by_position.items()):
        if position != expected:
            missing = f"{expected}" if position == expected + 1 else f"{expected}–{position - 1}"
            problems.append(
                Problem(
                    _(
                        "stratum %(key)s: position(s) %(missing)s missing before position "
                        "%(position)s; positions run 1, 2, 3, … without gaps"
                    )
                    % {"key": key, "missing": missing, "position": position},
                    same[0].rows,
                )
            )
        expected = position + 1
    return problems


def _arm_problems(key: str, members: list[Row]) -> list[Problem]:
    return [
        Problem(
            _("stratum %(key)s, position %(position)s: arm %(arm)s is unknown")
            % {"key": key, "position": m.slot.position, "arm": repr(m.slot.arm)},
            m.rows,
        )
        for m in members
        if m.slot.arm not in ARMS
    ]


def _blocks(members: list[Row]) -> list[list[Row]]:
    """Runs of consecutive slots with the same block number, in position order."""
    runs: list[list[Row]] = []
    for row in members:
        if runs and runs[-1][0].slot.block_number == row.slot.block_number:
            runs[-1].append(row)
        else:
            runs.append([row])
    return runs


def _block_problems(key: str, members: list[Row], block_sizes: Sequence[int]) -> list[Problem]:
    problems = []
    runs = _blocks(members)
    for index, run in enumerate(runs):
        number, size = run[0].slot.block_number, run[0].slot.block_size
        where = _("stratum %(key)s, block %(number)s (positions %(first)s–%(last)s)") % {
            "key": key,
            "number": number,
            "first": run[0].slot.position,
            "last": run[-1].slot.position,
        }
        rows = tuple(r for m in run for r in m.rows)
        dex = sum(1 for m in run if m.slot.arm == DEX)
        ctrl = len(run) - dex
        if number != index + 1:
            problems.append(
                Problem(
                    _(
                        "%(where)s: numbered %(number)s where block %(expected)s was expected; "
                        "blocks are numbered 1, 2, 3, … in position order, each block's slots "
                        "together"
                    )
                    % {"where": where, "number": number, "expected": index + 1},
                    rows,
                )
            )
        if any(m.slot.block_size != size for m in run):
            problems.append(
                Problem(
                    _("%(where)s: its slots give different block sizes") % {"where": where}, rows
                )
            )
        elif size not in block_sizes:
            declared = ", ".join(str(s) for s in block_sizes)
            problems.append(
                Problem(
                    _("%(where)s: size %(size)s is not a declared size (%(declared)s)")
                    % {"where": where, "size": size, "declared": declared},
                    rows,
                )
            )
        if len(run) > size:
            problems.append(
                Problem(
                    _("%(where)s: %(count)s slots in a block of %(size)s")
                    % {"where": where, "count": len(run), "size": size},
                    rows,
                )
            )
        elif len(run) < size and index < len(runs) - 1:
            problems.append(
                Problem(
                    _(
                        "%(where)s: %(count)s slots in a block of %(size)s; only a stratum's last "
                        "block may be incomplete"
                    )
                    % {"where": where, "count": len(run), "size": size},
                    rows,
                )
            )
        elif len(run) == size and dex != ctrl:
            problems.append(
                Problem(
                    _("%(where)s: %(dex)s DEX and %(ctrl)s CTRL; a complete block is 1:1")
                    % {"where": where, "dex": dex, "ctrl": ctrl},
                    rows,
                )
            )
    return problems


def _tolerance_problems(key: str, members: list[Row], tolerance: int) -> list[Problem]:
    dex = sum(1 for m in members if m.slot.arm == DEX)
    ctrl = sum(1 for m in members if m.slot.arm == CTRL)
    if abs(dex - ctrl) <= tolerance:
        return []
    rows = tuple(r for m in members for r in m.rows)
    return [
        Problem(
            _(
                "stratum %(key)s: %(dex)s DEX and %(ctrl)s CTRL, a difference of %(difference)s "
                "beyond the stated tolerance of %(tolerance)s"
            )
            % {
                "key": key,
                "dex": dex,
                "ctrl": ctrl,
                "difference": abs(dex - ctrl),
                "tolerance": tolerance,
            },
            rows,
        )
    ]
