"""Building a whole site's casebooks in the worker, with progress for the page that follows it.

The request is recorded and the build queued once committed (verification/queueing.py); the
build writes
one PDF per patient into a ZIP under MEDIA_ROOT and saves its progress as it goes (outside one
transaction, so the page sees it). Building again a build that is done changes nothing.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from django.conf import settings

from trial.audit import record_save
from trial.models import Patient
from verification.casebook import casebook_pdf
from verification.models import CasebookBuild, CasebookBuildState

CASEBOOK_DIR = "casebooks"


def _progress(build: CasebookBuild, **values: object) -> None:
    for name, value in values.items():
        setattr(build, name, value)
    record_save(instance=build, by=build.requested_by, reason="Casebook progress")


def casebook_build(*, build: CasebookBuild, now: dt.datetime) -> CasebookBuild:
    """Write the casebook of every patient of the build's site into one ZIP; idempotent."""
    if build.state == CasebookBuildState.DONE:
        return build
    patients = list(Patient.objects.filter(site=build.site).order_by("screening_number"))
    _progress(build, state=CasebookBuildState.RUNNING, total=len(patients), done=0, error="")
    name = f"{CASEBOOK_DIR}/casebooks-{build.site.code}-{build.pk}.zip"
    path = Path(settings.MEDIA_ROOT) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for number, patient in enumerate(patients, start=1):
                label = patient.subject_id or patient.screening_number
                archive.writestr(f"casebook-{label}.pdf", casebook_pdf(patient, printed_at=now))
                _progress(build, done=number)
    except Exception as error:
        _progress(build, state=CasebookBuildState.FAILED, error=str(error), finished_at=now)
        raise
    _progress(build, state=CasebookBuildState.DONE, file_name=name, finished_at=now)
    return build
