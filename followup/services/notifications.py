"""Reminders to site coordinators (one email per site per day) and the weekly digest to data
managers. A Notification row per email, unique per kind, day and scope, keeps a re-run from
sending twice."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from followup.models import Notification, NotificationKind, Visit, VisitStatus
from trial.models import Membership, Role, Site


def _emails(role: Role, site: Site | None) -> list[str]:
    memberships = Membership.objects.filter(role=role, active=True, user__is_active=True)
    if site is not None:
        memberships = memberships.filter(Q(site=site) | Q(site__isnull=True))
    return sorted({e for e in memberships.values_list("user__email", flat=True) if e})


def _send_once(
    *,
    kind: str,
    day: dt.date,
    scope: str,
    site: Site | None,
    recipients: list[str],
    subject: str,
    body: str,
) -> bool:
    """Record the email and send it; False when it was already sent (unique row)."""
    notification = Notification(
        kind=kind,
        day=day,
        scope=scope,
        site=site,
        recipients=", ".join(recipients),
        subject=subject[:200],
        body=body,
    )
    try:
        with transaction.atomic():
            notification.save()
            if recipients:
                send_mail(subject, body, None, recipients)
    except IntegrityError:
        return False
    return True


def followup_reminders_send(*, day: dt.date) -> int:
    """Email each site's coordinators the visits that entered their window or became overdue
    on `day`; one email per site. Return how many emails were sent."""
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
        lines = [
            f"- {v.patient} visit {v.number} (month {v.month}), target {v.target_date:%Y-%m-%d}: "
            f"{v.get_status_display().lower()}"
            for v in site_visits
        ]
        sent += _send_once(
            kind=NotificationKind.SITE_REMINDER,
            day=day,
            scope=site.code,
            site=site,
            recipients=_emails(Role.SITE_COORDINATOR, site),
            subject=f"Follow-up visits to arrange at {site.code} ({len(site_visits)})",
            body="Follow-up visits entering their window or overdue:\n" + "\n".join(lines),
        )
    return sent


def followup_digest_send(*, today: dt.date) -> bool:
    """Email data managers the overdue and missed visits per site (the weekly digest)."""
    counts = (
        Visit.objects.filter(status__in=[VisitStatus.OVERDUE, VisitStatus.MISSED])
        .values("patient__site__code")
        .annotate(
            overdue=Count("pk", filter=Q(status=VisitStatus.OVERDUE)),
            missed=Count("pk", filter=Q(status=VisitStatus.MISSED)),
        )
        .order_by("patient__site__code")
    )
    lines = [
        f"- {r['patient__site__code']}: {r['overdue']} overdue, {r['missed']} missed"
        for r in counts
    ]
    return _send_once(
        kind=NotificationKind.WEEKLY_DIGEST,
        day=today,
        scope="ALL",
        site=None,
        recipients=_emails(Role.DATA_MANAGER, None),
        subject=f"Follow-up digest, week of {today:%Y-%m-%d}",
        body="Overdue and missed follow-up visits per site:\n" + ("\n".join(lines) or "- none"),
    )
