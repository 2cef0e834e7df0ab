"""Verify an allocation list, generated or imported: checksum and structure; use and balance per
stratum."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from randomization import selectors
from randomization.management.commands._common import allocation_list, strata_lines


class Command(BaseCommand):
    help = (
        "Recompute the checksum and check the list's structure (a generated list: every block "
        "1:1 and drawn from the seed; an imported list: what it declares), and print used/unused "
        "slots and the arms of each stratum. Exits non-zero when a check fails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", required=True)

    def handle(self, *args: Any, **o: Any) -> None:
        report = selectors.allocation_list_verify(allocation_list(o["code"]))
        verified = report.allocation_list
        self.stdout.write(f"List {verified}")
        if verified.imported and verified.imported_at:
            when = timezone.localtime(verified.imported_at)
            self.stdout.write(
                f"imported {when:%Y-%m-%d %H:%M} by {verified.imported_by}, "
                f"file SHA-256 {verified.file_sha256}"
            )
            self.stdout.write(f"stated method: {verified.stated_method}")
        self.stdout.write(f"stored checksum   {report.stored_checksum}")
        self.stdout.write(f"computed checksum {report.computed_checksum}")
        self.stdout.write(f"balance checked: {report.balance_rule}")
        for line in strata_lines(report.strata):
            self.stdout.write(line)
        for problem in report.problems:
            self.stderr.write(f"PROBLEM: {problem}")
        if not report.ok:
            raise CommandError(f"{len(report.problems)} problem(s) found.")
        self.stdout.write(f"OK: checksum matches; {report.balance_rule}.")
