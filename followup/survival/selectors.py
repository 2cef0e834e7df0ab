"""Reads of the analysis pages: cut-offs and exports (trial-wide; export roles only)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from followup.models import DataCutoff, DatasetExport
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
