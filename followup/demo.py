"""Demo data for follow-up: deaths after refractory disease or relapse, an end of treatment for
randomised patients the treatment demo left without one, then a refresh."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from followup.services.records import death_record
from followup.services.refresh import RefreshResult, visits_refresh
from randomization.models import Randomization
from treatment.models import EndOfTreatment
from treatment.selectors import first_remission, relapse_of
from trial.audit import record_save
from trial.models import Death, DeathCause, Membership, Role, User


def _recorder(site_id: int) -> User | None:
    membership = (
        Membership.objects.filter(site_id=site_id, role=Role.INVESTIGATOR, active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else User.objects.order_by("pk").first()


def _deaths(today: dt.date) -> None:
    """Most refractory patients and many relapsed ones die within months (docs/protocol.md
    "Endpoints": the demo's OS and EFS then have events spread over time)."""
    if Death.objects.exists():
        return
    rng = random.Random(20260318)
    for eot in EndOfTreatment.objects.select_related("patient").order_by("end_date", "pk"):
        patient = eot.patient
        relapse = relapse_of(patient)
        if relapse is not None:
            after, chance = relapse.relapse_date, 0.7
        elif first_remission(patient) is None:
            after, chance = eot.end_date, 0.85
        else:
            after, chance = eot.end_date, 0.08
        died = after + dt.timedelta(days=rng.randint(20, 260))
        by = _recorder(patient.site_id)
        if rng.random() < chance and died < today and by is not None:
            cause = DeathCause.LEUKAEMIA if chance > 0.5 else DeathCause.INFECTION
            death_record(patient=patient, by=by, today=today, death_date=died, cause=cause)


@transaction.atomic
def demo_seed_followup(*, today: dt.date) -> RefreshResult:
    """Record deaths (`_deaths`); when no demo patient was treated, record an end of treatment
    for all but the last randomised one (on a provisional anchor), at staggered dates; then
    refresh schedules."""
    _deaths(today)
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
