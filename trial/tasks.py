"""Celery tasks of the base app: thin and idempotent."""

from __future__ import annotations

from celery import shared_task
from django.core.management import call_command


@shared_task(name="trial.sessions_clear")
def sessions_clear() -> None:
    """Delete the sessions that have expired (Django's `clearsessions`); idempotent."""
    call_command("clearsessions")
