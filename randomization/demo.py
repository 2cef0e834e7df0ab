"""Demo data: an active production list, a test list, and the enrolled demo patients randomised."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError

from randomization import services
from randomization.models import AllocationList, Method, Randomization
from randomization.rules import RandomizationRules
from trial.exceptions import ApplicationError
from trial.models import Membership, Patient, PatientStatus, Role, User

PRODUCTION, TEST = "P1", "T1"


def _list_keeper() -> User:
    membership = (
        Membership.objects.filter(
            role__in=[Role.STATISTICIAN, Role.SPONSOR_ADMIN], site__isnull=True, active=True
        )
        .select_related("user")
        .order_by("role", "pk")
        .first()
    )
    if membership is not None:
        return membership.user
    user, created = User.objects.get_or_create(
        username="statistician", defaults={"first_name": "Trial", "last_name": "Statistician"}
    )
    if created:
        user.set_unusable_password()
        user.save()
    Membership.objects.get_or_create(user=user, role=Role.STATISTICIAN, site=None)
    return user


def _randomizer(patient: Patient) -> User | None:
    membership = (
        Membership.objects.filter(
            site=patient.site,
            role__in=[Role.SITE_COORDINATOR, Role.INVESTIGATOR],
            active=True,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("role", "pk")
        .first()
    )
    return membership.user if membership else None


def demo_seed_randomization(*, now: dt.datetime) -> int:
    """Create the demo lists (once) and randomise the enrolled patients not yet randomised.

    Return the number of patients randomised now.
    """
    keeper = _list_keeper()
    rules = RandomizationRules.from_settings()
    for code, purpose, seed in ((TEST, "test", "demo-test-seed"), (PRODUCTION, "production", "demo-production-seed")):  # fmt: skip
        if not AllocationList.objects.filter(code=code).exists():
            services.allocation_list_generate(
                code=code, purpose=purpose, seed=seed, method=Method.BLOCKS,
                block_sizes=list(rules.block_sizes), factors=rules.list_factors, slots_per_stratum=48,
                by=keeper, now=now,
            )  # fmt: skip
    if not AllocationList.objects.filter(active=True).exists():
        services.allocation_list_activate(
            allocation_list=AllocationList.objects.get(code=PRODUCTION),
            by=keeper,
            reason="Demo trial opens",
        )
    randomized = 0
    waiting = (
        Patient.objects.filter(status=PatientStatus.ENROLLED)
        .exclude(pk__in=Randomization.objects.values("patient_id"))
        .select_related("site")
        .order_by("enrolled_at", "pk")
    )
    for patient in waiting:
        by = _randomizer(patient)
        if by is None:
            continue
        try:
            # Randomised when enrolled, so the demo's follow-up has a realistic history.
            services.patient_randomize(patient=patient, by=by, now=patient.enrolled_at or now)
        except (ApplicationError, ValidationError):
            continue
        randomized += 1
    return randomized
