"""The report of a cut-off as files, derived once per version of the data, for the pages.

The analysis pages never derive anything on a request: they read the files `report_write`
writes for an export (figures, estimates, tables) plus `page.json` (the numbers the templates
show), kept under MEDIA_ROOT/analysis-cache/<cut-off date>/<data version>/. The first request
after a change of the data derives them once (an export builds them too); every later request
reads them.

The figures there are drawn in the trial's language, as the export's are. A reader of another
language (settings.LANGUAGES) gets them drawn in theirs on the first request of each figure, from
the ADTTE rows the cached report keeps (`figure_data.parquet`, not derived again), and kept
beside them under <data version>/<language>/ for every later request (`report_figure`).

The data version is a fingerprint of every record the analysis reads: for each audited model
of the trial, randomisation and follow-up apps (django-simple-history keeps a history row for
every save), its last history ids (trial/versions.py); the analysis code itself and
the configuration it depends on are part of it too. Any saved change of clinical data, a
correction or an "entered in error" included, changes the version.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
from django.apps import apps
from django.conf import settings
from django.db.models import Model
from django.utils import translation
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import get_history_model_for_model

from analysis.figures import render
from analysis.inference import Estimate
from analysis.language import in_trial_language
from analysis.report import AnalysisReport, analysis_report_build, figure_drawings, report_write
from trial.versions import history_version

CACHE_DIR = "analysis-cache"
PAGE_FILE = "page.json"
# The ADTTE rows the figures are drawn from, to draw them in another language.
FIGURE_DATA = "figure_data.parquet"
# Every app whose records the derivations read (every app before the analysis on the path).
SOURCE_APPS = ("trial", "randomization", "treatment", "followup")
# Audited models whose changes do not change any derived number.
NOT_ANALYSED = {
    "followup.Notification",
    "randomization.ResultNotice",
    "trial.User",
    "trial.Membership",
    "treatment.Signature",
}


@dataclass(frozen=True)
class CachedReport:
    """The report files of one cut-off at one data version, and the numbers the pages show."""

    directory: Path
    version: str
    page: dict[str, Any]

    @property
    def estimates(self) -> list[Estimate]:
        return [Estimate(**row) for row in self.page["estimates"]]


@cache
def _code_version() -> str:
    """The analysis code: a new release of it derives the reports anew."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _history_models() -> list[type[Model]]:
    out: list[type[Model]] = []
    for label in SOURCE_APPS:
        for model in apps.get_app_config(label).get_models():
            if model._meta.label in NOT_ANALYSED:
                continue
            try:
                out.append(get_history_model_for_model(model))
            except NotHistoricalModelError:
                continue
    return sorted(out, key=lambda m: m._meta.label)


def data_version() -> str:
    """A fingerprint of the analysed data, the analysis code and its configuration.

    Of the history rows, the last id of each table and the number of rows among its last ids
    (trial/versions.py), one query a table: counting all the rows read every history table.
    """
    salt = [_code_version(), json.dumps([settings.TRIAL_RANDOMIZATION, settings.TRIAL_ANALYSIS])]
    return history_version(_history_models(), salt="\n".join(salt))


def page_data(report: AnalysisReport) -> dict[str, Any]:
    """What the pages show, as JSON: the templates read these keys as they read the report."""
    return {
        "cutoff": report.cutoff.isoformat(),
        "factors": report.factors,
        "km": [asdict(s) for s in report.km],
        "table1": [asdict(r) for r in report.table1],
        "consort": asdict(report.consort),
        "remission": [asdict(r) for r in report.remission],
        "transplant": [asdict(r) for r in report.transplant],
        "adverse_events": report.adverse_events,
        "estimates": [asdict(e) for e in report.estimates],
    }


def _cutoff_dir(cutoff: dt.date) -> Path:
    return Path(settings.MEDIA_ROOT) / CACHE_DIR / f"{cutoff:%Y-%m-%d}"


def _read(directory: Path, version: str) -> CachedReport | None:
    page = directory / PAGE_FILE
    if not page.is_file():
        return None
    return CachedReport(directory, version, json.loads(page.read_text(encoding="utf-8")))


def report_cache_store(
    *, report: AnalysisReport, version: str, files_from: Path | None = None
) -> CachedReport:
    """Keep the report's files (copied from an export's directory, or written) under `version`.

    Written aside and moved in place whole, so a reader sees all the files or none; versions
    of the same cut-off that are no longer current are removed.
    """
    home = _cutoff_dir(report.cutoff)
    home.mkdir(parents=True, exist_ok=True)
    target = home / version
    with tempfile.TemporaryDirectory(dir=home, prefix=".writing-") as scratch:
        work = Path(scratch) / "report"
        if files_from is None:
            report_write(report, work)
        else:
            datasets = shutil.ignore_patterns("adtte.*", "adsurv.*", "data_dictionary.csv", "*.xml")
            shutil.copytree(files_from, work, ignore=datasets)
        page = page_data(report)
        (work / PAGE_FILE).write_text(
            json.dumps(page, sort_keys=True, ensure_ascii=False), encoding="utf-8"
        )
        report.adtte.to_parquet(work / FIGURE_DATA, index=False)
        # Another request may have stored this version first: its files are the same.
        with contextlib.suppress(OSError):
            work.rename(target)
    for old in home.iterdir():
        if old.name != version and not old.name.startswith(".writing-"):
            shutil.rmtree(old, ignore_errors=True)
    return CachedReport(target, version, page)


@in_trial_language
def report_cache_get(*, cutoff: dt.date) -> CachedReport:
    """The report at a cut-off for the current data: read, or derived once and kept."""
    version = data_version()
    cached = _read(_cutoff_dir(cutoff) / version, version)
    if cached is not None:
        return cached
    return report_cache_store(report=analysis_report_build(cutoff=cutoff), version=version)


def figure_language(language: str | None) -> str:
    """The language of settings.LANGUAGES a figure is drawn in: the reader's, else the trial's."""
    try:
        return translation.get_supported_language_variant(language or "")
    except LookupError:
        return settings.LANGUAGE_CODE


def report_figure(*, report: CachedReport, name: str, language: str) -> bytes:
    """A figure of the report (km_os.png, forest_efs.svg, cir.png …) in `language`.

    The trial's language reads the report's own file, as an export has it. Another language reads
    the figure kept under <version>/<language>/, drawn on its first request from the report's
    ADTTE rows and estimates (both formats at once).
    """
    if language == settings.LANGUAGE_CODE:
        return (report.directory / name).read_bytes()
    kept = report.directory / language / name
    if kept.is_file():
        return kept.read_bytes()
    stem, _dot, fmt = name.partition(".")
    adtte = pd.read_parquet(report.directory / FIGURE_DATA)
    drawing = figure_drawings(adtte, report.estimates, dt.date.fromisoformat(report.page["cutoff"]))
    with translation.override(language):
        drawn = render(drawing[stem])
    _figure_keep(report.directory / language, stem, drawn)
    return drawn[fmt]


def _figure_keep(directory: Path, stem: str, drawn: dict[str, bytes]) -> None:
    """Write each format aside and rename it in place, so a reader finds a whole file or none.

    Nothing is kept when the version was removed meanwhile (the data changed): the figure was
    drawn for this request only.
    """
    with contextlib.suppress(FileNotFoundError):
        directory.mkdir(exist_ok=True)
        for fmt, content in drawn.items():
            with tempfile.NamedTemporaryFile(dir=directory, prefix=".writing-", delete=False) as f:
                f.write(content)
            os.replace(f.name, directory / f"{stem}.{fmt}")
