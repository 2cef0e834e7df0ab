"""Benchmark: the pages people load most, under 50 signed-in users, on 100,000 patients.

Command: `bash bench/run load [--users 50] [--minutes 2.5] [--patients 100000] [--workers 4]`.
On the database of bench/datagen.py (generated when absent, migrated when present) it starts
gunicorn on a loopback port with the settings of the benchmarks, then locust (headless, no web
interface) with bench/locustfile.py: coordinators of different sites and data managers, each
signed in through the login form, loading the patient list, a patient page of their site, the
follow-up worklist, the home page (the dashboard for data managers), the queries list and the
analysis home page, 2 to 5 s apart. Users arrive one a second, as people sign in over a morning,
and the pages are timed from when the last has arrived (locust `--reset-stats`) for `--minutes`:
the figures are those of 50 signed-in users, not of 50 sign-ins in the same few seconds.
With `--reports`, the report pages of a cut-off too: each is loaded once before the run, as its
report is derived once per version of the data (analysis/cache.py), and that first load is
printed apart (`bash bench/run report` times the derivation step by step). Prints per page:
requests, errors, p50 and p95 in ms; the load average before and after. Limits: no error, p95
under 150 ms on every page.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.db import connection, connections  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LIMIT_MS = 150
ANALYSIS_PAGES = ("km", "effects", "relapse", "table1", "consort", "endpoints")
COORDINATORS_PER_DATA_MANAGER = 9
PATIENTS_PER_USER = 50
SPAWN_PER_S = 1


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _use_database(url: str) -> None:
    """Point Django's connection at the generated database and bring it to the migrations."""
    from django.core.management import call_command

    default = connections["default"]
    default.close()
    default.settings_dict["NAME"] = url.rsplit("/", 1)[1]
    call_command("migrate", verbosity=0, interactive=False)


def _plan(users: int, *, reports: bool) -> dict[str, Any]:
    """Who signs in (created when missing), the patients each may open, the analysis pages."""
    from datagen import PASSWORD
    from django.contrib.auth.hashers import make_password
    from django.urls import reverse
    from django.utils import timezone

    from analysis.models import DataCutoff
    from analysis.services import cutoff_freeze
    from trial.models import Membership, Patient, Site, User

    data_managers = max(1, users // (COORDINATORS_PER_DATA_MANAGER + 1))
    sites = list(Site.objects.order_by("code")[: users - data_managers])
    accounts: list[dict[str, Any]] = []
    password = make_password(PASSWORD)
    for site in sites:
        user, made = User.objects.get_or_create(
            username=f"coord-{site.code.lower()}", defaults={"password": password}
        )
        if made:
            Membership.objects.create(user=user, role="coordinator", site=site, active=True)
        patients = Patient.objects.filter(site=site).order_by("pk")
        accounts.append(
            {
                "username": user.username,
                "trial_wide": False,
                "patients": list(patients.values_list("pk", flat=True)[:PATIENTS_PER_USER]),
            }
        )
    everyone = list(Patient.objects.order_by("?").values_list("pk", flat=True)[:500])
    managers = []
    for n in range(1, data_managers + 1):
        user, made = User.objects.get_or_create(username=f"dm-{n}", defaults={"password": password})
        if made:
            Membership.objects.create(user=user, role="data_manager", site=None, active=True)
        managers.append(user)
        accounts.append({"username": user.username, "trial_wide": True, "patients": everyone})
    cutoff = DataCutoff.objects.order_by("-cutoff_date").first()
    if cutoff is None:
        cutoff = cutoff_freeze(
            by=managers[0],
            cutoff_date=dt.date(2026, 6, 30),
            reason="Load benchmark",
            now=timezone.now(),
        )
    pages = [{"name": "analysis home", "url": reverse("analysis:home")}]
    pages += [
        {"name": f"analysis {name}", "url": reverse(f"analysis:{name}", args=[cutoff.pk])}
        for name in (ANALYSIS_PAGES if reports else ())
    ]
    # Interleave coordinators and data managers, so that any number of users mixes both roles.
    step = COORDINATORS_PER_DATA_MANAGER + 1
    mixed = [a for a in accounts if not a["trial_wide"]]
    for i, manager in enumerate(a for a in accounts if a["trial_wide"]):
        mixed.insert(i * step, manager)
    return {"password": PASSWORD, "users": mixed, "analysis_pages": pages}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.3)


