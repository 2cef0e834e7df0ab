"""Handing an export to a worker: the request is recorded, and the build is queued once the
record is committed (the task imports the build service; this module imports the task)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from analysis.models import DataCutoff, DatasetExport
from analysis.services import export_create
from analysis.tasks import export_build_task
from trial.models import User


@transaction.atomic
def export_request(
    *, by: User, cutoff: DataCutoff, formats: list[str] | None, now: dt.datetime
) -> DatasetExport:
    """Record an export and have a worker build it once the request is committed."""
    export = export_create(by=by, cutoff=cutoff, formats=formats, now=now)
    transaction.on_commit(lambda: export_build_task.delay(export_id=export.pk))
    return export
