"""Import an allocation list exported as CSV; it arrives inactive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from randomization import services
from randomization.management.commands._common import add_by, user


class Command(BaseCommand):
    help = "Import an allocation list from CSV; refused when its checksum does not match."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        add_by(parser)

    def handle(self, *args: Any, **o: Any) -> None:
        imported = services.allocation_list_import(
            text=Path(o["file"]).read_text(encoding="utf-8"), by=user(o["by"]), now=timezone.now()
        )
        self.stdout.write(f"Imported {imported} (inactive) checksum {imported.checksum}")
