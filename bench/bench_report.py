"""Benchmark: deriving the analysis report of a cut-off (`analysis_report_build`), step by step.

On the database of bench/datagen.py (generated when absent, reused when present), in a fresh
process per size so that its peak resident memory is its own: one `analysis_report_build` at
the cut-off, the time (wall and CPU: a shared machine stretches the first) of each step it
takes (reading the database, the survival datasets, the tables, each estimator: Kaplan–Meier,
log-rank, Cox fits, cox.zph, subgroups, cumulative incidence, Gray's test) summed over its
calls, the slowest estimator named, the peak memory; then writing its files (`report_write`:
figures, estimates, tables) as the export does. The steps are timed by wrapping the functions
the build calls, in this process only: the code measured is the code that runs.
Aim: the report of 100,000 patients derived in under 60 s.
Run: `python bench/bench_report.py [--patients N [N ...]] [--profile FILE] [--no-write]`;
`--profile` writes cProfile's statistics of the build (of the last size) to FILE.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.db import connection  # noqa: E402

CUTOFF = dt.date(2026, 6, 30)  # bench/datagen.py's
LIMIT_SECONDS = 60.0

# (module, function, step): each function the build calls, as the module that calls it names
# it; a step's time includes the steps inside it (a Cox fit inside a subgroup estimate).
STEPS = [
    ("analysis.report", "trial_facts_gather", "read: trial facts"),
    ("analysis.report", "baseline_facts_gather", "read: baseline"),
    ("analysis.report", "consort_facts_gather", "read: CONSORT"),
    ("analysis.report", "stratification_factors_gather", "read: factors"),
    ("analysis.report", "survival_frames", "datasets: ADTTE, ADSURV"),
    ("analysis.figures", "km_summary", "figures: KM summaries"),
    ("analysis.tables", "table1", "tables: Table 1"),
    ("analysis.tables", "consort", "tables: CONSORT"),
    ("analysis.derive", "remission_rate", "tables: remission, transplant, AEs"),
    ("analysis.derive", "transplant_rate", "tables: remission, transplant, AEs"),
    ("analysis.derive", "adverse_events_by_arm", "tables: remission, transplant, AEs"),
    ("analysis.tables", "adverse_event_rows", "tables: remission, transplant, AEs"),
    ("analysis.report", "estimates_derive", "estimates (all)"),
    ("analysis.inference", "km_estimates", "estimator: Kaplan–Meier"),
    ("analysis.inference", "survdiff", "estimator: log-rank"),
    ("analysis.inference", "stratum_key", "estimator: stratum labels"),
    ("analysis.inference", "cox_fit", "estimator: Cox fit (primary)"),
    ("analysis.inference", "cox_zph", "estimator: cox.zph"),
    ("analysis.primary", "subgroup_estimates", "estimator: subgroups (HR, interaction)"),
    ("analysis.subgroups", "cox_fit", "estimator: Cox fit (subgroups)"),
    ("analysis.relapse", "cumulative_incidence", "estimator: cumulative incidence"),
    ("analysis.relapse", "gray_test", "estimator: Gray's test"),
]


def _wrap(totals: dict[str, list[float]], module: Any, name: str, step: str) -> None:
    function = getattr(module, name)

    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        start, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            totals[step][0] += time.perf_counter() - start
            totals[step][1] += time.process_time() - cpu
            totals[step][2] += 1

    setattr(module, name, timed)


def measure(write: bool, profile: str | None) -> dict[str, Any]:
    """In a fresh process: build the report once with every step timed; then write its files."""
    import importlib

    from memory import memory_mb, peak_reset  # beside this file

    from analysis.report import analysis_report_build, report_write

    totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for module, name, step in STEPS:
        _wrap(totals, importlib.import_module(module), name, step)
    start_mb = peak_reset()
    start, cpu = time.perf_counter(), time.process_time()
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        report = profiler.runcall(analysis_report_build, cutoff=CUTOFF)
        profiler.dump_stats(profile)
    else:
        report = analysis_report_build(cutoff=CUTOFF)
    build, build_cpu = time.perf_counter() - start, time.process_time() - cpu
    build_mb = memory_mb() - start_mb
    written = 0.0
    if write:
        with tempfile.TemporaryDirectory() as out:
            start = time.perf_counter()
            report_write(report, Path(out))
            written = time.perf_counter() - start
    return {
        "patients": int(report.adtte.USUBJID.nunique()),
        "adtte_rows": len(report.adtte),
        "build": build,
        "build_cpu": build_cpu,
        "build_peak_mb": build_mb,
        "write": written,
        "steps": {step: tuple(value) for step, value in totals.items()},
    }


def _child(url: str, *args: str) -> dict[str, Any]:
    env = {**os.environ, "DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(done.stderr)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _print(patients: int, r: dict[str, Any]) -> bool:
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    passed = r["build"] < LIMIT_SECONDS
    print(
        f"Report at {patients:,} patients ({r['patients']:,} randomised, {r['adtte_rows']:,} "
        f"ADTTE rows): built in {r['build']:.1f} s ({r['build_cpu']:.1f} s of CPU), peak memory +{r['build_peak_mb']:.0f} MB; "
        f"files written in {r['write']:.1f} s; load average {load} "
        f"{'PASS' if passed else 'FAIL'} (< {LIMIT_SECONDS:.0f} s)"
    )
    steps = sorted(r["steps"].items(), key=lambda item: -item[1][0])
    print("  wall s  of build    CPU s  calls  step (a step includes the steps it calls)")
    for step, (seconds, cpu, calls) in steps:
        print(f"  {seconds:8.2f} {seconds / r['build']:6.1%} {cpu:8.2f} {calls:6d}×  {step}")
    slowest = max(
        ((s, v) for s, v in steps if s.startswith("estimator:")), key=lambda item: item[1][1]
    )
    print(
        f"  slowest estimator: {slowest[0].removeprefix('estimator: ')} "
        f"({slowest[1][1]:.2f} s of CPU)"
    )
    return passed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, nargs="+", default=[100_000])
    parser.add_argument("--profile", help="write cProfile statistics of the (last) build here")
    parser.add_argument("--no-write", action="store_true", help="build only, write no files")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        write, profile = args.child[0] == "write", (args.child[1:] or [None])[0]
        print(json.dumps(measure(write, profile)))
        return 0
    if connection.vendor != "postgresql":
        print("DATABASE_URL must point at PostgreSQL.", file=sys.stderr)
        return 2
    from datagen import database_ensure  # bench/ is this script's directory

    ok = True
    for i, patients in enumerate(args.patients):
        url = database_ensure(patients=patients)
        profile = (
            [str(Path(args.profile).resolve())]
            if args.profile and i == len(args.patients) - 1
            else []
        )
        r = _child(url, "build" if args.no_write else "write", *profile)
        ok &= _print(patients, r)
    print(f"Result: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
