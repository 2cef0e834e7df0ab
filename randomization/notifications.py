"""E-mails of the randomisation app, sent once the transaction that caused them has committed.

The result of a randomisation is sent by a Celery task (randomization/tasks.py) queued on
commit, so that rendering and sending it is no part of the request that randomises."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from randomization.models import Randomization, ResultNotice, Stratum
from randomization.rules import RandomizationRules
from trial.audit import record_save
from trial.models import Membership, Role, Site
from trial.rules import TrialRules

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


def randomization_notify(*, randomization_pk: int, now: dt.datetime) -> bool:
    """Tell the site team the result of a randomisation (patient, number, arm, day 0), once.

    A ResultNotice row, unique per randomisation, is written in the transaction that sends: a
    second run (a redelivered task) finds it and sends nothing; a failed send leaves no row, so
    the retry sends. Return whether this call sent the e-mail.
    """
    randomization = Randomization.objects.select_related("patient__site", "randomized_by").get(
        pk=randomization_pk
    )
    if ResultNotice.objects.filter(randomization=randomization).exists():
        return False
    recipients = site_team_addresses(randomization.patient.site)
    notice = ResultNotice(
        randomization=randomization, sent_at=now, recipients=", ".join(recipients)
    )
    try:
        # The unique row is inserted before sending: a concurrent run waits on it, then fails.
        with transaction.atomic():
            record_save(instance=notice, by=randomization.randomized_by, reason="Result e-mailed")
            if recipients:
                _result_send(randomization, recipients)
    except (IntegrityError, ValidationError):  # sent meanwhile by another run
        return False
    return bool(recipients)


def _result_send(randomization: Randomization, recipients: list[str]) -> None:
    study = TrialRules.from_settings().study_id
    send_mail(
        subject=f"[{study}] Patient {randomization.patient} randomised: "
        f"{randomization.randomization_number}",
        message=render_to_string(
            "randomization/email_result.txt", {"r": randomization, "study_id": study}
        ),
        from_email=None,
        recipient_list=recipients,
    )


def low_slots_warn(*, stratum_pk: int, unused: int) -> None:
    """Tell the data managers and statisticians (never a site) that a stratum runs low."""
    stratum = Stratum.objects.select_related("allocation_list").get(pk=stratum_pk)
    recipients = _addresses(_LIST_KEEPERS)
    if not recipients:
        return
    study = TrialRules.from_settings().study_id
    send_mail(
        subject=f"[{study}] Allocation list {stratum.allocation_list.code}: "
        f"stratum {stratum.key} has {unused} unused slot(s)",
        message=(
            f"Stratum {stratum.key} of allocation list {stratum.allocation_list.code} has "
            f"{unused} unused slot(s) left; the warning threshold is "
            f"{RandomizationRules.from_settings().low_slot_warning}.\n"
            "The trial statistician can append slots with "
            "`python manage.py allocation_list_append` (a reason is required).\n"
        ),
        from_email=None,
        recipient_list=recipients,
    )
