"""The patient-level listings behind the dashboard's counts: each filters with the very
condition its count uses (workspace/selectors/dashboard.py), by site if asked, for the page
and its CSV download."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from trial.models import User
from workspace.selectors.dashboard import (
    PATIENT_CONDITIONS,
    VISIT_CONDITIONS,
    dashboard_patients,
    dashboard_visits,
    sae_reports_overdue,
)
from workspace.selectors.status import arm_label


@dataclass(frozen=True)
class Listing:
    slug: str  # its URL: /listings/<slug>/
    count: str  # the dashboard count it lists
    title: str | Promise
    kind: str  # "patients", "visits" or "sae"


LISTINGS: list[Listing] = [
    Listing("screened", "screened", gettext_lazy("Patients screened"), "patients"),
    Listing("screen-failures", "screen_failed", gettext_lazy("Screen failures"), "patients"),
    Listing("enrolled", "enrolled", gettext_lazy("Patients enrolled"), "patients"),
    Listing("randomised", "randomized", gettext_lazy("Patients randomised"), "patients"),
    Listing("dexamethasone-arm", "dex", gettext_lazy("Randomised to dexamethasone"), "patients"),
    Listing(
        "control-arm", "ctrl", gettext_lazy("Randomised to salvage alone (control)"), "patients"
    ),
    Listing(
        "missing-mutations",
        "no_mutations",
        gettext_lazy("Enrolled without mutation results"),
        "patients",
    ),
    Listing("no-cycles", "no_cycles", gettext_lazy("Randomised without cycles"), "patients"),
    Listing("sae-reports-overdue", "sae_overdue", gettext_lazy("SAE reports overdue"), "sae"),
    Listing("visits-overdue", "visits_overdue", gettext_lazy("Follow-up visits overdue"), "visits"),
    Listing("visits-missed", "visits_missed", gettext_lazy("Follow-up visits missed"), "visits"),
]
BY_COUNT = {listing.count: listing for listing in LISTINGS}


def listing_url(count: str, site_code: str = "") -> str:
    """The listing behind a dashboard count, for one site or all."""
    url = reverse(f"workspace:listing_{count}")
    return f"{url}?site={site_code}" if site_code else url


@dataclass(frozen=True)
class Row:
    url: str  # where the patient's record of it is
    cells: list[str]


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[Row]


def _date(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    return f"{value:%Y-%m-%d}" if value else ""


def _patients(listing: Listing, user: User, site: str) -> Table:
    rows: QuerySet[Any] = dashboard_patients(user).filter(PATIENT_CONDITIONS[listing.count])
    if site:
        rows = rows.filter(site__code=site)
    rows = rows.select_related("site").order_by("site__code", "screening_number")
    columns = [
        gettext("Site"),
        gettext("Patient"),
        gettext("Screening no."),
        gettext("Status"),
        gettext("Screened"),
        gettext("Enrolled"),
        gettext("Arm"),
    ]
    return Table(
        columns,
        [
            Row(
                reverse("workspace:patient_detail", kwargs={"patient_id": p.pk}),
                [
                    p.site.code,
                    str(p),
                    p.screening_number,
                    p.get_status_display(),
                    _date(p.screening_date),
                    _date(p.enrolled_at),
                    arm_label(p.arm),
                ],
            )
            for p in rows
        ],
    )


def _visits(listing: Listing, user: User, site: str) -> Table:
    rows = dashboard_visits(user).filter(VISIT_CONDITIONS[listing.count])
    if site:
        rows = rows.filter(patient__site__code=site)
    rows = rows.select_related("patient__site").order_by("target_date", "patient_id", "number")
    columns = [
        gettext("Site"),
        gettext("Patient"),
        gettext("Visit"),
        gettext("Month"),
        gettext("Target"),
        gettext("Window"),
        gettext("Status"),
    ]
    return Table(
        columns,
        [
            Row(
                reverse("followup:patient", kwargs={"patient_id": v.patient_id}),
                [
                    v.patient.site.code,
                    str(v.patient),
                    str(v.number),
                    str(v.month),
                    _date(v.target_date),
                    gettext("%(opens)s to %(closes)s")
                    % {
                        "opens": _date(v.window_opens),
                        "closes": _date(v.window_closes - dt.timedelta(days=1)),
                    },
                    v.get_status_display(),
                ],
            )
            for v in rows
        ],
    )


def _sae(listing: Listing, user: User, site: str, now: dt.datetime) -> Table:
    rows = sae_reports_overdue(user, now)
    if site:
        rows = rows.filter(patient__site__code=site)
    rows = rows.select_related("patient__site", "term").order_by("report_due_at", "pk")
    columns = [
        gettext("Site"),
        gettext("Patient"),
        gettext("Event"),
        gettext("Grade"),
        gettext("Site aware at"),
        gettext("Report due by"),
    ]
    return Table(
        columns,
        [
            Row(
                reverse("treatment:timeline", kwargs={"patient_id": e.patient_id}),
                [
                    e.patient.site.code,
                    str(e.patient),
                    e.term_label,
                    str(e.grade),
                    _date(e.awareness_at),
                    _date(e.report_due_at),
                ],
            )
            for e in rows
        ],
    )


def listing_table(*, listing: Listing, user: User, site: str, now: dt.datetime) -> Table:
    """The rows behind one dashboard count, over the sites the user may see in reports."""
    if listing.kind == "visits":
        return _visits(listing, user, site)
    if listing.kind == "sae":
        return _sae(listing, user, site, now)
    return _patients(listing, user, site)
