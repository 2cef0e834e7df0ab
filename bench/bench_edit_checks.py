"""Benchmark: every automatic edit check over 10,000 patients on PostgreSQL.

Assumes DATABASE_URL points at a PostgreSQL server; creates (and drops) a test database,
generates patients with screening, treatment and follow-up records (a few percent breaking each
check) with bulk inserts that bypass the checks (as data entered before a check existed), then
times the nightly run: the first (which opens the queries), a second (idempotent: nothing to
do), one after corrections (queries close themselves), and counts the queries of every batch at
two batch sizes, and the peak memory of each run (in a fresh process: bench/memory.py). Run:
`python bench/bench_edit_checks.py [--patients N]`; at 100,000 patients
`bash bench/run edit_checks --patients 100000`, and at 50,000 to compare queries and memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from memory import fresh_process  # noqa: E402  (bench/ is this script's directory)

NOW = dt.datetime(2027, 6, 1, 9, 0, tzinfo=dt.UTC)
LIMIT_SECONDS = 60.0
RATE = 0.03  # the share of records that break a check


def _generate(count: int) -> dict[str, int]:
    from followup.models import Visit, VisitStatus
    from randomization.models import Randomization
    from treatment.models import AdverseEvent, Cycle, DrugAdministration, ResponseAssessment
    from trial.models import (
        Baseline,
        BaselineMutation,
        Consent,
        Death,
        MutationGene,
        Patient,
        ProtocolVersion,
        Site,
        User,
    )

    rng = random.Random(20270601)
    broken = {"age": 0, "consent": 0, "baseline": 0, "dose": 0, "early": 0, "fatal": 0}
    broken |= {"sae": 0, "window": 0, "alive": 0}
    user = User.objects.create(username="bench")
    protocol = ProtocolVersion.objects.create(number="1.0", effective_date=dt.date(2021, 1, 1))
    genes = MutationGene.objects.bulk_create(
        [MutationGene(code=c, name=c) for c in ("NPM1", "FLT3-ITD", "RUNX1", "TP53")]
    )
    sites = Site.objects.bulk_create([Site(code=f"B{i:02d}", name=f"Site {i}") for i in range(10)])
    screened = dt.date(2026, 1, 10)
    patients = Patient.objects.bulk_create(
        [
            Patient(
                site=sites[i % 10],
                screening_number=f"S-{i:06d}",
                screening_date=screened,
                sex="F",
                age_at_screening=12 if rng.random() < RATE / 3 else 60,
                protocol_version=protocol,
                status="enrolled",
                subject_id=f"B-{i:06d}",
            )
            for i in range(count)
        ],
        batch_size=2000,
    )
    broken["age"] = sum(p.age_at_screening < 18 for p in patients)
    consents, baselines, randomizations = [], [], []
    for p in patients:
        early = rng.random() < RATE
        broken["consent"] += early
        consents.append(
            Consent(
                patient=p,
                consent_date=screened - dt.timedelta(days=3 if early else -1),
                form_version="v1",
                obtained_by=user,
            )
        )
        blasts = None if rng.random() < RATE else Decimal("30")
        broken["baseline"] += blasts is None
        baselines.append(
            Baseline(
                patient=p,
                assessment_date=screened + dt.timedelta(days=2),
                disease_status="refractory",
                diagnosis_date=dt.date(2025, 6, 1),
                induction_start_date=dt.date(2025, 6, 5),
                prior_induction_cycles=1,
                ecog=1,
                wbc=Decimal("4"),
                blood_blast_pct=Decimal("3"),
                marrow_blast_pct=blasts,
                cytogenetic_risk="intermediate",
                planned_regimen="IC",
            )
        )
        randomizations.append(
            Randomization(
                patient=p,
                arm="DEX" if p.pk % 2 else "CTRL",
                randomization_number=f"R-{p.pk:06d}",
                randomized_at=dt.datetime(2026, 1, 20, 9, tzinfo=dt.UTC),
                randomized_by=user,
                stratum_regimen="IC",
                stratum_disease_status="refractory",
            )
        )
    Consent.objects.bulk_create(consents, batch_size=2000)
    baselines = Baseline.objects.bulk_create(baselines, batch_size=2000)
    Randomization.objects.bulk_create(randomizations, batch_size=2000)
    mutations = []
    for b in baselines:
        missing = rng.random() < RATE
        broken["baseline"] += missing and b.marrow_blast_pct is not None
        for gene in genes[: 3 if missing else 4]:
            mutations.append(BaselineMutation(baseline=b, gene=gene, result="not_mutated"))
    BaselineMutation.objects.bulk_create(mutations, batch_size=5000)
    start = dt.date(2026, 1, 22)
    cycles = Cycle.objects.bulk_create(
        [
            Cycle(
                patient=p,
                number=1,
                kind="induction",
                regimen="IC",
                start_date=start,
                height_cm=Decimal("170"),
                weight_kg=Decimal("70"),
                bsa_m2=Decimal("1.82"),
            )
            for p in patients
        ],
        batch_size=2000,
    )
    drugs, responses, events, deaths, visits = [], [], [], [], []
    for cycle in cycles:
        tenfold = rng.random() < RATE
        broken["dose"] += tenfold
        drugs += [
            DrugAdministration(
                cycle=cycle,
                drug="cytarabine",
                planned_dose=Decimal("6000"),
                given_dose=Decimal("60000" if tenfold else "6000"),
                unit="mg/m2",
            ),
            DrugAdministration(
                cycle=cycle,
                drug="amsacrine",
                planned_dose=Decimal("360"),
                given_dose=Decimal("360"),
                unit="mg/m2",
            ),
        ]
        early = rng.random() < RATE
        broken["early"] += early
        responses.append(
            ResponseAssessment(
                patient_id=cycle.patient_id,
                cycle=cycle,
                assessment_date=start if early else start + dt.timedelta(days=35),
                response="CR",
                marrow_blast_pct=Decimal("2"),
            )
        )
        died = rng.random() < 0.15
        death_date = dt.date(2026, 12, 1) + dt.timedelta(days=rng.randint(0, 60))
        if died:
            deaths.append(
                Death(patient_id=cycle.patient_id, death_date=death_date, cause="leukaemia")
            )
        aware = dt.datetime(2026, 2, 1, 9, tzinfo=dt.UTC)
        if rng.random() < 0.3:
            fatal = not died and rng.random() < 0.05
            late = rng.random() < 0.1
            broken["fatal"] += fatal
            broken["sae"] += late
            events.append(
                AdverseEvent(
                    patient_id=cycle.patient_id,
                    term_text="Sepsis",
                    grade=5 if fatal else 3,
                    start_date=dt.date(2026, 2, 1),
                    relation_dexamethasone="not_related",
                    relation_salvage="possible",
                    serious=True,
                    awareness_at=aware,
                    report_due_at=aware + dt.timedelta(hours=24),
                    sponsor_notified_at=aware,
                    reported_at=aware + dt.timedelta(hours=50 if late else 5),
                )
            )
        anchor = dt.date(2026, 3, 1)
        for number in (1, 2, 3):
            target = anchor + dt.timedelta(days=91 * number)
            contact = target + dt.timedelta(days=rng.choice([-2, 0, 3]))
            if rng.random() < RATE / 3:
                contact = target + dt.timedelta(days=40)
                broken["window"] += 1
            if died and contact > death_date:
                continue
            alive_after = died and number == 3 and rng.random() < 0.1
            broken["alive"] += alive_after
            visits.append(
                Visit(
                    patient_id=cycle.patient_id,
                    number=number,
                    month=3 * number,
                    anchor_date=anchor,
                    target_date=target,
                    window_opens=target - dt.timedelta(days=14),
                    window_closes=target + dt.timedelta(days=15),
                    overdue_from=target + dt.timedelta(days=15),
                    missed_from=target + dt.timedelta(days=45),
                    status=VisitStatus.DONE,
                    contact_date=death_date + dt.timedelta(days=5) if alive_after else contact,
                    vital_status="alive",
                    disease_status="remission",
                )
            )
    DrugAdministration.objects.bulk_create(drugs, batch_size=5000)
    ResponseAssessment.objects.bulk_create(responses, batch_size=5000)
    AdverseEvent.objects.bulk_create(events, batch_size=5000)
    Death.objects.bulk_create(deaths, batch_size=5000)
    Visit.objects.bulk_create(visits, batch_size=5000)
    return broken


def _run(at: str, batch_size: int) -> tuple[float, list[int], dict[str, int], float]:
    """Run every check at the ISO time `at` batch by batch as the service does, counting each
    batch's queries; also return this process's CPU seconds, which a machine shared with
    others distorts less."""
    now = dt.datetime.fromisoformat(at)
    from cleaning.services.edit_checks import _chunks, edit_checks_run_batch
    from trial.models import Patient

    counts: list[int] = []
    totals = {"opened": 0, "reworded": 0, "closed": 0}
    started, cpu = time.perf_counter(), time.process_time()
    ids = list(Patient.objects.order_by("pk").values_list("pk", flat=True))
    for chunk in _chunks(ids, batch_size):
        # Django keeps the last 9,000 queries: past that a batch would count 0.
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            plan = edit_checks_run_batch(patient_ids=chunk, now=now)
        counts.append(len(queries))
        totals["opened"] += len(plan.create)
        totals["reworded"] += len(plan.reword)
        totals["closed"] += len(plan.close)
    return time.perf_counter() - started, counts, totals, time.process_time() - cpu


def _correct_some_visits() -> int:
    """Bring the visits outside their window back in (as corrections through the pages would)."""
    from django.db.models import F

    from followup.models import Visit

    late = Visit.objects.filter(status="done", contact_date__gte=F("window_closes"))
    return late.update(contact_date=F("target_date"))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=10_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("DATABASE_URL must point at PostgreSQL.", file=sys.stderr)
        return 2
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from cleaning.models import DataQuery
        from cleaning.rules import CleaningRules

        started = time.perf_counter()
        broken = _generate(args.patients)
        print(f"Generated {args.patients} patients in {time.perf_counter() - started:.1f} s")
        print(f"Records breaking a check: {broken}")
        size = CleaningRules.from_settings().batch_size
        ok = True
        for label, now, batch in (
            ("first run (opens the queries)", NOW, size),
            ("same night again (idempotent)", NOW + dt.timedelta(hours=1), size),
            ("again, batches of 250", NOW + dt.timedelta(hours=2), 250),
        ):
            result, peak = fresh_process(__file__, "_run", now.isoformat(), batch)
            seconds, counts, totals, cpu = result
            print(
                f"{label:32s} {seconds:6.2f} s (CPU {cpu:6.2f} s)  batches={len(counts)} "
                f"queries/batch min={min(counts)} max={max(counts)}  "
                f"peak RSS +{peak:.0f} MB  {totals}"
            )
            ok = ok and seconds < LIMIT_SECONDS and max(counts) <= 30
            if "idempotent" in label or "250" in label:
                ok = ok and totals == {"opened": 0, "reworded": 0, "closed": 0}
        corrected = _correct_some_visits()
        result, peak = fresh_process(
            __file__, "_run", (NOW + dt.timedelta(days=1)).isoformat(), size
        )
        seconds, counts, totals, cpu = result
        print(
            f"{f'after {corrected} visits corrected':32s} {seconds:6.2f} s (CPU {cpu:6.2f} s)  "
            f"batches={len(counts)} "
            f"queries/batch min={min(counts)} max={max(counts)}  "
            f"peak RSS +{peak:.0f} MB  {totals}"
        )
        ok = ok and totals["closed"] >= corrected and max(counts) <= 30
        print(f"System queries in the database: {DataQuery.objects.count()}")
        print(
            f"Result: {'PASS' if ok else 'FAIL'} (each run < {LIMIT_SECONDS:.0f} s, at most 30 "
            "queries per batch whatever its size, a second run changes nothing)"
        )
        return 0 if ok else 1
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
