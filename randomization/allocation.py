"""Allocation arithmetic, free of the database (docs/protocol.md "Randomisation").

Permuted blocks: each stratum draws its own reproducible random stream from the list's seed and
the stratum key, so the same seed and parameters always give the same list, and adding a stratum
or appending slots never changes the slots already drawn. Pocock–Simon minimization: the arm
that minimises the marginal imbalance is followed with a configurable probability, and the random
draw is derived from the seed and the sequence number, so every decision can be replayed.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

DEX, CTRL = "DEX", "CTRL"
ARMS = (DEX, CTRL)
FACTORS = ("regimen", "disease_status", "site")


@dataclass(frozen=True)
class SlotDraft:
    """One slot of a stratum, in list order (position starts at 1)."""

    position: int
    block_number: int
    block_size: int
    arm: str


def stratum_key(values: Mapping[str, str], factors: Sequence[str]) -> str:
    """The stratum's name: the patient's level of each factor of the list, in factor order."""
    return "|".join(values[f] for f in factors)


def blocks_draw(
    *,
    seed: str,
    key: str,
    block_sizes: Sequence[int],
    slots: int,
    start_position: int = 1,
    start_block: int = 1,
    round_number: int = 0,
) -> list[SlotDraft]:
    """Draw whole balanced blocks, sizes chosen at random from `block_sizes`, until at least
    `slots` slots exist. Round 0 is the list as generated; round n the n-th append."""
    if not block_sizes or any(size <= 0 or size % 2 for size in block_sizes):
        raise ValueError("Block sizes must be positive even numbers (1:1 allocation).")
    rng = random.Random(f"{seed}:{key}:{round_number}")
    drafts: list[SlotDraft] = []
    position, block = start_position, start_block
    while len(drafts) < slots:
        size = block_sizes[rng.randrange(len(block_sizes))]
        arms = [DEX] * (size // 2) + [CTRL] * (size // 2)
        rng.shuffle(arms)
        for arm in arms:
            drafts.append(SlotDraft(position, block, size, arm))
            position += 1
        block += 1
    return drafts


def blocks_problems(drafts: Iterable[SlotDraft], block_sizes: Sequence[int]) -> list[str]:
    """Every block that is unbalanced, of a size not in the set, or with the wrong length."""
    blocks: dict[int, list[SlotDraft]] = {}
    for draft in drafts:
        blocks.setdefault(draft.block_number, []).append(draft)
    problems = []
    for number, members in sorted(blocks.items()):
        size = members[0].block_size
        dex = sum(1 for m in members if m.arm == DEX)
        if size not in block_sizes:
            problems.append(f"block {number}: size {size} is not one of {list(block_sizes)}")
        if len(members) != size or any(m.block_size != size for m in members):
            problems.append(f"block {number}: {len(members)} slots for a block of {size}")
        if dex * 2 != len(members):
            problems.append(f"block {number}: not balanced 1:1")
    return problems


def checksum(parameters: Mapping[str, object], rows: Iterable[Sequence[object]]) -> str:
    """SHA-256 over the parameters and every slot, in a canonical text form."""
    digest = hashlib.sha256()
    for name in sorted(parameters):
        digest.update(f"{name}={parameters[name]}\n".encode())
    for row in rows:
        digest.update((",".join(str(v) for v in row) + "\n").encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class MinimizationDecision:
    arm: str
    imbalance: dict[str, int]
    preferred: str | None
    draw: float
    followed: bool

    def as_json(self) -> dict[str, object]:
        return {
            "imbalance": self.imbalance,
            "preferred": self.preferred,
            "draw": round(self.draw, 6),
            "followed": self.followed,
        }


def minimization_choose(
    *,
    counts: Mapping[tuple[str, str], Mapping[str, int]],
    levels: Mapping[str, str],
    probability: float,
    seed: str,
    sequence: int,
) -> MinimizationDecision:
    """Pocock–Simon with the range as imbalance measure and equal factor weights.

    `counts[(factor, level)][arm]` are the allocations so far; `levels` the new patient's level
    of each factor. With a tie the arm is drawn 1:1; otherwise the minimising arm is followed
    with `probability`.
    """
    imbalance: dict[str, int] = {}
    for arm in ARMS:
        total = 0
        for factor, level in levels.items():
            current = dict(counts.get((factor, level), {}))
            current[arm] = current.get(arm, 0) + 1
            total += abs(current.get(DEX, 0) - current.get(CTRL, 0))
        imbalance[arm] = total
    rng = random.Random(f"{seed}:minimization:{sequence}")
    draw = rng.random()
    if imbalance[DEX] == imbalance[CTRL]:
        return MinimizationDecision(DEX if draw < 0.5 else CTRL, imbalance, None, draw, True)
    preferred = DEX if imbalance[DEX] < imbalance[CTRL] else CTRL
    other = CTRL if preferred == DEX else DEX
    followed = draw < probability
    return MinimizationDecision(
        preferred if followed else other, imbalance, preferred, draw, followed
    )
