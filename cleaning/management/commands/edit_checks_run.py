"""`manage.py edit_checks_run [--check ID …] [--batch-size N]`: run the automatic edit checks
over the whole database (what the nightly task does), and print what changed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cleaning.services.edit_checks import edit_checks_run


class Command(BaseCommand):
    help = "Run every automatic edit check (or those named) over every patient; idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="append", default=[], help="An edit check id (repeatable)."
        )
        parser.add_argument("--batch-size", type=int, default=None, help="Patients per batch.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] is not None and options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            result = edit_checks_run(
                now=timezone.now(), batch_size=options["batch_size"], check_ids=options["check"]
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"{result.patients} patients in {result.batches} batches: {result.opened} queries "
            f"opened, {result.closed} closed by their check, {result.reworded} findings changed."
        )
