"""`manage.py seed_demo [--today YYYY-MM-DD]`: fill an empty database with the demo trial.

Each app adds its own demo function to SEEDS; each runs once, in order, and returns the logins
it created (user name → role, sites, password). Running the command again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cleaning.demo import demo_seed_cleaning
from followup.demo import demo_seed_followup
from randomization.demo import demo_seed_randomization
from treatment.demo import demo_seed_treatment
from trial.demo import demo_seed_trial

SeedFunction = Callable[..., dict[str, dict[str, str]]]


def _seed_randomization(*, today: dt.date) -> dict[str, dict[str, str]]:
    demo_seed_randomization(now=timezone.now())
    return {}


def _seed_treatment(*, today: dt.date) -> dict[str, dict[str, str]]:
    demo_seed_treatment(today=today)
    return {}


def _seed_followup(*, today: dt.date) -> dict[str, dict[str, str]]:
    demo_seed_followup(today=today)
    return {}


def _seed_cleaning(*, today: dt.date) -> dict[str, dict[str, str]]:
    demo_seed_cleaning(now=timezone.now())
    return {}


# In dependency order: later apps build on the patients the trial app seeds.
SEEDS: list[SeedFunction] = [
    demo_seed_trial,
    _seed_randomization,
    _seed_treatment,
    _seed_followup,
    _seed_cleaning,
]


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--today must be a date as YYYY-MM-DD, not {value!r}.") from error


class Command(BaseCommand):
    help = "Create the demo sites, users and patients (idempotent) and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today",
            type=_date,
            default=None,
            help="Reference date of the demo data (YYYY-MM-DD); defaults to today.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError(
                "seed_demo is refused under these settings (DEMO_DATA_ALLOWED is off, as in "
                "production): the demo users share a published password."
            )
        today = options["today"] or timezone.localdate()
        logins: dict[str, dict[str, str]] = {}
        for seed in SEEDS:
            logins.update(seed(today=today))
        self.stdout.write(self._table(logins))

    @staticmethod
    def _table(logins: dict[str, dict[str, str]]) -> str:
        rows = [("User name", "Password", "Role", "Sites")]
        rows += [(name, r["password"], r["role"], r["sites"]) for name, r in logins.items()]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "Demo logins:\n" + "\n".join(line.rstrip() for line in lines)
