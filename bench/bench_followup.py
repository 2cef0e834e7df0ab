"""Benchmark: refresh the follow-up schedules of 10,000 patients on PostgreSQL.

Assumes DATABASE_URL points at a PostgreSQL server; creates (and drops) a test database,
generates patients at various stages (just ended treatment, years into follow-up, dead,
withdrawn, no end of treatment yet) with bulk inserts, then times full refreshes and counts
the queries of every batch (at the configured batch size, and at 250 for the idempotent run)
and the peak memory of each refresh (run in a fresh process: bench/memory.py).
Run: `python bench/bench_followup.py [--patients N]`; at 100,000 patients
`bash bench/run followup --patients 100000`, and at 50,000 to compare queries and memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from memory import fresh_process  # noqa: E402  (bench/ is this script's directory)

TODAY = dt.date(2026, 6, 1)
FIRST_RANDOMIZED = dt.datetime(2022, 1, 10, 9, 0, tzinfo=dt.UTC)
LIMIT_SECONDS = 10.0  # per 10,000 patients, at most 60 s


def _generate(count: int) -> dict[str, int]:
    from randomization.models import Randomization
    from treatment.models import EndOfTreatment
    from trial.models import Death, Patient, ProtocolVersion, Site, User, Withdrawal

    rng = random.Random(20260601)
    user = User.objects.create(username="bench")
    protocol = ProtocolVersion.objects.create(number="1.0", effective_date=dt.date(2021, 1, 1))
    sites = Site.objects.bulk_create(
        [Site(code=f"B{i:02d}", name=f"Bench site {i}") for i in range(10)]
    )
    patients = Patient.objects.bulk_create(
        [
            Patient(
                site=sites[i % len(sites)],
                screening_number=f"S-{i:06d}",
                screening_date=dt.date(2021, 12, 1),
                sex="F",
                age_at_screening=60,
                protocol_version=protocol,
                status="enrolled",
                subject_id=f"B-{i:06d}",
            )
            for i in range(count)
        ],
        batch_size=2000,
    )
    stages = {"just_ended": 0, "years_in": 0, "mid": 0, "dead": 0, "withdrawn": 0, "no_eot": 0}
    randomizations, ends, deaths, withdrawals = [], [], [], []
    for i, patient in enumerate(patients):
        stage = list(stages)[rng.choices(range(6), weights=[25, 25, 20, 15, 5, 10])[0]]
        stages[stage] += 1
        if stage == "years_in":
            randomized = FIRST_RANDOMIZED + dt.timedelta(days=rng.randint(0, 90))
            end = dt.date(2022, 6, 1) + dt.timedelta(days=rng.randint(0, 60))
        elif stage == "just_ended":
            randomized = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
            end = TODAY - dt.timedelta(days=rng.randint(1, 30))
        elif stage == "no_eot":
            randomized = dt.datetime(2025, 10, 1, tzinfo=dt.UTC) - dt.timedelta(
                days=rng.randint(0, 60)
            )
            end = None
        else:
            randomized = dt.datetime(2023, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
                days=rng.randint(0, 400)
            )
            end = randomized.date() + dt.timedelta(days=rng.randint(100, 200))
        if i == 0:
            randomized = FIRST_RANDOMIZED
        randomizations.append(
            Randomization(
                patient=patient,
                arm="DEX" if i % 2 else "CTRL",
                randomization_number=f"R-{i:06d}",
                randomized_at=randomized,
                randomized_by=user,
                stratum_regimen="IC",
                stratum_disease_status="first_relapse",
            )
        )
        if end is not None:
            ends.append(EndOfTreatment(patient=patient, end_date=end, reason="completed"))
            if stage == "dead":
                deaths.append(
                    Death(
                        patient=patient,
                        death_date=end + dt.timedelta(days=rng.randint(30, 700)),
                        cause="leukaemia",
                    )
                )
            if stage == "withdrawn":
                withdrawals.append(
                    Withdrawal(
                        patient=patient,
                        withdrawal_date=end + dt.timedelta(days=rng.randint(30, 700)),
                    )
                )
    Randomization.objects.bulk_create(randomizations, batch_size=2000)
    EndOfTreatment.objects.bulk_create(ends, batch_size=2000)
    Death.objects.bulk_create(deaths, batch_size=2000)
    Withdrawal.objects.bulk_create(withdrawals, batch_size=2000)
    return stages


def _refresh(day: str, size: int) -> tuple[float, list[int], dict[str, int], float]:
    """Run the refresh on the ISO `day` batch by batch as the service does, counting each
    batch's queries; also return this process's CPU seconds, which a machine shared with
    others distorts less."""
    today = dt.date.fromisoformat(day)
    from followup.services.refresh import _chunks, visits_refresh_batch
    from randomization.models import Randomization
    from randomization.services.calendar import study_end_ensure

    counts: list[int] = []
    totals = {"created": 0, "updated": 0, "cancelled": 0}
    start, cpu = time.perf_counter(), time.process_time()
    calendar = study_end_ensure()
    assert calendar is not None
    ids = list(Randomization.objects.order_by("patient_id").values_list("patient_id", flat=True))
    for chunk in _chunks(ids, size):
        # Django keeps the last 9,000 queries: past that a batch would count 0.
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as queries:
            batch = visits_refresh_batch(patient_ids=chunk, today=today, calendar=calendar)
        # COPY streams bypass Django's cursor wrapper: add them (1 for inserts, 1 for updates).
        counts.append(len(queries) + bool(batch.created) + bool(batch.updated))
        totals["created"] += batch.created
        totals["updated"] += batch.updated
        totals["cancelled"] += batch.cancelled
    return time.perf_counter() - start, counts, totals, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=10_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("DATABASE_URL must point at PostgreSQL.", file=sys.stderr)
        return 2
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from followup.models import Visit
        from followup.services.refresh import visits_refresh

        started = time.perf_counter()
        stages = _generate(args.patients)
        print(
            f"Generated {args.patients} patients in {time.perf_counter() - started:.1f} s: {stages}"
        )
        limit = min(60.0, LIMIT_SECONDS * max(1, args.patients // 10_000))
        size = int(settings.TRIAL_FOLLOWUP["REFRESH_BATCH_SIZE"])
        ok = True
        for label, today, batch in (
            ("first refresh (empty schedule)", TODAY, size),
            ("same day again (idempotent)", TODAY, size),
            ("same day, batches of 250", TODAY, 250),
            ("one week later", TODAY + dt.timedelta(days=7), size),
            ("three months later", TODAY + dt.timedelta(days=91), size),
        ):
            result, peak = fresh_process(__file__, "_refresh", today.isoformat(), batch)
            seconds, counts, totals, cpu = result
            constant = len(set(counts)) <= 2 and max(counts) <= 12
            ok = ok and seconds < limit and constant
            print(
                f"{label:34s} {seconds:6.2f} s (CPU {cpu:6.2f} s)  batches={len(counts)} "
                f"queries/batch min={min(counts)} max={max(counts)}  "
                f"peak RSS +{peak:.0f} MB  {totals}"
            )
        started = time.perf_counter()
        visits_refresh(today=TODAY + dt.timedelta(days=8))
        seconds = time.perf_counter() - started
        ok = ok and seconds < limit
        print(f"{'visits_refresh() service, day after':34s} {seconds:6.2f} s")
        print(f"Visits in the database: {Visit.objects.count()}")
        print(
            f"Result: {'PASS' if ok else 'FAIL'} (full refresh < {limit:.0f} s, "
            "constant queries per batch)"
        )
        return 0 if ok else 1
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
