"""E-mails of the randomisation app, queued in the outbox (trial/outbox) inside the transaction
of the allocation that causes them, and sent by a worker once it has committed.

A message goes out in its recipients' language (User.language, else settings.LANGUAGE_CODE):
recipients are grouped by language and each group gets its own message, whose outbox key ends
with the language unless it is the default one (`trial.outbox.queue_by_language`). Times are
given in the site's time zone, with the zone named (`trial.dates.in_time_zone`)."""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from randomization.models import Randomization, Stratum
from randomization.rules import RandomizationRules
from trial.dates import in_time_zone
from trial.models import Membership, Role, Site
from trial.outbox import queue_by_language
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
    per randomisation, in each recipient's language."""
    study = TrialRules.from_settings().study_id
    site = randomization.patient.site

    def compose() -> tuple[str, str]:
        subject = _("[%(study)s] Patient %(patient)s randomised: %(number)s") % {
            "study": study,
            "patient": randomization.patient,
            "number": randomization.randomization_number,
        }
        body = render_to_string(
            "randomization/email_result.txt",
            {
                "r": randomization,
                "study_id": study,
                "randomized_at": in_time_zone(randomization.randomized_at, site),
            },
        )
        return subject, body

    queue_by_language(
        kind=RESULT,
        key=f"{RESULT}:{randomization.pk}",
        addresses=site_team_addresses(site),
        compose=compose,
        now=now,
        related=randomization,
    )


def low_slots_queue(*, stratum: Stratum, unused: int, now: dt.datetime) -> None:
    """Warn the data managers and statisticians (never a site) that a stratum runs low, once
    per stratum and count, in each recipient's language."""
    study = TrialRules.from_settings().study_id
    values = {
        "study": study,
        "code": stratum.allocation_list.code,
        "stratum": stratum.key,
        "unused": unused,
        "threshold": RandomizationRules.from_settings().low_slot_warning,
    }

    def compose() -> tuple[str, str]:
        subject = (
            _(
                "[%(study)s] Allocation list %(code)s: stratum %(stratum)s has %(unused)s unused slot(s)"
            )
            % values
        )
        body = (
            _(
                "Stratum %(stratum)s of allocation list %(code)s has %(unused)s unused slot(s) "
                "left; the warning threshold is %(threshold)s.\n"
                "The trial statistician can append slots with "
                "`python manage.py allocation_list_append` (a reason is required).\n"
            )
            % values
        )
        return subject, body

    queue_by_language(
        kind=LOW_SLOTS,
        key=f"{LOW_SLOTS}:{stratum.pk}:{unused}",
        addresses=_addresses(_LIST_KEEPERS),
        compose=compose,
        now=now,
        related=stratum,
    )
