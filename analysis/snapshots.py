"""The files of a locked cut-off: built once at the lock, copied into each of its exports.

A snapshot of the built files rather than an export rebuilt from the history as of the lock:
the exports of a locked cut-off must stay the same bytes for ever, and a rebuild would depend on
every record's history being complete and on the derivation code, pandas, pyreadstat and
pyarrow writing the same bytes years later. Copying the files built at the lock depends on
nothing but the files.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

from analysis.formats import EXTENSIONS, FORMATS, WrittenFile, datasets_write, file_digest
from analysis.language import in_trial_language
from analysis.odm import odm_write
from analysis.report import analysis_report_build, report_write

# Every export carries the data dictionary and the report; the rest is chosen.
ALWAYS = "always"
ODM_FILE = "clinical_data.odm.xml"
MANIFEST = "manifest.json"
_FORMAT_OF_EXTENSION = {ext: fmt for fmt, ext in EXTENSIONS.items()}


def _part(name: str) -> str:
    if name == "data_dictionary.csv":
        return ALWAYS
    return _FORMAT_OF_EXTENSION.get(name.rsplit(".", 1)[-1], ALWAYS)


@in_trial_language
def snapshot_write(
    *, cutoff: dt.date, target: Path, created_at: dt.datetime
) -> list[dict[str, Any]]:
    """Build every file any export of the cut-off may carry into `target`: each dataset in
    every format, the dictionary, the report, and the ODM file without and with its audit
    trail. Return one entry per file: part, name, path (relative to `target`), sha256, size."""
    analysis = analysis_report_build(cutoff=cutoff)
    written = datasets_write(
        frames=analysis.frames, out_dir=target, formats=list(FORMATS), cutoff=cutoff
    )
    entries = [_entry(target, target / w.name, _part(w.name)) for w in written]
    entries += [_entry(target, path, ALWAYS) for path in report_write(analysis, target)]
    for part in ("odm", "odm_audit"):
        path = odm_write(
            out_path=target / part / ODM_FILE,
            cutoff=cutoff,
            with_audit=part == "odm_audit",
            created_at=created_at,
        )
        entries.append(_entry(target, path, part))
    return entries


def _entry(root: Path, path: Path, part: str) -> dict[str, Any]:
    digest = file_digest(path)
    return {
        "part": part,
        "name": digest.name,
        "path": str(path.relative_to(root)),
        "sha256": digest.sha256,
        "size": digest.size,
    }


def snapshot_copy(
    *, snapshot: list[dict[str, Any]], root: Path, formats: list[str], target: Path
) -> list[WrittenFile]:
    """Copy the snapshot's files an export with `formats` carries into `target`."""
    odm = "odm_audit" if "odm_audit" in formats else "odm" if "odm" in formats else None
    chosen = {ALWAYS, *(f for f in formats if f in FORMATS), *([odm] if odm else [])}
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for entry in snapshot:
        if entry["part"] in chosen:
            shutil.copyfile(root / entry["path"], target / entry["name"])
            written.append(file_digest(target / entry["name"]))
            if written[-1].sha256 != entry["sha256"]:
                raise RuntimeError(f"The snapshot's {entry['name']} no longer has its checksum.")
    return written


def manifest_write(
    *,
    target: Path,
    cutoff: dt.date,
    files: list[WrittenFile],
    locked_at: dt.datetime | None,
    lock_number: int | None,
) -> WrittenFile:
    """Write the export's manifest: the cut-off, whether the export is final (a locked
    cut-off's snapshot) or provisional (the database as it was), and every file's checksum.
    Nothing in it names the export or when it was made, so a locked cut-off's is always the same.
    """
    status: dict[str, Any]
    if locked_at is None:
        status = {
            "status": "provisional",
            "note": "The cut-off is not locked: these files were built from the database as it "
            "was; a later export of the same cut-off may differ.",
        }
    else:
        status = {
            "status": "locked",
            "locked_at": locked_at.isoformat(),
            "lock": lock_number,
            "note": "The files built when the cut-off was locked: every export of this lock "
            "carries them unchanged.",
        }
    manifest = {
        "cutoff_date": cutoff.isoformat(),
        **status,
        "files": [{"name": f.name, "sha256": f.sha256, "size": f.size} for f in files],
    }
    path = target / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return file_digest(path)
