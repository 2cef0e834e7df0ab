"""Balance of allocations by arm × stratum × site, and the CONSORT allocation counts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from randomization import selectors
from randomization.management.commands._common import add_by, user


class Command(BaseCommand):
    help = "Print the balance report (arm × stratum × site) and CONSORT allocation counts."

    def add_arguments(self, parser: CommandParser) -> None:
        add_by(parser)

    def handle(self, *args: Any, **o: Any) -> None:
        report = selectors.randomization_report(user(o["by"]))
        self.stdout.write(f"{'regimen':8} {'disease status':15} {'site':6} {'DEX':>5} {'CTRL':>5}")
        for row in report.balance:
            self.stdout.write(
                f"{row.regimen:8} {row.disease_status:15} {row.site:6} {row.dex:5} {row.ctrl:5}"
            )
        self.stdout.write("CONSORT")
        for name, value in report.consort.items():
            self.stdout.write(f"  {name:26} {value}")
