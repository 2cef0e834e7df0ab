"""Celery task of the exports: thin, keyword-only, acknowledged late (the build is idempotent)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from analysis.models import DatasetExport
from analysis.services import export_build


@shared_task(name="analysis.export_build", acks_late=True, reject_on_worker_lost=True)
def export_build_task(*, export_id: int) -> str:
    export = DatasetExport.objects.select_related("cutoff", "requested_by").get(pk=export_id)
    return export_build(export=export, now=timezone.now()).checksum
