"""Benchmark: the survival datasets and the ODM file against their floor, at 100,000 patients.

The floor is reading the data at all: in the same run, a plain `COPY (SELECT …) TO STDOUT` of
the same source rows (the tables and columns the export reads, records entered in error left
out where the export leaves them out). Each export runs in a fresh process so that its peak
resident memory is its own.
- Survival: gather, derive and write ADTTE and ADSURV, once per format (CSV, XPT, DTA, SAV,
  Parquet); time, ratio to the floor, peak memory. Aim: ≤ 3× the floor, < 20 s, < 1 GB.
- ODM (snapshot; `--audit` adds the audit trail): time, MB/s of XML written, ratio to the
  floor and peak memory, at the full size and at a tenth of it (memory flat in the number of
  patients). Aim: ≥ 50 MB/s.
Uses the database of bench/datagen.py (generated when absent, reused when present).
PostgreSQL only. Run: `python bench/bench_exports.py [--patients N] [--odm-patients N] [--audit]`;
`--only survival|odm` runs one of the two, `--odm-sizes 10000 20000 40000` the ODM file at those
sizes, `--odm-writer tests.analysis.odm_lxml` the element-tree writer it replaced (a comparison).
BENCH_PROFILE=<file>: each survival export runs under cProfile and appends its costliest
functions to <file> (the times printed are then the profiled ones, slower).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.apps import apps  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Q, QuerySet  # noqa: E402

CUTOFF = dt.date(2026, 6, 30)
SURVIVAL_RATIO, SURVIVAL_SECONDS, SURVIVAL_MB = 3.0, 20.0, 1024
ODM_MB_PER_S = 50.0


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _copy_seconds(querysets: Iterable[QuerySet[Any]]) -> tuple[float, int]:
    """Time `COPY (SELECT …) TO STDOUT` of each query, reading every byte; return (s, bytes)."""
    total = 0
    start = time.perf_counter()
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        for qs in querysets:
            sql, params = qs.query.sql_with_params()
            ops: Any = connection.ops  # the PostgreSQL backend's, which composes with psycopg
            statement = ops.compose_sql(f"COPY ({sql}) TO STDOUT", params)
            with cursor.copy(statement) as copy:
                for block in copy:
                    total += len(block)
    return time.perf_counter() - start, total


def survival_sources() -> list[QuerySet[Any]]:
    """The rows analysis/gather.py reads, as plain selects of the same columns."""
    from followup.selectors import ALIVE_DATE_SOURCES
    from randomization.models import Randomization
    from trial.models import BaselineMutation

    live = Q(entered_in_error=False)
    sources: list[QuerySet[Any]] = [
        Randomization.objects.filter(live, patient__entered_in_error=False).values_list(
            "patient_id",
            "patient__subject_id",
            "patient__site__code",
            "patient__sex",
            "patient__age_at_screening",
            "arm",
            "stratum_regimen",
            "stratum_disease_status",
            "randomized_at",
        )
    ]
    for source in ALIVE_DATE_SOURCES:
        model: Any = apps.get_model(source.model)
        sources.append(
            model.objects.filter(source.condition, live).values_list(
                source.patient_field, source.date_field
            )
        )
    plain = {
        "trial.Death": ("death_date",),
        "treatment.EndOfTreatment": ("end_date",),
        "treatment.ResponseAssessment": ("assessment_date", "response"),
        "treatment.Relapse": ("relapse_date", "bone_marrow", "peripheral_blood", "extramedullary"),
        "trial.Baseline": ("cytogenetic_risk",),
        "treatment.Transplant": ("transplant_date", "donor_type"),
        "treatment.AdverseEvent": ("term__term", "term_text", "grade", "start_date"),
    }
    for label, columns in plain.items():
        model = apps.get_model(label)
        sources.append(model.objects.filter(live).values_list("patient_id", *columns))
    visits: Any = apps.get_model("followup.Visit")
    sources.append(
        visits.objects.filter(live, transplant=True).values_list("patient_id", "transplant_date")
    )
    sources.append(
        BaselineMutation.objects.filter(live, baseline__entered_in_error=False).values_list(
            "baseline__patient_id", "gene__code", "result"
        )
    )
    return sources


def odm_sources(with_audit: bool) -> list[QuerySet[Any]]:
    """Every column of every clinical record the ODM file holds (or of their history rows)."""
    from analysis.odm import DOMAINS

    sources: list[QuerySet[Any]] = []
    for domain in DOMAINS:
        names = [f.attname for f in domain.fields()]
        if with_audit:
            history: Any = domain.model.history  # type: ignore[attr-defined]
            sources.append(
                history.values_list("id", *names, "history_type", "history_date").order_by(
                    "history_date", "history_id"
                )
            )
        else:
            manager: Any = domain.model._default_manager
            sources.append(manager.values_list("pk", *names).order_by("pk"))
    return sources


def measure_survival(fmt: str) -> dict[str, Any]:
    """In a fresh process: gather, derive and write the datasets in one format."""
    from analysis.datasets import survival_frames
    from analysis.formats import datasets_write
    from analysis.gather import trial_facts_gather

    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        facts = trial_facts_gather(cutoff=CUTOFF)
        gathered = time.perf_counter()
        frames = survival_frames(facts.patients, CUTOFF)
        patients = len(facts.patients)
        # As in the export (analysis.services): the report keeps the frames, not the facts.
        del facts
        derived = time.perf_counter()
        datasets_write(frames=frames, out_dir=Path(out), formats=[fmt], cutoff=CUTOFF)
        end = time.perf_counter()
    return {
        "patients": patients,
        "gather": gathered - start,
        "derive": derived - gathered,
        "write": end - derived,
        "total": end - start,
        "peak_mb": _peak_mb(),
    }


def _profiled(measure: Any, *args: str) -> dict[str, Any]:
    """`measure(*args)` under cProfile; its costliest functions go to $BENCH_PROFILE (a file)."""
    import cProfile
    import io
    import pstats

    profile = cProfile.Profile()
    result: dict[str, Any] = profile.runcall(measure, *args)
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)
    with open(os.environ["BENCH_PROFILE"], "a") as f:
        f.write(f"== {' '.join(args)}\n{out.getvalue()}")
    return result


def measure_odm(with_audit: bool, writer: str) -> dict[str, Any]:
    """In a fresh process: write the ODM file with the odm_write of the module `writer`."""
    import importlib

    odm_write = importlib.import_module(writer).odm_write

    now = dt.datetime.combine(CUTOFF, dt.time(12), tzinfo=dt.UTC)
    with tempfile.TemporaryDirectory() as out:
        start, cpu = time.perf_counter(), time.process_time()
        path = odm_write(
            out_path=Path(out) / "odm.xml", cutoff=CUTOFF, with_audit=with_audit, created_at=now
        )
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        size = path.stat().st_size
    return {"total": elapsed, "cpu": cpu, "bytes": size, "peak_mb": _peak_mb()}


def measure_floor(kind: str) -> dict[str, Any]:
    """In a fresh process: the COPY floor of an export's source rows."""
    sources = survival_sources() if kind == "survival" else odm_sources(kind == "odm-audit")
    seconds, size = _copy_seconds(sources)
    return {"total": seconds, "bytes": size, "peak_mb": _peak_mb()}


