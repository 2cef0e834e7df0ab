"""Generate an allocation list from a seed (trial statistician)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from randomization import services
from randomization.management.commands._common import add_by, user
from randomization.models import Method, Purpose
from randomization.rules import RandomizationRules


def _csv(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


class Command(BaseCommand):
    help = (
        "Generate an allocation list: the same seed and parameters always give the same list. "
        "Example: allocation_list_generate --code P1 --purpose production --seed 8c1f... "
        "--block-sizes 2,4,6 --factors regimen,disease_status --slots-per-stratum 60 --by stat"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        rules = RandomizationRules.from_settings()
        parser.add_argument("--code", required=True, help="Short upper-case code, e.g. P1 or T1.")
        parser.add_argument("--purpose", required=True, choices=Purpose.values)
        parser.add_argument("--seed", required=True, help="Recorded seed; unique to this list.")
        parser.add_argument("--method", default=rules.method, choices=Method.values)
        parser.add_argument(
            "--block-sizes",
            default=",".join(str(s) for s in rules.block_sizes),
            help="Block sizes drawn at random per block, e.g. 2,4,6.",
        )
        parser.add_argument("--factors", default=",".join(rules.list_factors))
        parser.add_argument("--slots-per-stratum", type=int, default=0)
        parser.add_argument("--probability", type=float, default=None, help="Minimization only.")
        add_by(parser)

    def handle(self, *args: Any, **o: Any) -> None:
        allocation_list = services.allocation_list_generate(
            code=o["code"],
            purpose=o["purpose"],
            seed=o["seed"],
            method=o["method"],
            block_sizes=[int(s) for s in _csv(o["block_sizes"])],
            factors=_csv(o["factors"]),
            slots_per_stratum=o["slots_per_stratum"],
            minimization_probability=o["probability"],
            by=user(o["by"]),
            now=timezone.now(),
        )
        self.stdout.write(f"Generated {allocation_list} checksum {allocation_list.checksum}")
