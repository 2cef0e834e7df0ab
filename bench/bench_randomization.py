"""Randomisation throughput and latency on PostgreSQL, against a bare locked row update.

Command: `bash bench/run randomization` (or `bash bench/run` for every benchmark). It starts a
throwaway PostgreSQL (fsync off, as the test suite), migrates, and prints one line per client
count (1, 8, 32):

    clients rand/s p50 ms p95 ms cpu ms/op db ms/op cpu-bound/s busy ceiling/s c cpu ms/op ratio

- rand/s: randomisations per second over the whole run (wall clock from the first client's
  start to the last client's end); p50/p95: latency of one randomisation as a client sees it
  (fetch the user and the patient, `patient_randomize`, the e-mail sent after commit).
- cpu ms/op: CPU time of the client processes per randomisation (Django, the ORM, history, the
  e-mail); db ms/op: CPU time of their PostgreSQL backends per randomisation (clock-tick
  resolution). cpu-bound/s: the rate at which these two would saturate every CPU of the
  machine: no locking scheme can go faster on this machine. busy: share of the machine's CPUs
  busy during the run, whoever used them (1.00 = saturated: the figures then measure the
  machine and its other load, not the lock).
- ceiling/s: `SELECT … FOR UPDATE` + `UPDATE` of one row per transaction, same clients, same
  database, measured right after; c cpu ms/op: its client + server CPU per transaction;
  ratio = rand/s ÷ ceiling/s.
- The last lines compare 8 clients with the aim (p95 < 50 ms, ratio ≥ 0.33) and give the load
  average before the run: other work on the machine lowers every figure.

Fairness: clients are separate processes (one database connection each, no shared GIL)
released together by a barrier; the patients are created, and the tables analysed, before the
timed section; every client randomises its own patients of ONE stratum (the worst case: all
contend for the same slots); afterwards the bench checks that the stratum's used slots are
1..n and the randomisation numbers 1..n, none skipped or given twice.
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
from randomization.models import AllocationList, AllocationSlot, Randomization  # noqa: E402
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
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    barrier.wait()
    latencies = []
    db0, cpu0, start = _process_cpu(backend), time.process_time(), time.perf_counter()
    for item in items:
        t0 = time.perf_counter()
        op(item)
        latencies.append(time.perf_counter() - t0)
    end, cpu, db = time.perf_counter(), time.process_time() - cpu0, _process_cpu(backend) - db0
    results.put((start, end, latencies, cpu, db))
    connection.close()


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process of this machine, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _measure(op: Callable[[int], None], items: list[int], clients: int) -> dict[str, float]:
    connections.close_all()
    ctx = mp.get_context("fork")
    barrier, results = ctx.Barrier(clients), ctx.Queue()
    chunks = [items[i::clients] for i in range(clients)]
    procs = [ctx.Process(target=_worker, args=(op, c, barrier, results)) for c in chunks]
    for p in procs:
        p.start()
    busy0, total0 = _cpu_ticks()
    outcomes = [results.get(timeout=600) for _ in procs]
    busy1, total1 = _cpu_ticks()
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
        "cpu_ms_per_op": sum(o[3] for o in outcomes) / len(latencies) * 1000,
        "db_cpu_ms_per_op": sum(o[4] for o in outcomes) / len(latencies) * 1000,
        "busy": (busy1 - busy0) / max(total1 - total0, 1),
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


def _list_activate(code: str, slots: int, stat: User) -> AllocationList:
    allocation_list = services.allocation_list_generate(
        code=code, purpose="production", seed=f"bench-{code}", block_sizes=[2, 4, 6],
        factors=["regimen", "disease_status"], slots_per_stratum=slots, by=stat,
        now=timezone.now(),
    )  # fmt: skip
    return services.allocation_list_activate(
        allocation_list=allocation_list, by=stat, reason="bench"
    )


def _verify(allocation_list: AllocationList, ops: int) -> None:
    """Slots of the stratum used 1..n and numbers 1..n: none skipped, none given twice."""
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
    sequences = sorted(
        s or 0
        for s in Randomization.objects.filter(allocation_list=allocation_list).values_list(
            "sequence", flat=True
        )
    )
    assert sequences == list(range(1, ops + 1)), "numbers are not distinct and consecutive"


def _warm_up(coordinator: User, stat: User, site: Site) -> None:
    """One randomisation in the parent, so that no client pays for first-use caches."""
    _list_activate(f"W{RUN}", 2, stat)
    _randomize(coordinator.pk)(_patients(1, site, coordinator, f"W{RUN}")[0])


def _cpu_bound(row: dict[str, float]) -> float:
    """The rate at which every CPU of the machine, doing nothing else, would be saturated."""
    return (os.cpu_count() or 1) * 1000 / (row["cpu_ms_per_op"] + row["db_cpu_ms_per_op"])


def _print(rows: list[dict[str, float]], load: tuple[float, float, float]) -> None:
    print(
        f"{'clients':>7} {'rand/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'cpu ms/op':>9} "
        f"{'db ms/op':>8} {'cpu-bound/s':>11} {'busy':>5} {'ceiling/s':>10} "
        f"{'c cpu ms/op':>11} {'ratio':>6}"
    )
    for r in rows:
        print(
            f"{r['clients']:7d} {r['per_s']:8.1f} {r['p50_ms']:7.1f} {r['p95_ms']:7.1f} "
            f"{r['cpu_ms_per_op']:9.1f} {r['db_cpu_ms_per_op']:8.1f} {_cpu_bound(r):11.1f} "
            f"{r['busy']:5.2f} {r['ceiling_per_s']:10.1f} {r['ceiling_cpu_ms_per_op']:11.2f} "
            f"{r['per_s'] / r['ceiling_per_s']:6.2f}"
        )
    eight = next(r for r in rows if r["clients"] == 8)
    print(
        f"aim at 8 clients: p95 < 50 ms → {eight['p95_ms']:.1f} ms; "
        f"throughput ≥ 1/3 of ceiling → {eight['per_s'] / eight['ceiling_per_s']:.2f}"
    )
    print(f"load average before the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"on {os.cpu_count()} CPUs")  # fmt: skip


def main() -> None:
    load = os.getloadavg()
    coordinator, stat, site = _users()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_counter (id int PRIMARY KEY, n bigint)")
        cursor.execute("INSERT INTO bench_counter VALUES (1, 0) ON CONFLICT DO NOTHING")
    _warm_up(coordinator, stat, site)
    rows = []
    for clients, ops in RANDOMIZE_OPS.items():
        allocation_list = _list_activate(f"B{clients}{RUN}"[:12], ops + 10, stat)
        patients = _patients(ops, site, coordinator, allocation_list.code)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        result = _measure(_randomize(coordinator.pk), patients, clients)
        _verify(allocation_list, ops)
        ceiling = _measure(_locked_update, list(range(CEILING_OPS[clients])), clients)
        rows.append(
            {
                **result,
                "ceiling_per_s": ceiling["per_s"],
                "ceiling_p95_ms": ceiling["p95_ms"],
                "ceiling_cpu_ms_per_op": ceiling["cpu_ms_per_op"] + ceiling["db_cpu_ms_per_op"],
            }
        )
    _print(rows, load)
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "randomization.json").write_text(json.dumps({"load": load, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