def _child(url: str, *args: str) -> dict[str, Any]:
    env = {**os.environ, "DATABASE_URL": url}
    out = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def _survival(url: str) -> bool:
    from analysis.formats import FORMATS

    floor = _child(url, "floor", "survival")
    print(
        f"Survival floor: COPY of the source rows {floor['total']:.2f} s "
        f"({floor['bytes'] / 1e6:.0f} MB)"
    )
    ok = True
    for fmt in FORMATS:
        r = _child(url, "survival", fmt)
        ratio = r["total"] / floor["total"]
        passed = (
            ratio <= SURVIVAL_RATIO and r["total"] < SURVIVAL_SECONDS and r["peak_mb"] < SURVIVAL_MB
        )
        ok &= passed
        print(
            f"  {fmt:8} {r['total']:6.2f} s = {ratio:4.1f}× floor (gather {r['gather']:.2f}, "
            f"derive {r['derive']:.2f}, write {r['write']:.2f}) peak RSS {r['peak_mb']:.0f} MB "
            f"{'PASS' if passed else 'FAIL'}"
        )
    print(
        f"  {r['patients']:,} randomised patients; aim ≤ {SURVIVAL_RATIO:.0f}× floor, "
        f"< {SURVIVAL_SECONDS:.0f} s, < {SURVIVAL_MB} MB"
    )
    return ok


def _odm(urls: dict[int, str], with_audit: bool, writer: str) -> bool:
    kind = "odm-audit" if with_audit else "odm"
    ok = True
    for patients, url in urls.items():
        floor = _child(url, "floor", kind)
        r = _child(url, kind, writer)
        rate = r["bytes"] / 1e6 / r["total"]
        passed = rate >= ODM_MB_PER_S
        ok &= passed
        print(
            f"ODM{' with audit trail' if with_audit else ''} at {patients:,} patients: "
            f"{r['total']:.1f} s for {r['bytes'] / 1e6:.0f} MB = {rate:.1f} MB/s "
            f"({r['bytes'] / 1e6 / r['cpu']:.1f} MB per CPU second of the writer); floor "
            f"{floor['total']:.2f} s ({floor['bytes'] / 1e6:.0f} MB of rows), "
            f"{r['total'] / floor['total']:.1f}× floor; peak RSS {r['peak_mb']:.0f} MB "
            f"{'PASS' if passed else 'FAIL'} (≥ {ODM_MB_PER_S:.0f} MB/s)"
        )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument(
        "--odm-patients", type=int, help="ODM at this size (and a tenth), default --patients"
    )
    parser.add_argument(
        "--odm-sizes", type=int, nargs="+", help="ODM at these sizes instead (flat memory)"
    )
    parser.add_argument("--audit", action="store_true", help="also the ODM audit trail")
    parser.add_argument("--only", choices=["survival", "odm"], help="one of the two exports")
    parser.add_argument(
        "--odm-writer",
        default="analysis.odm",
        help="module whose odm_write is measured (tests.analysis.odm_lxml: the element trees)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "floor":
            result = measure_floor(rest[0])
        elif kind == "survival" and os.environ.get("BENCH_PROFILE"):
            result = _profiled(measure_survival, rest[0])
        elif kind == "survival":
            result = measure_survival(rest[0])
        else:
            result = measure_odm(kind == "odm-audit", rest[0])
        print(json.dumps(result))
        return 0
    if connection.vendor != "postgresql":
        print("DATABASE_URL must point at PostgreSQL.", file=sys.stderr)
        return 2
    from datagen import database_ensure  # bench/ is this script's directory

    ok = True
    if args.only != "odm":
        ok &= _survival(database_ensure(patients=args.patients))
    if args.only == "survival":
        print(f"Result: {'PASS' if ok else 'FAIL'}")
        return 0 if ok else 1
    odm_patients = args.odm_patients or args.patients
    sizes = args.odm_sizes or (max(odm_patients // 10, 100), odm_patients)
    urls = {n: database_ensure(patients=n) for n in sizes}
    ok &= _odm(urls, with_audit=False, writer=args.odm_writer)
    if args.audit:
        ok &= _odm(urls, with_audit=True, writer=args.odm_writer)
    print(f"Result: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
