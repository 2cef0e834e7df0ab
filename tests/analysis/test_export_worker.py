"""An export requested through the API is built by a real Celery worker on Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from analysis.services import cutoff_freeze
from config.celery import app
from tests.factories import randomized_patient
from tests.followup.test_tasks import ROOT, _test_database_url
from trial.audit import record_save
from trial.models import Death, DeathCause


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
class TestExportThroughAWorker:
    def test_the_worker_builds_the_requested_export_to_the_end(
        self, site_a, coordinator, investigator, data_manager, settings, tmp_path: Path, monkeypatch
    ) -> None:
        patient = randomized_patient(site_a, coordinator, investigator)
        death = Death(patient=patient, death_date=timezone.localdate(), cause=DeathCause.LEUKAEMIA)
        record_save(instance=death, by=investigator)
        cutoff = cutoff_freeze(
            by=data_manager, cutoff_date=timezone.localdate(), reason="DSMB", now=timezone.now()
        )
        settings.MEDIA_ROOT = tmp_path / "media"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _test_database_url(),
            "CELERY_BROKER_URL": os.environ["REDIS_URL"],
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "MEDIA_ROOT": str(tmp_path / "media"),
        }
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
        command += ["-n", "export@%h", "--loglevel=INFO", "--without-heartbeat", "--without-gossip"]
        command += ["--without-mingle"]  # no wait for other workers' replies on a busy machine
        log_path = tmp_path / "worker.log"
        log = log_path.open("w")
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        monkeypatch.setitem(app.conf, "task_always_eager", False)  # this process only publishes
        api = APIClient()
        api.force_authenticate(data_manager)

        try:
            requested = api.post(
                f"/api/v1/analysis/cutoffs/{cutoff.pk}/exports/",
                {"formats": ["csv"]},
                format="json",
            )
            url = f"/api/v1/analysis/exports/{requested.json()['id']}/"
            deadline, state = time.monotonic() + 90, api.get(url).json()
            while time.monotonic() < deadline and state["status"] not in ("done", "failed"):
                assert worker.poll() is None, log_path.read_text()[-3000:]
                time.sleep(0.5)
                state = api.get(url).json()
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            log.close()

        assert (state["status"], state["progress"]) == ("done", 100), log_path.read_text()[-3000:]
        names = [f["name"] for f in state["files"]]
        assert {"adtte.csv", "km_os.png", "table1.csv", "consort.json"} <= set(names)
        directory = tmp_path / "media" / "exports" / str(state["id"])
        assert all((directory / name).is_file() for name in names)
        assert "analysis.export_build" in log_path.read_text()
