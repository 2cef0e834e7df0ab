"""Celery tasks of verification: thin, keyword-only, acknowledged late; building a site's
casebooks again after it is done changes nothing."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from verification.models import CasebookBuild
from verification.services.casebooks import casebook_build


@shared_task(name="verification.casebook_build", acks_late=True, reject_on_worker_lost=True)
def casebook_build_task(*, build_id: int) -> int:
    """Build every casebook of a site (requested on the casebooks page)."""
    build = casebook_build(build=CasebookBuild.objects.get(pk=build_id), now=timezone.now())
    return build.done
