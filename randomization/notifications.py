"""E-mails of the randomisation app, queued in the outbox (trial/outbox) inside the transaction
of the allocation that causes them, and sent by a worker once it has committed.

A message goes out in its recipients' language (User.language, else settings.LANGUAGE_CODE):
recipients are grouped by language and each group gets its own message, whose outbox key ends
with the language unless it is the default one. Times are given in the site's time zone, with
the zone named."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import models
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from randomization.models import Randomization, Stratum
from randomization.rules import RandomizationRules
from trial.models import Membership, Role, Site, User
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


def addresses_by_language(addresses: Iterable[str]) -> dict[str, list[str]]:
    """The addresses grouped by their users' language (an address of no user, or of a user
    without a language, takes the default); always at least the default language's group."""
    default = settings.LANGUAGE_CODE
    known = {code for code, _name in settings.LANGUAGES}
    chosen = {
        email.lower(): language
        for email, language in User.objects.filter(is_active=True)
        .exclude(language="")
        .values_list("email", "language")
    }
    groups: dict[str, list[str]] = defaultdict(list)
    for address in sorted(set(addresses)):
        language = chosen.get(address.lower(), default)
        groups[language if language in known else default].append(address)
    return dict(groups) or {default: []}


def in_time_zone(value: dt.datetime, site: Site) -> str:
    """A time as the site reads it, with its zone named (DATETIME_FORMAT of the active
    language: ISO date, hour and the zone)."""
    try:
        zone = ZoneInfo(site.time_zone or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):  # an unknown name never stops the allocation
        zone = ZoneInfo(settings.TIME_ZONE)
    local = timezone.localtime(value, zone)
    return formats.date_format(local, "DATETIME_FORMAT")


def queue_by_language(
    *,
    kind: str,
    key: str,
    addresses: Iterable[str],
    compose: Callable[[], tuple[str, str]],
    now: dt.datetime,
    related: models.Model | None = None,
) -> None:
    """Queue one message per language of the recipients; `compose` writes (subject, body) in
    the language active when it is called."""
    for language, group in sorted(addresses_by_language(addresses).items()):
        with translation.override(language):
            subject, body = compose()
        message_queue(
            kind=kind,
            key=key if language == settings.LANGUAGE_CODE else f"{key}:{language}",
            recipients=group,
            subject=subject,
            body=body,
            now=now,
            related=related,
        )


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
