"""Writes of the analysis: freezing a data cut-off, building and recording exports."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from analysis.cache import data_version, report_cache_store
from analysis.formats import FORMATS, WrittenFile, datasets_write, file_digest, manifest_checksum
from analysis.language import in_trial_language
from analysis.models import DataCutoff, DatasetExport, ExportKind, ExportStatus
from analysis.odm import odm_write
from analysis.report import analysis_report_build, report_write
from analysis.snapshots import manifest_write, snapshot_copy, snapshot_write
from trial.audit import record_save, require
from trial.exceptions import StateConflict
from trial.models import User
from trial.permissions import Action
from trial.validation import not_in_future, raise_if

Progress = Callable[[int, str], None]


@transaction.atomic
def cutoff_freeze(*, by: User, cutoff_date: dt.date, reason: str, now: dt.datetime) -> DataCutoff:
    """Record a data cut-off: its date, who froze it and why.

    :raises PermissionDenied: the user may not freeze cut-offs (data managers only).
    :raises ValidationError: the date is in the future, taken already, or no reason is given.
    """
    require(user=by, action=Action.MANAGE_CUTOFF, site=None)
    raise_if(not_in_future({}, today=timezone.localdate(now), cutoff_date=cutoff_date))
    cutoff = DataCutoff(cutoff_date=cutoff_date, reason=reason.strip(), frozen_by=by, frozen_at=now)
    record_save(instance=cutoff, by=by, reason="Data cut-off frozen")
    return cutoff


def snapshot_root(cutoff: DataCutoff) -> Path:
    """Where the files of the cut-off's current lock are (under MEDIA_ROOT)."""
    return Path(settings.MEDIA_ROOT) / "cutoffs" / str(cutoff.pk) / f"lock-{cutoff.lock_number}"


def _reason(reason: str, missing: str) -> str:
    if not reason.strip():
        raise ValidationError({"reason": [missing]})
    return reason.strip()


@transaction.atomic
def cutoff_lock(*, cutoff: DataCutoff, by: User, reason: str, now: dt.datetime) -> DataCutoff:
    """Lock a cut-off: build the files of its exports now, once; every export of it then
    carries these very files, whatever is entered or corrected later (`analysis/snapshots.py`).

    :raises PermissionDenied: the user may not manage cut-offs (data managers only).
    :raises ValidationError: no reason given.
    :raises StateConflict: the cut-off is locked already.
    """
    require(user=by, action=Action.MANAGE_CUTOFF, site=None)
    reason = _reason(reason, _("Say why the cut-off is locked."))
    cutoff = DataCutoff.objects.select_for_update().get(pk=cutoff.pk)
    if cutoff.locked:
        raise StateConflict(_("%(cutoff)s is locked already.") % {"cutoff": cutoff})
    cutoff.lock_number += 1
    root = snapshot_root(cutoff)
    shutil.rmtree(root, ignore_errors=True)  # left by a lock that failed before its commit
    cutoff.snapshot = snapshot_write(cutoff=cutoff.cutoff_date, target=root, created_at=now)
    cutoff.locked_at, cutoff.locked_by = now, by
    record_save(instance=cutoff, by=by, reason=f"Locked: {reason}")
    return cutoff


@transaction.atomic
def cutoff_unlock(*, cutoff: DataCutoff, by: User, reason: str) -> DataCutoff:
    """Re-open a locked cut-off: its exports are provisional again until the next lock, which
    builds a new snapshot (the exports made meanwhile keep their own copies).

    :raises PermissionDenied: the user may not manage cut-offs (data managers only).
    :raises ValidationError: no reason given.
    :raises StateConflict: the cut-off is not locked.
    """
    require(user=by, action=Action.MANAGE_CUTOFF, site=None)
    reason = _reason(reason, _("Say why the cut-off is unlocked."))
    cutoff = DataCutoff.objects.select_for_update().get(pk=cutoff.pk)
    if not cutoff.locked:
        raise StateConflict(_("%(cutoff)s is not locked.") % {"cutoff": cutoff})
    cutoff.locked_at, cutoff.locked_by, cutoff.snapshot = None, None, []
    record_save(instance=cutoff, by=by, reason=f"Unlocked: {reason}")
    return cutoff


# Besides the dataset formats, an export may carry the full clinical data as CDISC ODM XML,
# with or without its audit trail.
OPTIONS = ("odm", "odm_audit")


def _formats(formats: list[str] | None) -> list[str]:
    chosen = [f for f in FORMATS if not formats or f in formats]
    unknown = set(formats or []) - set(FORMATS) - set(OPTIONS)
    if unknown or not chosen:
        raise ValidationError(
            {
                "formats": [
                    _("Choose among %(formats)s.") % {"formats": ", ".join(FORMATS + OPTIONS)}
                ]
            }
        )
    options = [o for o in OPTIONS if o in (formats or [])]
    return chosen + options


