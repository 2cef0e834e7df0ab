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
    if result.reminders:  # the day's reminder e-mails, once the refresh is committed
        followup_reminders_send_task.delay(day=today.isoformat())
    return {"created": result.created, "updated": result.updated, "cancelled": result.cancelled}


@shared_task(name="followup.reminders_send", acks_late=True, reject_on_worker_lost=True)
def followup_reminders_send_task(*, day: str) -> int:
    return followup_reminders_send(day=_day(day))


@shared_task(name="followup.digest_send", acks_late=True, reject_on_worker_lost=True)
def followup_digest(*, as_of: str | None = None) -> bool:
    return followup_digest_send(today=_day(as_of))
