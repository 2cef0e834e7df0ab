"""E-mails of the randomisation app, queued in the outbox (trial/outbox) inside the transaction
of the allocation that causes them, and sent by a worker once it has committed."""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string

from randomization.models import Randomization, Stratum
from randomization.rules import RandomizationRules
from trial.models import Membership, Role, Site
from trial.outbox import message_queue
from trial.rules import TrialRules

RESULT = "randomization.result"
LOW_SLOTS = "randomization.low_slots"

_SITE_TEAM = (Role.SITE_COORDINATOR, Role.INVESTIGATOR)
_LIST_KEEPERS = (Role.DATA_MANAGER, Role.STATISTICIAN)


def _addresses(roles: tuple[Role, ...], site: Site | None = None) -> list[str]:
    memberships = Membership.objects.filter(
        role__in=roles, active=True, user__is_active=True
    ).exclude(user__email="")
    if site is not None:
        memberships = memberships.filter(site=site)
    return sorted(set(memberships.values_list("user__email", flat=True)))


def site_team_addresses(site: Site) -> list[str]:
    """The site's coordinators and investigators."""
    return _addresses(_SITE_TEAM, site)


def randomization_result_queue(*, randomization: Randomization, now: dt.datetime) -> None:
    """Queue the result of a randomisation (patient, number, arm, day 0) for the site team, once
    per randomisation."""
    study = TrialRules.from_settings().study_id
    message_queue(
        kind=RESULT,
        key=f"{RESULT}:{randomization.pk}",
        recipients=site_team_addresses(randomization.patient.site),
        subject=f"[{study}] Patient {randomization.patient} randomised: "
        f"{randomization.randomization_number}",
        body=render_to_string(
            "randomization/email_result.txt", {"r": randomization, "study_id": study}
        ),
        now=now,
        related=randomization,
    )


def low_slots_queue(*, stratum: Stratum, unused: int, now: dt.datetime) -> None:
    """Warn the data managers and statisticians (never a site) that a stratum runs low, once
    per stratum and count."""
    study = TrialRules.from_settings().study_id
    code = stratum.allocation_list.code
    message_queue(
        kind=LOW_SLOTS,
        key=f"{LOW_SLOTS}:{stratum.pk}:{unused}",
        recipients=_addresses(_LIST_KEEPERS),
        subject=f"[{study}] Allocation list {code}: "
        f"stratum {stratum.key} has {unused} unused slot(s)",
        body=(
            f"Stratum {stratum.key} of allocation list {code} has "
            f"{unused} unused slot(s) left; the warning threshold is "
            f"{RandomizationRules.from_settings().low_slot_warning}.\n"
            "The trial statistician can append slots with "
            "`python manage.py allocation_list_append` (a reason is required).\n"
        ),
        now=now,
        related=stratum,
    )
