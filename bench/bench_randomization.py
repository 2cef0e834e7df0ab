"""Randomisation throughput and latency on PostgreSQL, against a bare locked row update.

Command: `bash bench/run randomization` (or `bash bench/run` for every benchmark). It starts a
throwaway PostgreSQL (fsync off, as the test suite) and Redis, migrates, and prints one line per
client count (1, 8, 32):

- rand/s: randomisations per second (wall clock from the release of the clients to the last
  client's end); p50/p95 ms: latency of one randomisation as a client sees it (fetch the user
  and the patient as a request does, `patient_randomize`, the commit, queueing the e-mail).
- CPU per randomisation, in ms: client (the client processes: Django, the ORM, history, the
  Celery publish), db (their PostgreSQL backends; clock-tick resolution, 10 ms, averaged over
  hundreds of operations), redis (the broker), cpu ms (their sum). cpu-bound/s: the rate at which
  that sum saturates every CPU of the machine: no locking scheme goes faster on this machine,
  and it is the figure to compare when other work shares the machine. busy: share of the
  machine's CPUs busy during the run, whoever used them (1.00 = saturated: rand/s then measures
  the machine and its other load, not the lock).
- ceiling/s: `SELECT … FOR UPDATE` + `UPDATE` of one row per transaction, same client count,
  same database, measured right after; c cpu ms and c bound/s: its CPU per transaction and the
  rate that saturates the CPUs. ratio = rand/s ÷ ceiling/s; bound ratio = cpu-bound/s ÷
  c bound/s, the ratio both would reach on a machine of their own once CPU-bound.
- The result e-mail is written to the outbox with the allocation (its row is in the timed
  section) and its delivery task is published on commit (trial/outbox). The bench sets
  CELERY_TASK_ALWAYS_EAGER=0, so the task is published to the Redis of bench/run (as in
  production) and no e-mail is sent in the timed section; afterwards the bench checks that
  exactly one task per randomisation was queued and one message written, and delivers the
  e-mails itself, as a worker would, to print their CPU (not counted above).
- The last lines give the latency one user sees, p95 under contention and the CPU per
  randomisation, and the load average before and after: other work on the machine lowers every
  figure but the CPU ms.

Fairness: clients are separate processes (one database connection each, no shared GIL). Each
connects, then warms up with 2 real operations (backend catalogue caches, query caches, broker
connection) before a barrier that the parent joins: the clock and the CPU counters start when
it opens. The patients are created, and the tables analysed, before. Every client randomises
its own patients of ONE stratum (the worst case: all contend for the same slots); afterwards
the bench checks that the stratum's used slots are 1..n and the randomisation numbers 1..n,
warm-up included, none skipped or given twice.
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
# The result e-mail is a Celery task queued on commit; here it is queued on the Redis that
# bench/run starts, as in production, and not run eagerly inside the timed request.
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
django.setup()

import redis  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from randomization import services  # noqa: E402
from randomization.models import (  # noqa: E402
    AllocationList,
    AllocationSlot,
    Randomization,
)
from trial.models import (  # noqa: E402
    Baseline,
    Consent,
    Membership,
    MessageStatus,
    OutboundMessage,
    Patient,
    PatientStatus,
    ProtocolVersion,
    Role,
    Site,
    User,
)
from trial.outbox.delivery import message_deliver  # noqa: E402

RANDOMIZE_OPS = {1: 150, 8: 320, 32: 480}
CEILING_OPS = {1: 1500, 8: 2400, 32: 3200}
WARM_UP = 2  # untimed operations per client before the barrier
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
    results,
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    # Warm-up: the backend's catalogue caches, the client's query caches and its broker
    # connection are filled by real operations before the clock starts.
    for item in items[:WARM_UP]:
        op(item)
    items = items[WARM_UP:]
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
    """Run `op` over `items` from `clients` processes; the clock and the CPU counters start when
    every client has connected and warmed up (the parent joins the barrier that releases them)."""
    connections.close_all()
    ctx = mp.get_context("fork")
    barrier, results = ctx.Barrier(clients + 1), ctx.Queue()
    chunks = [items[i::clients] for i in range(clients)]
    procs = [ctx.Process(target=_worker, args=(op, c, barrier, results)) for c in chunks]
    for p in procs:
        p.start()
    barrier.wait()
    (busy0, total0), broker0 = _cpu_ticks(), _process_cpu(_broker_pid())
    outcomes = [results.get(timeout=600) for _ in procs]
    (busy1, total1), broker1 = _cpu_ticks(), _process_cpu(_broker_pid())
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
        "broker_cpu_ms_per_op": (broker1 - broker0) / len(latencies) * 1000,
        "busy": (busy1 - busy0) / max(total1 - total0, 1),
    }


def _broker() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def _broker_pid() -> int:
    return int(_broker().info("server")["process_id"])


def _mail_tasks(allocation_list: AllocationList, ops: int) -> float:
    """Check that every randomisation wrote its result e-mail to the outbox and handed it to
    the broker (and nothing was sent in the request), empty the queue, then deliver the e-mails
    here as a worker would: their CPU ms each, spent off the request."""
    queued = _broker().llen("celery")
    assert queued == ops, f"{queued} e-mail tasks queued for {ops} randomisations"
    _broker().delete("celery")
    keys = [
        f"randomization.result:{pk}"
        for pk in Randomization.objects.filter(allocation_list=allocation_list).values_list(
            "pk", flat=True
        )
    ]
    messages = OutboundMessage.objects.filter(dedup_key__in=keys)
    assert set(messages.values_list("status", flat=True)) == {MessageStatus.PENDING}
    pks = list(messages.values_list("pk", flat=True))
    assert len(pks) == len(keys)
    cpu0 = time.process_time()
    for pk in pks:
        assert message_deliver(message_pk=pk, now=timezone.now())
    return (time.process_time() - cpu0) / len(pks) * 1000


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
    """One randomisation in the parent, so that no client pays for first-use caches inherited
    through fork (imports, templates, model metadata); its queued e-mail is dropped."""
    _list_activate(f"W{RUN}", 2, stat)
    _randomize(coordinator.pk)(_patients(1, site, coordinator, f"W{RUN}")[0])
    _broker().delete("celery")


def _cpu_total(row: dict[str, float]) -> float:
    return row["cpu_ms_per_op"] + row["db_cpu_ms_per_op"] + row["broker_cpu_ms_per_op"]


def _cpu_bound(cpu_ms_per_op: float) -> float:
    """The rate at which every CPU of the machine, doing nothing else, would be saturated."""
    return (os.cpu_count() or 1) * 1000 / cpu_ms_per_op


def _print(rows: list[dict[str, float]], load: tuple[float, ...], after: tuple[float, ...]) -> None:
    print(
        f"{'clients':>7} {'rand/s':>7} {'p50 ms':>6} {'p95 ms':>6} {'client':>6} {'db':>5} "
        f"{'redis':>5} {'cpu ms':>6} {'cpu-bound/s':>11} {'busy':>4} {'ceiling/s':>9} "
        f"{'c cpu ms':>8} {'c bound/s':>9} {'ratio':>5} {'bound ratio':>11}"
    )
    for r in rows:
        bound, c_bound = _cpu_bound(_cpu_total(r)), _cpu_bound(r["ceiling_cpu_ms_per_op"])
        print(
            f"{r['clients']:7d} {r['per_s']:7.1f} {r['p50_ms']:6.1f} {r['p95_ms']:6.1f} "
            f"{r['cpu_ms_per_op']:6.2f} {r['db_cpu_ms_per_op']:5.2f} "
            f"{r['broker_cpu_ms_per_op']:5.2f} {_cpu_total(r):6.2f} {bound:11.1f} "
            f"{r['busy']:4.2f} {r['ceiling_per_s']:9.1f} {r['ceiling_cpu_ms_per_op']:8.2f} "
            f"{c_bound:9.1f} {r['per_s'] / r['ceiling_per_s']:5.2f} {bound / c_bound:11.2f}"
        )
    mail = statistics.mean(r["mail_cpu_ms_per_op"] for r in rows)
    print(f"result e-mail delivery (from the outbox, after the timed section as a worker "
          f"would): {mail:.2f} CPU ms each, not in the figures above")  # fmt: skip
    eight = next(r for r in rows if r["clients"] == 8)
    one = next(r for r in rows if r["clients"] == 1)
    print(
        f"latency a user sees (1 client): p95 {one['p95_ms']:.1f} ms; under contention "
        f"(8 clients): p95 {eight['p95_ms']:.1f} ms; CPU per randomisation "
        f"{_cpu_total(eight):.2f} ms (the ceiling columns are for information: a trial "
        f"randomises a few patients a day, so throughput is not an aim)"
    )
    print(f"load average before the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, after: "
          f"{after[0]:.2f} {after[1]:.2f} {after[2]:.2f} on {os.cpu_count()} CPUs")  # fmt: skip


def main() -> None:
    load = os.getloadavg()
    assert settings.CELERY_BROKER_URL.startswith("redis://"), "bench/run provides REDIS_URL"
    coordinator, stat, site = _users()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_counter (id int PRIMARY KEY, n bigint)")
        cursor.execute("INSERT INTO bench_counter VALUES (1, 0) ON CONFLICT DO NOTHING")
    _warm_up(coordinator, stat, site)
    rows = []
    for clients, ops in RANDOMIZE_OPS.items():
        total = ops + WARM_UP * clients
        allocation_list = _list_activate(f"B{clients}{RUN}"[:12], total + 10, stat)
        patients = _patients(total, site, coordinator, allocation_list.code)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        result = _measure(_randomize(coordinator.pk), patients, clients)
        _verify(allocation_list, total)
        mail = _mail_tasks(allocation_list, total)
        ceiling_items = list(range(CEILING_OPS[clients] + WARM_UP * clients))
        ceiling = _measure(_locked_update, ceiling_items, clients)
        rows.append(
            {
                **result,
                "mail_cpu_ms_per_op": mail,
                "ceiling_per_s": ceiling["per_s"],
                "ceiling_p95_ms": ceiling["p95_ms"],
                "ceiling_cpu_ms_per_op": ceiling["cpu_ms_per_op"] + ceiling["db_cpu_ms_per_op"],
            }
        )
    after = os.getloadavg()
    _print(rows, load, after)
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "randomization.json").write_text(
        json.dumps({"load": load, "load_after": after, "rows": rows}, indent=2)
    )


if __name__ == "__main__":
    main()
