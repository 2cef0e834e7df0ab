"""The data manager's dashboard: enrolment, balance and data completeness, trial-wide.

Counts are aggregated in the database, one query per table, over the sites the user may see
in reports (`Action.VIEW_REPORTS`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, Subquery

from followup.models import Visit, VisitStatus
from randomization.models import Arm, Randomization
from treatment.models import AdverseEvent, Cycle
from trial.models import BaselineMutation, DiseaseStatus, Patient, PatientStatus, Site, User
from trial.permissions import Action


@dataclass
class SiteRow:
    code: str
    name: str
    screened: int = 0
    screen_failed: int = 0
    enrolled: int = 0
    dex: int = 0
    ctrl: int = 0
    no_mutations: int = 0
    no_cycles: int = 0
    sae_overdue: int = 0
    visits_overdue: int = 0
    visits_missed: int = 0

    @property
    def randomized(self) -> int:
        return self.dex + self.ctrl

    @property
    def problems(self) -> int:
        return (
            self.no_mutations
            + self.no_cycles
            + self.sae_overdue
            + self.visits_overdue
            + self.visits_missed
        )


@dataclass(frozen=True)
class StratumRow:
    regimen: str
    disease_status: str
    dex: int
    ctrl: int

    @property
    def disease_status_label(self) -> str:
        return str(dict(DiseaseStatus.choices).get(self.disease_status, self.disease_status))

    @property
    def total(self) -> int:
        return self.dex + self.ctrl

    @property
    def difference(self) -> int:
        return self.dex - self.ctrl


@dataclass
class Dashboard:
    sites: list[SiteRow]
    strata: list[StratumRow]
    totals: SiteRow = field(default_factory=lambda: SiteRow("All", "All sites"))


def _site_rows(user: User) -> dict[int, SiteRow]:
    site_ids = user.site_ids_for(Action.VIEW_REPORTS)
    sites = Site.objects.order_by("code")
    if site_ids is not None:
        sites = sites.filter(pk__in=site_ids)
    return {s.pk: SiteRow(s.code, s.name) for s in sites}


def _add(rows: dict[int, SiteRow], counts: list[dict[str, int]], names: list[str]) -> None:
    for count in counts:
        row = rows.get(count["site"])
        if row is None:
            continue
        for name in names:
            setattr(row, name, getattr(row, name) + count[name])


def _patient_counts(user: User) -> list[dict[str, int]]:
    live = Q(entered_in_error=False)
    patient = OuterRef("pk")
    patients = (
        Patient.objects.for_user(user, Action.VIEW_REPORTS)
        .filter(live)
        .annotate(
            has_mutations=Exists(BaselineMutation.objects.filter(live, baseline__patient=patient)),
            has_cycles=Exists(Cycle.objects.filter(live, patient=patient)),
            is_randomized=Exists(Randomization.objects.filter(live, patient=patient)),
            arm=Subquery(Randomization.objects.filter(live, patient=patient).values("arm")[:1]),
        )
    )
    enrolled = Q(status=PatientStatus.ENROLLED)
    return list(
        patients.order_by()
        .values("site")
        .annotate(
            screened=Count("pk"),
            screen_failed=Count("pk", filter=Q(status=PatientStatus.SCREEN_FAILED)),
            enrolled=Count("pk", filter=enrolled),
            dex=Count("pk", filter=Q(arm=Arm.DEXAMETHASONE)),
            ctrl=Count("pk", filter=Q(arm=Arm.CONTROL)),
            no_mutations=Count("pk", filter=enrolled & Q(has_mutations=False)),
            no_cycles=Count("pk", filter=Q(is_randomized=True, has_cycles=False)),
        )
    )


def _visit_counts(user: User) -> list[dict[str, int]]:
    visits = Visit.objects.for_user(user, Action.VIEW_REPORTS).filter(entered_in_error=False)
    return list(
        visits.order_by()
        .values(site=F("patient__site"))
        .annotate(
            visits_overdue=Count("pk", filter=Q(status=VisitStatus.OVERDUE)),
            visits_missed=Count("pk", filter=Q(status=VisitStatus.MISSED)),
        )
    )


def _sae_counts(user: User, now: dt.datetime) -> list[dict[str, int]]:
    events = AdverseEvent.objects.for_user(user, Action.VIEW_REPORTS).filter(
        serious=True, entered_in_error=False, report_due_at__lt=now, reported_at__isnull=True
    )
    return list(events.order_by().values(site=F("patient__site")).annotate(sae_overdue=Count("pk")))


def strata_balance(user: User) -> list[StratumRow]:
    """Randomised patients by stratum (as randomised, ITT) and arm."""
    rows = (
        Randomization.objects.for_user(user, Action.VIEW_REPORTS)
        .filter(entered_in_error=False)
        .order_by("stratum_regimen", "stratum_disease_status")
        .values("stratum_regimen", "stratum_disease_status")
        .annotate(
            dex=Count("pk", filter=Q(arm=Arm.DEXAMETHASONE)),
            ctrl=Count("pk", filter=Q(arm=Arm.CONTROL)),
        )
    )
    return [
        StratumRow(r["stratum_regimen"], r["stratum_disease_status"], r["dex"], r["ctrl"])
        for r in rows
    ]


PATIENT_FIELDS = [
    "screened",
    "screen_failed",
    "enrolled",
    "dex",
    "ctrl",
    "no_mutations",
    "no_cycles",
]
VISIT_FIELDS = ["visits_overdue", "visits_missed"]


def trial_dashboard(*, user: User, now: dt.datetime) -> Dashboard:
    """Enrolment and arms by site, balance by stratum, and what is missing or late by site."""
    rows = _site_rows(user)
    _add(rows, _patient_counts(user), PATIENT_FIELDS)
    _add(rows, _visit_counts(user), VISIT_FIELDS)
    _add(rows, _sae_counts(user, now), ["sae_overdue"])
    dashboard = Dashboard(sites=list(rows.values()), strata=strata_balance(user))
    for row in dashboard.sites:
        for name in [*PATIENT_FIELDS, *VISIT_FIELDS, "sae_overdue"]:
            setattr(dashboard.totals, name, getattr(dashboard.totals, name) + getattr(row, name))
    return dashboard
