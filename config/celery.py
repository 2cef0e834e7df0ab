"""The Celery application and the one place where periodic tasks are declared."""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import beat_init, before_task_publish, worker_init
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("dexaml")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Every periodic task of the trial (STYLE.md "API and tasks"); times from settings."""
    followup = settings.TRIAL_FOLLOWUP
    cleaning = settings.TRIAL_CLEANING
    every = int(followup["REFRESH_EVERY_SECONDS"])  # only the end-to-end test sets it
    sweep_every = int(settings.TRIAL_OUTBOX["SWEEP_EVERY_SECONDS"])
    return {
        # The outbox (README "Messages: the outbox"): hand to a worker every e-mail left behind
        # (queued while the broker was down, lost with a worker) or due for another attempt.
        # A sweep not run in time is dropped: the next one does the same work.
        "outbox-sweep": {
            "task": "trial.outbox_sweep",
            "schedule": timedelta(seconds=sweep_every),
            "options": {"expires": sweep_every},
        },
        # docs/protocol.md "Post-treatment follow-up": create visits as they come due, mark them
        # overdue and missed, remind the sites (one email per site per day).
        "followup-refresh-daily": {
            "task": "followup.refresh",
            "schedule": timedelta(seconds=every)
            if every
            else crontab(hour=followup["REFRESH_HOUR"], minute=followup["REFRESH_MINUTE"]),
        },
        # Weekly digest of overdue and missed visits per site to the data managers.
        "followup-digest-weekly": {
            "task": "followup.digest_send",
            "schedule": crontab(
                day_of_week=followup["DIGEST_DAY_OF_WEEK"],
                hour=followup["DIGEST_HOUR"],
                minute=0,
            ),
        },
        # docs/protocol.md "Data cleaning and locking": every edit check over the whole database,
        # for checks added after the data were entered and deadlines that passed (idempotent).
        "cleaning-edit-checks-nightly": {
            "task": "cleaning.edit_checks_run",
            "schedule": crontab(hour=cleaning["RUN_HOUR"], minute=cleaning["RUN_MINUTE"]),
        },
        # New queries to the site teams, answers to the raisers: one e-mail a day at most each.
        "cleaning-query-digest-daily": {
            "task": "cleaning.digest_send",
            "schedule": crontab(hour=cleaning["DIGEST_HOUR"], minute=cleaning["DIGEST_MINUTE"]),
        },
    }


@app.on_after_configure.connect
def _declare_periodic_tasks(sender: Celery, **kwargs: Any) -> None:
    sender.conf.beat_schedule = beat_schedule()


@worker_init.connect
@beat_init.connect
@before_task_publish.connect
def _filesystem_broker_folders_ensure(**kwargs: Any) -> None:
    """The embedded filesystem transport needs its folders before anything is queued or read.

    Made when a worker, beat or publisher first needs them, never on import."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)
