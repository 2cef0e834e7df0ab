"""Reads of the analysis pages: cut-offs and exports (trial-wide; export roles only)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from analysis.cache import CachedReport, figure_language, report_cache_get, report_figure
from analysis.figures import FIGURE_ENDPOINTS, FIGURE_FORMATS
from analysis.models import DataCutoff, DatasetExport
from analysis.subgroups import SUBGROUP_ENDPOINTS
from trial.audit import require
from trial.models import User
from trial.permissions import Action


def cutoffs_list(*, user: User) -> QuerySet[DataCutoff]:
    require(user=user, action=Action.EXPORT, site=None)
    return DataCutoff.objects.select_related("frozen_by").order_by("-cutoff_date")


def cutoff_get(*, user: User, cutoff_id: int) -> DataCutoff:
    return get_object_or_404(cutoffs_list(user=user), pk=cutoff_id)


def exports_list(*, user: User) -> QuerySet[DatasetExport]:
    require(user=user, action=Action.EXPORT, site=None)
    return DatasetExport.objects.select_related("cutoff", "requested_by").order_by("-pk")


def export_get(*, user: User, export_id: int) -> DatasetExport:
    return get_object_or_404(exports_list(user=user), pk=export_id)


def cutoff_report(*, user: User, cutoff_id: int) -> tuple[DataCutoff, CachedReport]:
    """The trial report at a frozen cut-off for the current data (export roles only).

    Derived once per version of the data and read from its files afterwards (`cache.py`).
    """
    cutoff = cutoff_get(user=user, cutoff_id=cutoff_id)
    return cutoff, report_cache_get(cutoff=cutoff.cutoff_date)


REPORT_FIGURES = {
    f"{stem}.{fmt}"
    for stem in [
        *(f"km_{code.lower()}" for code in FIGURE_ENDPOINTS),
        *(f"forest_{code.lower()}" for code in SUBGROUP_ENDPOINTS),
        "cir",
    ]
    for fmt in FIGURE_FORMATS
}
REPORT_FILES = {"estimates.csv", *REPORT_FIGURES}


def report_file_get(*, user: User, cutoff_id: int, name: str, language: str | None) -> bytes:
    """A figure (km_os.png, forest_efs.svg, cir.png …), drawn in `language` where it is one of
    settings.LANGUAGES (else in the trial's), or estimates.csv of the report."""
    if name not in REPORT_FILES:
        raise Http404("No such file in the report.")
    _, report = cutoff_report(user=user, cutoff_id=cutoff_id)
    if name not in REPORT_FIGURES:
        return (report.directory / name).read_bytes()
    return report_figure(report=report, name=name, language=figure_language(language))


def km_image(*, user: User, cutoff_id: int, paramcd: str, fmt: str, language: str | None) -> bytes:
    """The Kaplan–Meier figure of OS or EFS at a cut-off, as PNG or SVG, in `language`."""
    if paramcd not in FIGURE_ENDPOINTS or fmt not in FIGURE_FORMATS:
        raise Http404("No such figure.")
    name = f"km_{paramcd.lower()}.{fmt}"
    return report_file_get(user=user, cutoff_id=cutoff_id, name=name, language=language)
