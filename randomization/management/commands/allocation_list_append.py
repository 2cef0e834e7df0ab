"""Append balanced blocks to a list's strata; used slots are never touched."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from randomization import services
from randomization.management.commands._common import add_by, allocation_list, user


class Command(BaseCommand):
    help = "Append at least --slots slots (whole blocks) to every stratum, or to --stratum."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", required=True)
        parser.add_argument("--slots", type=int, required=True)
        parser.add_argument("--reason", required=True)
        parser.add_argument("--stratum", default="", help="e.g. IC|first_relapse")
        add_by(parser)

    def handle(self, *args: Any, **o: Any) -> None:
        added = services.allocation_list_append(
            allocation_list=allocation_list(o["code"]),
            slots=o["slots"],
            reason=o["reason"],
            key=o["stratum"],
            by=user(o["by"]),
        )
        self.stdout.write(f"Appended {added} slot(s).")
