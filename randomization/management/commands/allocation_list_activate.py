"""Make a list the active one (the one randomisation uses)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from randomization import services
from randomization.management.commands._common import add_by, allocation_list, user


class Command(BaseCommand):
    help = "Activate an allocation list; the previously active one is deactivated."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", required=True)
        parser.add_argument("--reason", required=True)
        add_by(parser)

    def handle(self, *args: Any, **o: Any) -> None:
        activated = services.allocation_list_activate(
            allocation_list=allocation_list(o["code"]), by=user(o["by"]), reason=o["reason"]
        )
        self.stdout.write(f"Active list: {activated}")
