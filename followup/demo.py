"""Demo data for follow-up: end of treatment for some randomised patients, then a refresh."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from followup.services.refresh import RefreshResult, visits_refresh
from randomization.models import Randomization
from treatment.models import EndOfTreatment
from trial.audit import record_save
from trial.models import Membership, Role, User


def _recorder(site_id: int) -> User | None:
    membership = (
        Membership.objects.filter(site_id=site_id, role=Role.INVESTIGATOR, active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else User.objects.order_by("pk").first()


@transaction.atomic
def demo_seed_followup(*, today: dt.date) -> RefreshResult:
    """Record an end of treatment for randomised demo patients that have none (all but the
    last, which stays on a provisional anchor), at staggered dates, then refresh schedules."""
    if not EndOfTreatment.objects.exists():
        randomizations = list(
            Randomization.objects.select_related("patient").order_by("randomized_at")
        )
        for i, randomization in enumerate(randomizations[:-1]):
            randomized_on = randomization.randomized_on
            end_date = max(randomized_on, today - dt.timedelta(days=80 + 95 * (i % 5)))
            by = _recorder(randomization.patient.site_id)
            if by is None:
                break
            record_save(
                instance=EndOfTreatment(
                    patient=randomization.patient, end_date=end_date, reason="completed"
                ),
                by=by,
            )
    return visits_refresh(today=today)