@transaction.atomic
def export_create(
    *, by: User, cutoff: DataCutoff, formats: list[str] | None, now: dt.datetime
) -> DatasetExport:
    """Record an export of the survival datasets at a cut-off (built by `export_build`).

    :raises PermissionDenied: the user may not export (data managers, statisticians, sponsor
        administrators only).
    """
    require(user=by, action=Action.EXPORT, site=None)
    export = DatasetExport(
        cutoff=cutoff,
        kind=ExportKind.SURVIVAL,
        formats=_formats(formats),
        requested_by=by,
        requested_at=now,
    )
    record_save(instance=export, by=by, reason="Export requested")
    export.directory = f"exports/{export.pk}"
    record_save(instance=export, by=by, reason="Export directory")
    return export


# The progress messages are stored in English as the export goes; the page translates the fixed
# ones (marked with gettext_noop).
DONE = gettext_noop("Done")


def _set(export: DatasetExport, reason: str, **fields: object) -> None:
    for name, value in fields.items():
        setattr(export, name, value)
    record_save(instance=export, by=export.requested_by, reason=reason)


def export_path(export: DatasetExport) -> Path:
    return Path(settings.MEDIA_ROOT) / export.directory


@in_trial_language
def export_build(
    *,
    export: DatasetExport,
    now: dt.datetime,
    out_dir: Path | None = None,
    on_progress: Progress | None = None,
) -> DatasetExport:
    """Write the export's files and their manifest; idempotent. A locked cut-off's are the
    files of its lock, copied; an unlocked one's are derived from the database as it is now,
    and the manifest says they are provisional.

    Progress is saved as it goes (outside one transaction, so the page sees it).
    """
    if export.status == ExportStatus.DONE:
        return export
    report = on_progress or (lambda pct, msg: None)
    formats = [f for f in export.formats if f in FORMATS]

    def step(pct: int, message: str) -> None:
        _set(export, "Export progress", status=ExportStatus.RUNNING, progress=pct, message=message)
        report(pct, message)

    try:
        cutoff = DataCutoff.objects.get(pk=export.cutoff_id)
        target = out_dir or export_path(export)
        if cutoff.locked:
            step(30, f"Copying the files of the lock of {cutoff.locked_at:%Y-%m-%d %H:%M}")
            written = snapshot_copy(
                snapshot=cutoff.snapshot,
                root=snapshot_root(cutoff),
                formats=export.formats,
                target=target,
            )
        else:
            written = _files_build(export, cutoff.cutoff_date, target, step, formats)
        written.append(
            manifest_write(
                target=target,
                cutoff=cutoff.cutoff_date,
                files=written,
                locked_at=cutoff.locked_at,
                lock_number=cutoff.lock_number if cutoff.locked else None,
            )
        )
    except Exception as error:
        _set(export, "Export failed", status=ExportStatus.FAILED, message=str(error)[:2000])
        raise
    _set(
        export,
        "Export finished",
        status=ExportStatus.DONE,
        progress=100,
        message=DONE,
        files=[asdict(w) for w in written],
        checksum=manifest_checksum(written),
        finished_at=now,
        provisional=not cutoff.locked,
        lock_number=cutoff.lock_number if cutoff.locked else None,
    )
    report(100, DONE)
    return export


def _files_build(
    export: DatasetExport,
    cutoff: dt.date,
    target: Path,
    step: Callable[[int, str], None],
    formats: list[str],
) -> list[WrittenFile]:
    """Derive the datasets from the database as it is now and write the export's files."""
    step(5, gettext_noop("Reading the database"))
    total = len(formats) * 2
    version = data_version()  # before reading: a change made meanwhile makes a new version
    analysis = analysis_report_build(cutoff=cutoff)
    step(30, gettext_noop("Deriving the datasets"))
    done = iter(range(1, total + 1))
    written = datasets_write(
        frames=analysis.frames,
        out_dir=target,
        formats=formats,
        cutoff=cutoff,
        on_file=lambda name: step(30 + 50 * next(done) // total, f"Wrote {name}"),
    )
    step(82, gettext_noop("Drawing the figures and the tables"))
    written += [file_digest(p) for p in report_write(analysis, target)]
    # The analysis pages show these very files until the data change.
    report_cache_store(report=analysis, version=version, files_from=target)
    return written + _odm_write(export, target, cutoff, step)


def _odm_write(
    export: DatasetExport, target: Path, cutoff: dt.date, step: Callable[[int, str], None]
) -> list[WrittenFile]:
    if "odm" not in export.formats and "odm_audit" not in export.formats:
        return []
    step(92, gettext_noop("Writing the clinical data as CDISC ODM"))
    path = odm_write(
        out_path=target / "clinical_data.odm.xml",
        cutoff=cutoff,
        with_audit="odm_audit" in export.formats,
        created_at=export.requested_at,
    )
    return [file_digest(path)]


def survival_export_run(
    *,
    by: User,
    cutoff: DataCutoff,
    formats: list[str] | None,
    now: dt.datetime,
    out_dir: Path,
    on_progress: Progress | None = None,
) -> DatasetExport:
    """Record and build an export at once, into a directory of the caller's (the command)."""
    export = export_create(by=by, cutoff=cutoff, formats=formats, now=now)
    return export_build(export=export, now=now, out_dir=out_dir, on_progress=on_progress)
