"""`python manage.py survival_export --cutoff ID --user NAME [--formats csv xpt …] --out DIR`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from analysis.formats import FORMATS
from analysis.models import DataCutoff
from analysis.services import survival_export_run
from trial.models import User


class Command(BaseCommand):
    help = "Export the survival datasets at a frozen data cut-off, with a progress bar."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cutoff", type=int, required=True, help="Id of the data cut-off.")
        parser.add_argument("--user", required=True, help="Username recorded as the exporter.")
        parser.add_argument("--formats", nargs="+", choices=FORMATS, default=list(FORMATS))
        parser.add_argument("--out", type=Path, required=True)

    def _bar(self, pct: int, message: str) -> None:
        filled = pct * 30 // 100
        self.stdout.write(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] {pct:3d}% {message:<30}", ending=""
        )
        self.stdout.flush()

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            cutoff = DataCutoff.objects.get(pk=options["cutoff"])
            user = User.objects.get(username=options["user"])
        except (DataCutoff.DoesNotExist, User.DoesNotExist) as error:
            raise CommandError(str(error)) from error
        export = survival_export_run(
            by=user,
            cutoff=cutoff,
            formats=options["formats"],
            now=timezone.now(),
            out_dir=options["out"],
            on_progress=self._bar,
        )
        self.stdout.write("")
        for f in export.files:
            self.stdout.write(f"{f['sha256']}  {f['name']}")
        self.stdout.write(f"Export {export.pk} at {cutoff}: checksum {export.checksum}")
