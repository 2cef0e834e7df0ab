"""Import an allocation list (it arrives inactive): a file exported by this system, restored as
it was, or a list made by an independent statistician, checked in full first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from randomization import services
from randomization.management.commands._common import add_by, error_lines, strata_lines, user
from randomization.models import Purpose


def _block_sizes(value: str) -> list[int]:
    try:
        return [int(s) for s in value.split(",") if s.strip()]
    except ValueError as error:
        raise CommandError(
            f"--block-sizes: whole numbers separated by commas, not {value!r}."
        ) from error


class Command(BaseCommand):
    help = (
        "Import an allocation list from CSV; it arrives inactive. A file exported by this system "
        "is restored when its checksum matches. A list made by an independent statistician "
        "(columns regimen, disease_status[, site], position, arm[, block_number, block_size]) "
        "needs --code, --purpose, --stated-method and either --block-sizes or --tolerance; "
        "--dry-run checks it and prints the report without writing. Exits non-zero on any "
        "problem, and then nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--code", help="List made outside the system: its code, e.g. P2.")
        parser.add_argument("--purpose", choices=Purpose.values, default="")
        parser.add_argument(
            "--stated-method", default="", help="How the statistician made it (free text)."
        )
        parser.add_argument(
            "--block-sizes", default="", help="Declared block sizes, e.g. 4,6; omit if none."
        )
        parser.add_argument(
            "--tolerance",
            type=int,
            help="No blocks declared: the largest difference between the arms in a stratum.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and report only.")
        add_by(parser)

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            content = Path(o["file"]).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {o['file']}: {error.strerror}.") from error
        if o["code"] is None and o["dry_run"]:
            raise CommandError("--dry-run checks a list made outside the system: give --code.")
        try:
            if o["code"] is None:
                self._restore(content, o)
            else:
                self._import_external(content, o)
        except ValidationError as error:
            for line in error_lines(error):
                self.stderr.write(f"PROBLEM: {line}")
            raise CommandError("Nothing imported.") from error

    def _restore(self, content: bytes, o: dict[str, Any]) -> None:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError as error:
            raise CommandError("The file is not UTF-8 text.") from error
        imported = services.allocation_list_import(text=text, by=user(o["by"]), now=timezone.now())
        self.stdout.write(f"Imported {imported} (inactive) checksum {imported.checksum}")

    def _import_external(self, content: bytes, o: dict[str, Any]) -> None:
        report = services.allocation_list_import_external(
            content=content,
            code=o["code"],
            purpose=o["purpose"],
            stated_method=o["stated_method"],
            block_sizes=_block_sizes(o["block_sizes"]),
            balance_tolerance=o["tolerance"],
            by=user(o["by"]),
            now=timezone.now(),
            dry_run=o["dry_run"],
        )
        self.stdout.write(
            f"File SHA-256 {report.allocation_list.file_sha256}, {report.rows} row(s)"
        )
        self.stdout.write(f"Balance checked: {report.balance_rule}")
        for line in strata_lines(report.strata):
            self.stdout.write(line)
        for name, messages in report.errors.items():
            for message in messages:
                self.stderr.write(f"PROBLEM: {name}: {message}")
        if not report.ok:
            raise CommandError(f"{len(report.problems)} problem(s) found; nothing imported.")
        if report.dry_run:
            self.stdout.write("Dry run: the list can be imported; nothing was written.")
        else:
            imported = report.allocation_list
            self.stdout.write(f"Imported {imported} (inactive) checksum {imported.checksum}")
