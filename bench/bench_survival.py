"""Benchmark: the survival datasets of 10,000 randomised patients with five years of follow-up.

Assumes DATABASE_URL points at PostgreSQL; creates (and drops) a test database, bulk-generates
patients (randomisation, responses, adverse events, a visit every three months for up to five
years, relapses, transplants, deaths), each record with its "created" history row as entered
through the EDC, then, in a fresh process so that its peak memory is its own, gathers, derives
and writes ADTTE and ADSURV in every format (CSV, XPT, DTA, SAV, Parquet).
Limits: under 10 s in total, peak resident memory under 500 MB.
Then, outside those limits: the analysis report, and the CDISC ODM file without and with its
audit trail, each ODM file in a fresh process of its own (time, peak memory, size).
Run: `python bench/bench_survival.py [--patients N]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.db import connection  # noqa: E402

CUTOFF = dt.date(2026, 6, 30)
LIMIT_SECONDS = 10.0
LIMIT_MB = 500
ENTERED_AT = dt.datetime(2025, 1, 1, 9, tzinfo=dt.UTC)


def _visit(patient, number: int, day: dt.date, **fields):
    from followup.models import Visit

    return Visit(
        patient=patient,
        number=number,
        month=3 * number,
        anchor_date=day,
        target_date=day,
        window_opens=day - dt.timedelta(days=14),
        window_closes=day + dt.timedelta(days=15),
        overdue_from=day + dt.timedelta(days=15),
        missed_from=day + dt.timedelta(days=45),
        status="done",
        contact_date=day,
        vital_status="alive",
        disease_status=fields.pop("disease_status", "remission"),
        **fields,
    )


def _generate(count: int) -> dict[str, int]:
    from followup.models import Visit
    from randomization.models import Randomization
    from treatment.models import AdverseEvent, Cycle, Relapse, ResponseAssessment, Transplant
    from trial.models import Death, Patient, ProtocolVersion, Site, User

    rng = random.Random(20260630)
    user = User.objects.create(username="bench")
    protocol = ProtocolVersion.objects.create(number="1.0", effective_date=dt.date(2020, 1, 1))
    sites = Site.objects.bulk_create([Site(code=f"B{i:02d}", name=f"Site {i}") for i in range(10)])
    patients = _with_history(
        Patient,
        [
            Patient(
                site=sites[i % 10],
                screening_number=f"S-{i:06d}",
                screening_date=dt.date(2021, 1, 1),
                sex="FM"[i % 2],
                age_at_screening=rng.randint(18, 85),
                protocol_version=protocol,
                status="enrolled",
                subject_id=f"B-{i:06d}",
            )
            for i in range(count)
        ],
    )
    rows: dict[str, list] = {
        k: [] for k in ("rand", "cycle", "resp", "relapse", "ae", "visit", "tx", "death")
    }
    for i, p in enumerate(patients):
        randomized = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randint(0, 365))
        rows["rand"].append(
            Randomization(
                patient=p,
                arm="DEX" if i % 2 else "CTRL",
                randomization_number=f"R-{i:06d}",
                randomized_at=dt.datetime.combine(randomized, dt.time(9), tzinfo=dt.UTC),
                randomized_by=user,
                stratum_regimen="IC" if i % 3 else "AZA",
                stratum_disease_status="first_relapse" if i % 4 else "refractory",
            )
        )
        remission = rng.random() < 0.45
        assessed = randomized + dt.timedelta(days=rng.randint(25, 60))
        cycle = Cycle(
            patient=p,
            number=1,
            kind="induction",
            regimen="IC",
            start_date=randomized + dt.timedelta(days=2),
            height_cm=170,
            weight_kg=70,
            bsa_m2=1.82,
        )
        rows["cycle"].append(cycle)
        rows["resp"].append(
            ResponseAssessment(
                patient=p,
                cycle=cycle,
                assessment_date=assessed,
                response="CR" if remission else "PR",
            )
        )
        for _ in range(rng.randint(1, 4)):
            rows["ae"].append(
                AdverseEvent(
                    patient=p,
                    term_text=rng.choice(["Nausea", "Febrile neutropenia", "Hyperglycaemia"]),
                    grade=rng.randint(1, 4),
                    start_date=randomized + dt.timedelta(days=rng.randint(1, 90)),
                    relation_dexamethasone="possible",
                    relation_salvage="possible",
                )
            )
        death = (
            randomized + dt.timedelta(days=rng.randint(30, 1825)) if rng.random() < 0.6 else None
        )
        relapse_visit = rng.randint(1, 20) if remission and rng.random() < 0.5 else None
        relapse = None
        for n in range(1, 21):
            day = assessed + dt.timedelta(days=91 * n)
            if death and day >= death:
                break
            if n == relapse_visit:
                relapse = Relapse(
                    patient=p,
                    relapse_date=day - dt.timedelta(days=10),
                    bone_marrow=True,
                    marrow_blast_pct=30,
                    found_at="followup_visit",
                )
                rows["relapse"].append(relapse)
            rows["visit"].append(
                _visit(
                    p,
                    n,
                    day,
                    disease_status="relapse" if relapse else "remission",
                    relapse=relapse,
                )
            )
        if remission and rng.random() < 0.3:
            rows["tx"].append(
                Transplant(
                    patient=p,
                    transplant_date=assessed + dt.timedelta(days=60),
                    donor_type="matched_unrelated",
                    disease_status="CR",
                )
            )
        if death:
            rows["death"].append(Death(patient=p, death_date=death, cause="leukaemia"))
    for key, model in (
        ("rand", Randomization),
        ("cycle", Cycle),
        ("resp", ResponseAssessment),
        ("relapse", Relapse),
        ("ae", AdverseEvent),
        ("visit", Visit),
        ("tx", Transplant),
        ("death", Death),
    ):
        _with_history(model, rows[key])
    return {k: len(v) for k, v in rows.items()}


def _with_history(model, objs: list) -> list:
    """Bulk insert the records and, as entering them would have, one "+" history row each."""
    from simple_history.utils import bulk_create_with_history

    return bulk_create_with_history(
        objs, model, batch_size=5000, default_user=None, default_date=ENTERED_AT
    )


def _peak_mb() -> float:
    """This process's peak resident memory: VmHWM, as ru_maxrss keeps the parent's across exec."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(out_dir: str) -> int:
    """Run in a fresh process: gather, derive and write every format; print time and memory."""
    from analysis.datasets import survival_frames
    from analysis.formats import FORMATS, datasets_write
    from analysis.gather import trial_facts_gather

    timings = {}
    start = time.perf_counter()
    facts = trial_facts_gather(cutoff=CUTOFF)
    timings["gather"] = time.perf_counter() - start
    frames = survival_frames(facts.patients, CUTOFF)
    timings["derive"] = time.perf_counter() - start - timings["gather"]
    files = datasets_write(
        frames=frames, out_dir=Path(out_dir), formats=list(FORMATS), cutoff=CUTOFF
    )
    total = time.perf_counter() - start
    timings["write"] = total - timings["gather"] - timings["derive"]
    peak_mb = _peak_mb()
    sizes = ", ".join(f"{f.name} {f.size / 1e6:.1f} MB" for f in files)
    print(
        f"patients={len(facts.patients)} ADTTE rows={len(frames['adtte'])} "
        f"gather={timings['gather']:.2f} s derive={timings['derive']:.2f} s "
        f"write={timings['write']:.2f} s total={total:.2f} s peak RSS={peak_mb:.0f} MB"
    )
    print(f"Files: {sizes}")
    ok = total < LIMIT_SECONDS and peak_mb < LIMIT_MB
    print(f"Result: {'PASS' if ok else 'FAIL'} (< {LIMIT_SECONDS:.0f} s, < {LIMIT_MB} MB)")
    _measure_report(Path(out_dir))
    return 0 if ok else 1