def _warm(base: str, plan: dict[str, Any]) -> None:
    """Load each analysis page once as a data manager: the first load derives the report."""
    import re

    import requests

    manager = next(u for u in plan["users"] if u["trial_wide"])
    session = requests.Session()
    form = session.get(f"{base}/accounts/login/", timeout=60).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token, "no CSRF token on the login form"
    session.post(
        f"{base}/accounts/login/",
        data={"username": manager["username"], "password": plan["password"]}
        | {"csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=60,
    )
    for page in plan["analysis_pages"]:
        started = time.perf_counter()
        status = session.get(base + page["url"], timeout=600, allow_redirects=False).status_code
        print(
            f"  first load of {page['name']:20s} {time.perf_counter() - started:7.2f} s  {status}"
        )
        assert status == 200, page


def _report(prefix: str) -> bool:
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv")))  # noqa: SIM115
    ok = True
    print(f"{'page':22s} {'requests':>8s} {'errors':>6s} {'p50 ms':>7s} {'p95 ms':>7s}")
    for row in rows:
        name = row["Name"]
        count, errors = int(row["Request Count"]), int(row["Failure Count"])
        p50, p95 = row["50%"], row["95%"]
        timed = name not in ("Aggregated", "login form", "sign in")
        ok = ok and errors == 0 and (not timed or count == 0 or float(p95) < LIMIT_MS)
        print(f"{name:22s} {count:8d} {errors:6d} {p50:>7s} {p95:>7s}")
    failures = list(csv.DictReader(open(f"{prefix}_failures.csv")))  # noqa: SIM115
    for failure in failures[:10]:
        print(f"  error: {failure['Name']}: {failure['Error']} x{failure['Occurrences']}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=2.5)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--reports",
        action="store_true",
        help="add the report pages of a cut-off (the first load derives the report: minutes)",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("DATABASE_URL must point at PostgreSQL.", file=sys.stderr)
        return 2
    from datagen import database_ensure  # bench/ is this script's directory

    url = database_ensure(patients=args.patients)
    _use_database(url)
    plan = _plan(args.users, reports=args.reports)
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    (work / "plan.json").write_text(json.dumps(plan))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "BENCH_LOAD_PLAN": str(work / "plan.json"),
        # As in production (docker-compose.yml): a worker keeps its connection between requests.
        "DATABASE_CONN_MAX_AGE": os.environ.get("DATABASE_CONN_MAX_AGE", "60"),
    }
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "bench.preloaded", "--preload",
            "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
            "--timeout", "600", "--log-level", "warning",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    try:
        _wait(f"{base}/healthz")
        print(f"gunicorn with {args.workers} workers on {base}; {len(plan['users'])} users")
        _warm(base, plan)
        print(f"load average before: {_load()}")
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "locustfile.py"),
                "--headless", "--host", base, "--users", str(args.users),
                "--spawn-rate", str(SPAWN_PER_S), "--reset-stats",
                "--run-time", f"{int(args.minutes * 60 + args.users / SPAWN_PER_S) + 10}s",
                "--csv", str(work / "load"), "--only-summary", "--loglevel", "WARNING",
                "--exit-code-on-error", "0", "--stop-timeout", "10",
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )  # fmt: skip
        print(f"ran {time.perf_counter() - started:.0f} s; load average after: {_load()}")
        ok = _report(str(work / "load"))
        print(f"Result: {'PASS' if ok else 'FAIL'} (no error, p95 < {LIMIT_MS} ms on every page)")
        return 0 if ok else 1
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    sys.exit(main())
