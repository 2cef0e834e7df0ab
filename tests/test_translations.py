"""The French interface is complete: every marked string translated, the catalogue up to date
with the code, and no user-facing text left unmarked (tests/i18n_scan.py)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation

from randomization.models import TrialCalendar
from tests import i18n_scan
from treatment.models import Signature

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
# What scripts/messages gives makemessages (keep the two in step).
MAKEMESSAGES = [
    "makemessages",
    "--locale",
    "fr",
    "--add-location",
    "file",
    "--no-obsolete",
    *("--ignore", ".venv/*", "--ignore", "bench/*", "--ignore", "tests/*"),
    *("--ignore", "var/*", "--ignore", "build/*"),
]
_COPIED = ["manage.py", "config", "templates", "locale", *i18n_scan.DEFAULT_PATHS[1:-1]]


def _statistics(po: Path) -> dict[str, int]:
    """msgfmt's counts: translated, untranslated and fuzzy messages."""
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    counts = {"translated": 0, "untranslated": 0, "fuzzy": 0}
    for number, kind in re.findall(r"(\d+) (translated|untranslated|fuzzy)", result.stderr):
        counts[kind] = int(number)
    return counts


class TestFrenchCatalogue:
    def test_every_message_is_translated_and_none_is_fuzzy(self) -> None:
        counts = _statistics(CATALOGUE)

        assert counts["translated"] > 0
        assert (counts["untranslated"], counts["fuzzy"]) == (0, 0), counts

    def test_statistics_count_an_untranslated_and_a_fuzzy_entry(self, tmp_path: Path) -> None:
        po = tmp_path / "django.po"
        po.write_text(
            CATALOGUE.read_text(encoding="utf-8")
            + '\nmsgid "Not translated yet"\nmsgstr ""\n'
            + '\n#, fuzzy\nmsgid "A guess"\nmsgstr "Une supposition"\n',
            encoding="utf-8",
        )

        counts = _statistics(po)

        assert (counts["untranslated"], counts["fuzzy"]) == (1, 1)

    def test_catalogue_holds_every_message_marked_in_the_code(self, tmp_path: Path) -> None:
        """makemessages run on a copy of the project finds no message the catalogue lacks."""
        copy = tmp_path / "project"
        copy.mkdir()
        for name in _COPIED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("*.mo"))
            else:
                shutil.copy2(source, copy / name)
        subprocess.run(
            [sys.executable, "manage.py", *MAKEMESSAGES],
            cwd=copy,
            env=_environment(),
            capture_output=True,
            text=True,
            check=True,
        )
        generated = copy / "locale" / "fr" / "LC_MESSAGES" / "django.po"

        missing = subprocess.run(
            ["msgcmp", "--use-untranslated", "--use-fuzzy", str(CATALOGUE), str(generated)],
            capture_output=True,
            text=True,
            check=False,
        )

        assert missing.returncode == 0, (
            "Messages marked in the code are missing from the catalogue; run bash "
            "scripts/messages and translate them:\n"
            + "\n".join(_missing(generated, missing.stderr))
        )


def _missing(generated: Path, report: str) -> list[str]:
    """The msgid lines msgcmp points at ("<file>:<line>: this message is used but not
    defined"), with the places the message comes from."""
    lines = generated.read_text(encoding="utf-8").splitlines()
    found = []
    for number in re.findall(r"django\.po:(\d+): this message is used", report):
        start = int(number) - 1
        entry = lines[max(start - 3, 0) : start + 1]
        found.append(" | ".join(line for line in entry if line.startswith(("#:", "msg"))))
    return found or [report]


def _environment() -> dict[str, str]:
    import os

    environment = dict(os.environ)
    environment.update(
        {"DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": "sqlite:///:memory:"}
    )
    return environment


class TestUnmarkedText:
    def test_no_user_facing_text_is_left_unmarked(self) -> None:
        findings = i18n_scan.scan()

        assert not findings, "Unmarked text (file:line: text):\n" + "\n".join(map(str, findings))

    def test_template_text_and_attributes_outside_translate_tags_are_found(self) -> None:
        template = (
            '{% load i18n %}<h1>{% translate "Patients" %}</h1>\n'
            '<p title="Help">{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}</p>\n'
            "<p>\n  Plain words {{ x }}</p> · – DEXAML-03\n"
            '{% include "x.html" with label="Save it" kind="primary" %}{{ v|default:"No value" }}'
            "{{ k|default:'primary' }}\n"
            "{% comment %}Not shown{% endcomment %}{# nor this #}<script>var a = 1;</script>"
        )

        found = i18n_scan.template_findings(template)

        assert found == [
            (2, 'title="Help"'),
            (4, "Plain words"),
            (5, 'label="Save it"'),
            (5, '{{ v|default:"No value" }}'),
        ]

    def test_python_literals_outside_gettext_are_found(self) -> None:
        source = (
            "from django.utils.translation import gettext as _, gettext_lazy\n"
            "class Kind(models.TextChoices):\n"
            '    A = "a", "Alpha"\n'
            '    B = "b", gettext_lazy("Beta")\n'
            '    C = "c"\n'
            "class F(forms.Form):\n"
            '    x = forms.CharField(label="Name", help_text=gettext_lazy("Help"))\n'
            "def f(request, form, n):\n"
            '    messages.success(request, f"Saved {n}")\n'
            '    form.add_error("x", "Wrong")\n'
            '    raise ValidationError({"x": ["Bad"], "y": _("Fine")})\n'
            '    raise StateConflict("Closed")\n'
            '    raise StateConflict(_("Closed"))\n'
            "class M(models.Model):\n"
            '    name = models.CharField("Full name", max_length=9)\n'
            '    site = models.ForeignKey("Site", on_delete=models.PROTECT)\n'
            "    class Meta:\n"
            '        verbose_name_plural = "Ms"\n'
        )

        found = i18n_scan.python_findings(source)

        assert found == [
            (3, "Alpha"),
            (5, "C (label made from its name)"),
            (7, "Name"),
            (9, "Saved {…}"),
            (10, "Wrong"),
            (11, "Bad"),
            (12, "Closed"),
            (15, "Full name"),
            (18, "Ms"),
        ]

    def test_the_command_lists_findings_as_file_line_text(self, tmp_path: Path) -> None:
        page = tmp_path / "page.html"
        page.write_text('{% load i18n %}<p>{% translate "Fine" %}</p>\n<p>Forgotten</p>\n')

        result = _scan_command(str(page))

        assert result.returncode == 1
        assert result.stdout.splitlines() == [f"{page}:2: Forgotten"]

    @pytest.mark.parametrize(
        "path",
        ["templates/base.html", "templates/workspace", "workspace", "config", "trial/pages.py"],
    )
    def test_the_interface_frame_and_workspace_are_marked(self, path: str) -> None:
        result = _scan_command(path)

        assert result.returncode == 0, result.stdout


def _scan_command(path: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.i18n_scan", path],
        cwd=ROOT,
        env=_environment(),
        capture_output=True,
        text=True,
        check=False,
    )


def test_record_titles_read_in_the_readers_language() -> None:
    when = dt.datetime(2026, 12, 2, 9, 30, tzinfo=dt.UTC)
    signature = Signature(signer_name="Dr Martin", signed_at=when, broken_at=when)
    calendar = TrialCalendar(end_of_study=dt.date(2031, 12, 2))

    with translation.override("fr"):
        french = [str(signature), str(calendar)]

    assert french == [
        "Signé par Dr Martin le 2026-12-02 09:30 (invalidée)",
        "Fin de l’étude le 2031-12-02",
    ]
    assert str(calendar) == "End of study 2031-12-02"
