"""Celery tasks of the follow-up scheduler: thin, keyword-only, acknowledged late so a worker
killed halfway leaves the message to be run again (the services are idempotent)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from followup.services.notifications import followup_digest_send, followup_reminders_send
from followup.services.refresh import visits_refresh


def _day(value: str | None) -> dt.date:
    return dt.date.fromisoformat(value) if value else timezone.localdate()


@shared_task(name="followup.refresh", acks_late=True, reject_on_worker_lost=True)
def followup_refresh(*, as_of: str | None = None) -> dict[str, object]:
    """Refresh every schedule as of a day (today by default); idempotent."""
    today = _day(as_of)
    result = visits_refresh(today=today)
    if result.reminders:
        # The day's reminders go to the outbox here, not to another task: a broker down now
        # must not lose them (the visits are already marked as reminded).
        followup_reminders_send(day=today, now=timezone.now())
    return {"created": result.created, "updated": result.updated, "cancelled": result.cancelled}


@shared_task(name="followup.digest_send", acks_late=True, reject_on_worker_lost=True)
def followup_digest(*, as_of: str | None = None) -> bool:
    return followup_digest_send(today=_day(as_of), now=timezone.now())
