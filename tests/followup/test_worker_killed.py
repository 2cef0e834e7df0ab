"""A real Celery worker on Redis killed (SIGKILL) halfway through the follow-up refresh: the
task was acknowledged late, so Redis hands it to the next worker, which completes the work with
no duplicate (PROTOCOL.md "Post-treatment follow-up"; issue: survives a worker killed halfway)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connections
from django.utils import timezone

from config.celery import app
from followup.models import Visit
from tests.followup.conftest import followup_patient
from tests.followup.test_tasks import ROOT, _test_database_url
from trial.dates import add_months

VISIBILITY_SECONDS = 3


def _worker(tmp_path: Path, name: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": os.environ["REDIS_URL"],
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS),
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
        "FOLLOWUP_REFRESH_BATCH_SIZE": "1",  # one patient per batch (one transaction each)
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
    command += ["-n", f"{name}@%h", "--loglevel=INFO", "--without-heartbeat", "--without-gossip"]
    command += ["--without-mingle"]  # no wait for other workers' replies on a busy machine
    log = (tmp_path / f"{name}.log").open("w")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _wait_for(condition, seconds: float, worker, log: Path) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        assert worker.poll() is None, log.read_text()[-3000:]
        time.sleep(0.2)
    return False


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
class TestWorkerKilledHalfway:
    def test_the_next_worker_completes_the_refresh_the_killed_one_started(
        self, site_a, coordinator, investigator, tmp_path
    ) -> None:
        today = timezone.localdate()
        first, second = (
            followup_patient(
                site_a, coordinator, investigator,
                end_date=add_months(today, -3),
                randomized_at=timezone.now() - dt.timedelta(days=200),
            )
            for _ in range(2)
        )  # fmt: skip
        # Another session holds the second patient's row: the worker commits the first batch,
        # then waits on the second, and is killed there, halfway through its task.
        blocker = connections.create_connection("default")
        blocker.set_autocommit(False)
        with blocker.cursor() as cursor:
            cursor.execute("SELECT id FROM trial_patient WHERE id = %s FOR UPDATE", [second.pk])
        worker = _worker(tmp_path, "first")
        with pytest.warns(UserWarning, match="always_eager"):  # send_task always uses the broker
            app.send_task("followup.refresh", kwargs={"as_of": today.isoformat()})
        try:
            started = _wait_for(
                lambda: Visit.objects.filter(patient=first).exists(),
                180,  # an upper bound: a loaded machine starts a worker slowly
                worker,
                tmp_path / "first.log",
            )
            assert started, (tmp_path / "first.log").read_text()[-3000:]
            time.sleep(0.5)  # the worker is now waiting on the second patient's lock
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
        finally:
            blocker.rollback()
            blocker.close()
        assert not Visit.objects.filter(patient=second).exists()

        successor = _worker(tmp_path, "second")
        try:
            done = _wait_for(
                lambda: Visit.objects.filter(patient=second).exists(),
                180, successor, tmp_path / "second.log",
            )  # fmt: skip
        finally:
            successor.terminate()
            successor.wait(timeout=30)

        assert done, (tmp_path / "second.log").read_text()[-3000:]
        assert "followup.refresh" in (tmp_path / "second.log").read_text()
        for patient in (first, second):
            numbers = list(Visit.objects.filter(patient=patient).values_list("number", flat=True))
            assert numbers == [1]
