"""Handing a site's casebooks to a worker: the request is recorded, and the build is queued once
the record is committed (the task imports the build service; this module imports the task)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from trial.audit import record_save, require
from trial.models import Site, User
from trial.permissions import Action
from verification.models import CasebookBuild
from verification.tasks import casebook_build_task


@transaction.atomic
def casebook_build_request(*, site: Site, by: User, now: dt.datetime) -> CasebookBuild:
    """Record a build of every casebook of the site and queue it once committed.

    :raises PermissionDenied: the user may not read the site's records.
    """
    require(user=by, action=Action.VIEW, site=site)
    build = CasebookBuild(site=site, requested_by=by, requested_at=now)
    record_save(instance=build, by=by, reason="Casebooks requested")
    transaction.on_commit(lambda: casebook_build_task.delay(build_id=build.pk))
    return build
