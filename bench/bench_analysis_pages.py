"""Benchmark: loading the analysis pages of a cut-off as a browser does (the page, then its figures).

Assumes DATABASE_URL points at PostgreSQL; creates (and drops) a test database with the
randomised patients of bench_survival.py, a data manager and a cut-off, then loads each analysis
page that exists with its images through Django's test client: the first load (which may derive
the report), then `--loads` more, whose median is the time a reader waits once the report is
derived. Limit: every page after the first load under 0.5 s.
Run: `python bench/bench_analysis_pages.py [--patients N] [--loads N]`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

PAGES = ("analysis:km", "analysis:effects", "analysis:relapse", "analysis:table1")
LIMIT_SECONDS = 0.5
IMAGE = re.compile(r'<img src="([^"]+)"')


def _load(client: Client, url: str) -> float:
    """Seconds to get the page and every image it shows; fails on anything but 200."""
    start = time.perf_counter()
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    for src in IMAGE.findall(page.content.decode()):
        assert client.get(src).status_code == 200, src
    return time.perf_counter() - start


def _measure(client: Client, cutoff_id: int, loads: int) -> bool:
    ok = True
    for name in PAGES:
        try:
            url = reverse(name, kwargs={"cutoff_id": cutoff_id})
        except NoReverseMatch:
            continue  # a page this version of the code does not have
        first = _load(client, url)
        later = [_load(client, url) for _ in range(loads)]
        median = statistics.median(later)
        ok = ok and median < LIMIT_SECONDS
        print(
            f"{url}: first load {first:.2f} s, then median {median:.3f} s "
            f"(min {min(later):.3f}, max {max(later):.3f}, {loads} loads)"
        )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--loads", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("DATABASE_URL must point at PostgreSQL.", file=sys.stderr)
        return 2
    from bench_survival import CUTOFF, _generate  # beside this file

    from analysis.models import DataCutoff
    from tests.factories import user_with_role
    from trial.models import Role

    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        counts = _generate(args.patients)
        print(f"Generated: {counts}")
        manager = user_with_role(Role.DATA_MANAGER, None, "bench-dm")
        cutoff = DataCutoff.objects.create(
            cutoff_date=CUTOFF,
            reason="Benchmark",
            frozen_by=manager,
            frozen_at=dt.datetime(2026, 7, 1, tzinfo=dt.UTC),
        )
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(manager)
        with tempfile.TemporaryDirectory() as media:
            settings.MEDIA_ROOT = Path(media)
            ok = _measure(client, cutoff.pk, args.loads)
        print(f"Result: {'PASS' if ok else 'FAIL'} (later loads < {LIMIT_SECONDS} s)")
        return 0 if ok else 1
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    sys.exit(main())
