"""Export an allocation list as CSV (parameters and checksum in leading '#' lines)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from randomization import selectors
from randomization.management.commands._common import allocation_list


class Command(BaseCommand):
    help = "Export an allocation list as CSV to a file, or to standard output."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--code", required=True)
        parser.add_argument("--output", help="File to write; standard output when omitted.")

    def handle(self, *args: Any, **o: Any) -> None:
        text = selectors.allocation_list_csv(allocation_list(o["code"]))
        if o["output"]:
            Path(o["output"]).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
