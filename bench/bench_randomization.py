"""Randomisation throughput and latency on PostgreSQL, against a bare locked row update.

Run through `bash bench/run`. Clients are processes (one database connection each) released
together; every client randomises its own patients of ONE stratum (the worst case: they all
contend for the same slots). The ceiling is the rate of `SELECT … FOR UPDATE` + `UPDATE` of a
single row in a transaction, measured with the same clients on the same database.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing as mp
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
django.setup()

from django.db import connection, connections, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from randomization import services  # noqa: E402
from randomization.models import AllocationSlot  # noqa: E402
from trial.models import (  # noqa: E402
    Baseline,
    Consent,
    Membership,
    Patient,
    PatientStatus,
    ProtocolVersion,
    Role,
    Site,
    User,
)

RANDOMIZE_OPS = {1: 150, 8: 320, 32: 480}
CEILING_OPS = {1: 1500, 8: 2400, 32: 3200}
RUN = dt.datetime.now(dt.UTC).strftime("%H%M%S")


def _users() -> tuple[User, User, Site]:
    site, _ = Site.objects.get_or_create(code="BENCH", defaults={"name": "Benchmark"})
    coordinator, _ = User.objects.get_or_create(
        username=f"bench_coord_{RUN}", defaults={"email": "coord@bench.example"}
    )
    Membership.objects.get_or_create(user=coordinator, role=Role.SITE_COORDINATOR, site=site)
    stat, _ = User.objects.get_or_create(username=f"bench_stat_{RUN}")
    Membership.objects.get_or_create(user=stat, role=Role.STATISTICIAN, site=None)
    return coordinator, stat, site


def _patients(n: int, site: Site, coordinator: User, tag: str) -> list[int]:
    """Enrolled, eligible patients of stratum IC|first_relapse (bench data, written in bulk)."""
    version, _ = ProtocolVersion.objects.get_or_create(
        number="bench", defaults={"effective_date": dt.date(2000, 1, 1)}
    )
    now = timezone.now()
    patients = Patient.objects.bulk_create(
        Patient(
            site=site,
            screening_number=f"B{tag}-{i}",
            screening_date=dt.date(2026, 10, 1),
            sex="F",
            age_at_screening=60,
            protocol_version=version,
            status=PatientStatus.ENROLLED,
            eligibility_confirmed_by=coordinator,
            eligibility_confirmed_at=now,
            subject_id=f"B{tag}-{i}",
            enrolled_at=now,
            enrolled_by=coordinator,
        )
        for i in range(n)
    )
    Consent.objects.bulk_create(
        Consent(
            patient=p, consent_date=dt.date(2026, 10, 2), form_version="1", obtained_by=coordinator
        )
        for p in patients
    )
    Baseline.objects.bulk_create(
        Baseline(
            patient=p,
            assessment_date=dt.date(2026, 10, 3),
            disease_status="first_relapse",
            diagnosis_date=dt.date(2025, 1, 1),
            induction_start_date=dt.date(2025, 1, 2),
            prior_induction_cycles=1,
            first_cr_date=dt.date(2025, 2, 15),
            relapse_date=dt.date(2026, 9, 1),
            ecog=1,
            wbc=3,
            blood_blast_pct=5,
            cytogenetic_risk="intermediate",
            planned_regimen="IC",
        )
        for p in patients
    )
    return [p.pk for p in patients]


def _worker(
    op: Callable[[int], None],
    items: list[int],
    barrier,
    results,  # type: ignore[no-untyped-def]
) -> None:
    connection.ensure_connection()
    barrier.wait()
    latencies = []
    start = time.perf_counter()
    for item in items:
        t0 = time.perf_counter()
        op(item)
        latencies.append(time.perf_counter() - t0)
    results.put((start, time.perf_counter(), latencies))
    connection.close()


def _measure(op: Callable[[int], None], items: list[int], clients: int) -> dict[str, float]:
    connections.close_all()
    ctx = mp.get_context("fork")
    barrier, results = ctx.Barrier(clients), ctx.Queue()
    chunks = [items[i::clients] for i in range(clients)]
    procs = [ctx.Process(target=_worker, args=(op, c, barrier, results)) for c in chunks]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    wall = max(o[1] for o in outcomes) - min(o[0] for o in outcomes)
    latencies = sorted(x for o in outcomes for x in o[2])
    q = statistics.quantiles(latencies, n=100)
    return {
        "clients": clients,
        "ops": len(latencies),
        "per_s": len(latencies) / wall,
        "p50_ms": q[49] * 1000,
        "p95_ms": q[94] * 1000,
    }


def _randomize(coordinator_pk: int) -> Callable[[int], None]:
    def op(patient_pk: int) -> None:
        by = User.objects.get(pk=coordinator_pk)
        patient = Patient.objects.select_related("site").get(pk=patient_pk)
        services.patient_randomize(patient=patient, by=by, now=timezone.now())

    return op


def _locked_update(row_id: int) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT n FROM bench_counter WHERE id = 1 FOR UPDATE")
        cursor.execute("UPDATE bench_counter SET n = n + 1 WHERE id = 1")


def main() -> None:
    coordinator, stat, site = _users()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_counter (id int PRIMARY KEY, n bigint)")
        cursor.execute("INSERT INTO bench_counter VALUES (1, 0) ON CONFLICT DO NOTHING")
    rows = []
    for clients, ops in RANDOMIZE_OPS.items():
        code = f"B{clients}{RUN}"[:12]
        allocation_list = services.allocation_list_generate(
            code=code, purpose="production", seed=f"bench-{code}", block_sizes=[2, 4, 6],
            factors=["regimen", "disease_status"], slots_per_stratum=ops + 10, by=stat,
            now=timezone.now(),
        )  # fmt: skip
        services.allocation_list_activate(allocation_list=allocation_list, by=stat, reason="bench")
        patients = _patients(ops, site, coordinator, code)
        result = _measure(_randomize(coordinator.pk), patients, clients)
        used = list(
            AllocationSlot.objects.filter(
                stratum__allocation_list=allocation_list,
                stratum__key="IC|first_relapse",
                randomization__isnull=False,
            )
            .order_by("position")
            .values_list("position", flat=True)
        )
        assert used == list(range(1, ops + 1)), "slots are not distinct and consecutive"
        ceiling = _measure(_locked_update, list(range(CEILING_OPS[clients])), clients)
        rows.append(
            {**result, "ceiling_per_s": ceiling["per_s"], "ceiling_p95_ms": ceiling["p95_ms"]}
        )

    print(
        f"{'clients':>7} {'rand/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'ceiling/s':>10} {'ratio':>6}"
    )
    for r in rows:
        ratio = r["per_s"] / r["ceiling_per_s"]
        print(
            f"{r['clients']:7d} {r['per_s']:8.1f} {r['p50_ms']:7.1f} {r['p95_ms']:7.1f} "
            f"{r['ceiling_per_s']:10.1f} {ratio:6.2f}"
        )
    eight = next(r for r in rows if r["clients"] == 8)
    print(
        f"aim at 8 clients: p95 < 50 ms → {eight['p95_ms']:.1f} ms; "
        f"throughput ≥ 1/3 of ceiling → {eight['per_s'] / eight['ceiling_per_s']:.2f}"
    )
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "randomization.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
