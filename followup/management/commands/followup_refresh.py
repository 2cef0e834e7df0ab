"""`python manage.py followup_refresh --as-of YYYY-MM-DD`: the daily refresh, at any date."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from followup.services.notifications import followup_reminders_send
from followup.services.refresh import visits_refresh


class Command(BaseCommand):
    help = "Refresh every follow-up schedule as of a date (default: today)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", type=dt.date.fromisoformat, default=None)
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["as_of"] or timezone.localdate()
        result = visits_refresh(today=today, batch_size=options["batch_size"])
        if result.reminders:
            followup_reminders_send(day=today, now=timezone.now())
        self.stdout.write(
            f"Follow-up refreshed as of {today:%Y-%m-%d}: {result.patients} patients, "
            f"{result.created} visits created, {result.updated} updated, "
            f"{result.cancelled} cancelled, end of study {result.end_of_study or 'not fixed'}."
        )
