"""Reminders to site coordinators (one email per site per day) and the weekly digest to data
managers, queued in the outbox (trial/outbox) in each recipient's language: the key of each
message (kind, site, day, language) keeps a re-run from sending it twice."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from followup.models import Visit, VisitStatus
from trial.models import Membership, Role, Site
from trial.outbox import queue_by_language

SITE_REMINDER = "followup.site_reminder"
WEEKLY_DIGEST = "followup.weekly_digest"


def _emails(role: Role, site: Site | None) -> list[str]:
    memberships = Membership.objects.filter(role=role, active=True, user__is_active=True)
    if site is not None:
        memberships = memberships.filter(Q(site=site) | Q(site__isnull=True))
    return sorted({e for e in memberships.values_list("user__email", flat=True) if e})


def followup_reminders_send(*, day: dt.date, now: dt.datetime) -> int:
    """Queue for each site's coordinators the visits that entered their window or became
    overdue on `day`; one email per site and day. Return how many were queued by this call."""
    visits = (
        Visit.objects.filter(Q(window_reminded_on=day) | Q(overdue_reminded_on=day))
        .filter(status__in=[VisitStatus.DUE, VisitStatus.OVERDUE])
        .select_related("patient__site")
        .order_by("patient__site__code", "target_date")
    )
    by_site: dict[Site, list[Visit]] = defaultdict(list)
    for visit in visits:
        by_site[visit.patient.site].append(visit)
    sent = 0
    for site, site_visits in by_site.items():

        def compose(site: Site = site, site_visits: list[Visit] = site_visits) -> tuple[str, str]:
            lines = [
                _("- %(patient)s visit %(number)s (month %(month)s), target %(target)s: %(status)s")
                % {
                    "patient": v.patient,
                    "number": v.number,
                    "month": v.month,
                    "target": f"{v.target_date:%Y-%m-%d}",
                    "status": v.get_status_display().lower(),
                }
                for v in site_visits
            ]
            subject = _("Follow-up visits to arrange at %(site)s (%(count)s)") % {
                "site": site.code,
                "count": len(site_visits),
            }
            body = _("Follow-up visits entering their window or overdue:") + "\n" + "\n".join(lines)
            return subject, body

        queued = queue_by_language(
            kind=SITE_REMINDER,
            key=f"{SITE_REMINDER}:{site.code}:{day:%Y-%m-%d}",
            addresses=_emails(Role.SITE_COORDINATOR, site),
            compose=compose,
            now=now,
            related=site,
        )
        sent += queued > 0
    return sent


def followup_digest_send(*, today: dt.date, now: dt.datetime) -> bool:
    """Queue for the data managers the overdue and missed visits per site (the weekly digest),
    once per day; return whether this call queued it."""
    counts = (
        Visit.objects.filter(status__in=[VisitStatus.OVERDUE, VisitStatus.MISSED])
        .values("patient__site__code")
        .annotate(
            overdue=Count("pk", filter=Q(status=VisitStatus.OVERDUE)),
            missed=Count("pk", filter=Q(status=VisitStatus.MISSED)),
        )
        .order_by("patient__site__code")
    )
    rows = list(counts)

    def compose() -> tuple[str, str]:
        lines = [
            _("- %(site)s: %(overdue)s overdue, %(missed)s missed")
            % {"site": r["patient__site__code"], "overdue": r["overdue"], "missed": r["missed"]}
            for r in rows
        ]
        subject = _("Follow-up digest, week of %(day)s") % {"day": f"{today:%Y-%m-%d}"}
        body = _("Overdue and missed follow-up visits per site:") + "\n"
        return subject, body + ("\n".join(lines) or _("- none"))

    queued = queue_by_language(
        kind=WEEKLY_DIGEST,
        key=f"{WEEKLY_DIGEST}:{today:%Y-%m-%d}",
        addresses=_emails(Role.DATA_MANAGER, None),
        compose=compose,
        now=now,
    )
    return queued > 0
