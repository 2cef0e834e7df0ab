import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from config.celery import app
from followup.models import Visit
from followup.services.notifications import SITE_REMINDER
from followup.tasks import followup_digest, followup_refresh
from tests.followup.conftest import followup_patient
from trial.dates import add_months
from trial.models import OutboundMessage

ROOT = Path(__file__).resolve().parents[2]


def _with_email(*users) -> None:
    for user in users:
        user.email = f"{user.username}@example.org"
        user.save()


class TestBeatSchedule:
    def test_periodic_tasks_are_declared_in_one_place(self) -> None:
        schedule = app.conf.beat_schedule

        tasks = {e["task"] for e in schedule.values()}
        app.loader.import_default_modules()  # what a worker does: every app's tasks module

        assert tasks == {
            "followup.refresh",
            "followup.digest_send",
            "trial.outbox_sweep",
            "cleaning.edit_checks_run",
            "cleaning.digest_send",
        }
        assert tasks <= set(app.tasks)


class TestFollowupRefreshTask:
    def test_is_acknowledged_late_so_a_killed_worker_leaves_it_to_run_again(self) -> None:
        assert followup_refresh.acks_late is True
        assert followup_refresh.reject_on_worker_lost is True

    @pytest.mark.django_db
    def test_sends_one_reminder_per_site_per_day_not_one_per_visit(
        self,
        site_a,
        site_b,
        coordinator,
        investigator,
        coordinator_b,
        investigator_b,
        django_capture_on_commit_callbacks,
    ) -> None:
        _with_email(coordinator, coordinator_b)
        for _ in range(2):
            followup_patient(site_a, coordinator, investigator)
        followup_patient(site_b, coordinator_b, investigator_b)

        with django_capture_on_commit_callbacks(execute=True):
            followup_refresh.delay(as_of="2027-04-01")
        with django_capture_on_commit_callbacks(execute=True):
            followup_refresh.delay(as_of="2027-04-01")

        assert Visit.objects.count() == 3
        assert sorted(m.to[0] for m in mail.outbox) == [
            "coord_a@example.org",
            "coord_b@example.org",
        ]
        paris = next(m for m in mail.outbox if m.to == ["coord_a@example.org"])
        assert paris.body.count("visit 1") == 2
        assert OutboundMessage.objects.filter(kind=SITE_REMINDER).count() == 2

    @pytest.mark.django_db
    def test_weekly_digest_counts_overdue_and_missed_per_site(
        self, site_a, coordinator, investigator, data_manager, django_capture_on_commit_callbacks
    ) -> None:
        _with_email(data_manager)
        followup_patient(site_a, coordinator, investigator)
        followup_refresh.delay(as_of="2027-08-01")  # visit 1 missed, visit 2 overdue

        with django_capture_on_commit_callbacks(execute=True):
            followup_digest.delay(as_of="2027-08-01")
        with django_capture_on_commit_callbacks(execute=True):
            followup_digest.delay(as_of="2027-08-01")

        assert len(mail.outbox) == 1
        assert "PAR: 1 overdue, 1 missed" in mail.outbox[0].body


def _test_database_url() -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + settings.DATABASES["default"]["NAME"]))


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
class TestSchedulerEndToEnd:
    def test_beat_and_a_real_worker_on_redis_create_visits(
        self, site_a, coordinator, investigator, tmp_path
    ) -> None:
        today = timezone.localdate()
        patient = followup_patient(
            site_a,
            coordinator,
            investigator,
            end_date=add_months(today, -3),
            randomized_at=timezone.now() - dt.timedelta(days=200),
        )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _test_database_url(),
            "CELERY_BROKER_URL": os.environ["REDIS_URL"],
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "FOLLOWUP_REFRESH_EVERY_SECONDS": "2",
        }
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--beat"]
        command += ["--pool=solo", "-s", str(tmp_path / "beat-schedule"), "--loglevel=INFO"]
        log = (tmp_path / "worker.log").open("w")
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

        try:
            deadline = time.monotonic() + 60
            while (
                time.monotonic() < deadline and not Visit.objects.filter(patient=patient).exists()
            ):
                assert worker.poll() is None, (tmp_path / "worker.log").read_text()
                time.sleep(0.5)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            log.close()

        visit = Visit.objects.filter(patient=patient).first()
        assert visit is not None, (tmp_path / "worker.log").read_text()[-3000:]
        assert visit.number == 1
        assert visit.target_date == today
