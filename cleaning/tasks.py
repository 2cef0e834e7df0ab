"""Celery tasks of data cleaning: thin, keyword-only, acknowledged late; the services are
idempotent, so a task run twice changes nothing."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from cleaning.services.edit_checks import edit_checks_run
from cleaning.services.notifications import query_digests_send


@shared_task(name="cleaning.edit_checks_run", acks_late=True, reject_on_worker_lost=True)
def edit_checks_run_task() -> dict[str, int]:
    """Run every edit check over the whole database (nightly)."""
    result = edit_checks_run(now=timezone.now())
    return {"patients": result.patients, "opened": result.opened, "closed": result.closed}


@shared_task(name="cleaning.digest_send", acks_late=True, reject_on_worker_lost=True)
def query_digest_task() -> int:
    """Send the day's digest of data queries (at most one e-mail per person a day)."""
    now = timezone.now()
    return query_digests_send(day=timezone.localdate(now), now=now)