def _measure_report(out_dir: Path) -> None:
    """Figures and tables: timed apart, outside the survival datasets' limits."""
    from analysis.report import analysis_report_build, report_write

    start = time.perf_counter()
    report = analysis_report_build(cutoff=CUTOFF)
    built = time.perf_counter() - start
    report_write(report, out_dir / "report")
    drawn = time.perf_counter() - start - built
    print(f"Report: gather+derive={built:.2f} s figures+tables={drawn:.2f} s")


def _measure_odm(out_dir: Path, audit: bool) -> int:
    """Run in a fresh process: write the ODM file; print its time, peak memory and size."""
    from analysis.odm import odm_write

    now = dt.datetime.combine(CUTOFF, dt.time(12), tzinfo=dt.UTC)
    start = time.perf_counter()
    path = odm_write(
        out_path=out_dir / f"odm-{audit}.xml", cutoff=CUTOFF, with_audit=audit, created_at=now
    )
    elapsed = time.perf_counter() - start
    peak_mb = _peak_mb()
    print(
        f"ODM{' with audit trail' if audit else ''}: {elapsed:.2f} s, "
        f"{path.stat().st_size / 1e6:.0f} MB, peak RSS {peak_mb:.0f} MB"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--measure", metavar="OUT_DIR", help=argparse.SUPPRESS)
    parser.add_argument("--odm", metavar="OUT_DIR", help=argparse.SUPPRESS)
    parser.add_argument("--audit", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        return _measure(args.measure)
    if args.odm:
        return _measure_odm(Path(args.odm), args.audit)
    if connection.vendor != "postgresql":
        print("DATABASE_URL must point at PostgreSQL.", file=sys.stderr)
        return 2
    url = os.environ["DATABASE_URL"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        started = time.perf_counter()
        counts = _generate(args.patients)
        print(f"Generated in {time.perf_counter() - started:.1f} s: {counts}")
        child_url = url.rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
        env = {**os.environ, "DATABASE_URL": child_url}
        with tempfile.TemporaryDirectory() as out:
            code = subprocess.run(
                [sys.executable, __file__, "--measure", out], env=env, check=False
            ).returncode
            for audit in ([], ["--audit"]):
                subprocess.run(
                    [sys.executable, __file__, "--odm", out, *audit], env=env, check=True
                )
            return code
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
