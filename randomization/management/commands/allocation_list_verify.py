"""Verify an allocation list: checksum, balanced blocks, drawn from its seed; usage per stratum."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from randomization import selectors
from randomization.management.commands._common import allocation_list


class Command(BaseCommand):
    help = (
        "Recompute the checksum, check every block is balanced 1:1 and drawn from the seed, "
        "and print used/unused slots per stratum. Exits non-zero when a check fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", required=True)

    def handle(self, *args: Any, **o: Any) -> None:
        report = selectors.allocation_list_verify(allocation_list(o["code"]))
        self.stdout.write(f"List {report.allocation_list}")
        self.stdout.write(f"stored checksum   {report.stored_checksum}")
        self.stdout.write(f"computed checksum {report.computed_checksum}")
        self.stdout.write(f"{'stratum':40} {'used':>6} {'unused':>6}")
        for stratum in report.strata:
            self.stdout.write(f"{stratum.key:40} {stratum.used:6} {stratum.unused:6}")
        for problem in report.problems:
            self.stderr.write(f"PROBLEM: {problem}")
        if not report.ok:
            raise CommandError(f"{len(report.problems)} problem(s) found.")
        self.stdout.write("OK: checksum matches, every block is balanced 1:1.")
