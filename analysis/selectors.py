"""Reads of the analysis pages: cut-offs and exports (trial-wide; export roles only)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from analysis.datasets import adtte_frame
from analysis.figures import FIGURE_ENDPOINTS, FIGURE_FORMATS, km_render
from analysis.gather import trial_facts_gather
from analysis.models import DataCutoff, DatasetExport
from analysis.report import AnalysisReport, analysis_report_build
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


def cutoff_report(*, user: User, cutoff_id: int) -> tuple[DataCutoff, AnalysisReport]:
    """The trial report at a frozen cut-off (export roles only)."""
    cutoff = cutoff_get(user=user, cutoff_id=cutoff_id)
    return cutoff, analysis_report_build(cutoff=cutoff.cutoff_date)


def km_image(*, user: User, cutoff_id: int, paramcd: str, fmt: str) -> bytes:
    """The Kaplan–Meier figure of OS or EFS at a cut-off, as PNG or SVG."""
    if paramcd not in FIGURE_ENDPOINTS or fmt not in FIGURE_FORMATS:
        raise Http404("No such figure.")
    day = cutoff_get(user=user, cutoff_id=cutoff_id).cutoff_date
    adtte = adtte_frame(trial_facts_gather(cutoff=day).patients, day)
    return km_render(adtte, paramcd, day, fmt)
