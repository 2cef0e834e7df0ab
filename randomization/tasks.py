"""Celery tasks of the randomisation app: thin, keyword-only, acknowledged late so that a worker
killed halfway leaves the message to be run again (the service sends at most once)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from randomization.notifications import randomization_notify


@shared_task(name="randomization.result_notify", acks_late=True, reject_on_worker_lost=True)
def randomization_result_notify(*, randomization_pk: int) -> bool:
    """E-mail the site team the result of a randomisation; a re-run sends nothing."""
    return randomization_notify(randomization_pk=randomization_pk, now=timezone.now())
