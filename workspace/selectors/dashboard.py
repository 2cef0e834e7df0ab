"""The data manager's dashboard: enrolment, balance and data completeness, trial-wide.

Counts are aggregated in the database, one query per table, over the sites the user may see
in reports (`Action.VIEW_REPORTS`). Each count is defined once here (a condition on annotated
patients, visits or adverse events), and the patient-level listing behind it
(workspace/selectors/listings.py) filters with the very same condition, so a count and its
listing never disagree.

The counts read every patient of the trial, so they are kept in Django's cache, keyed by the
version of the records they count (trial/versions.py: any save of such a record makes a new
key, so a change shows at once and nothing stale is shown) and by the sites the user may see.
Only the overdue SAE reports depend on the time as well: they are counted on each load, from
the few serious events whose report is missing. A dashboard's `version` names all it shows (the
counts' key and the SAE counts), so the page keeps its rendered tables by it as well.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass, field, replace
from functools import reduce

from django.core.cache import cache
from django.db.models import Count, Exists, F, Model, OuterRef, Q, QuerySet, Subquery
from simple_history.utils import get_history_model_for_model

from cleaning.models import DataQuery
from cleaning.selectors import unresolved_by_site
from followup.models import Visit, VisitStatus
from randomization.models import Arm, Randomization
from treatment.models import AdverseEvent, Cycle
from trial.models import (
    Baseline,
    BaselineMutation,
    DiseaseStatus,
    Patient,
    PatientStatus,
    Regimen,
    Site,
    User,
)
from trial.permissions import Action
from trial.versions import history_version


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
    open_queries: int = 0
    site_id: int | None = None
    urls: dict[str, str] = field(default_factory=dict)  # count → the listing behind it

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
            + self.open_queries
        )


@dataclass(frozen=True)
class StratumRow:
    regimen: str
    disease_status: str
    dex: int
    ctrl: int

    @property
    def regimen_label(self) -> str:
        return str(dict(Regimen.choices).get(self.regimen, self.regimen))

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
    version: str = ""  # changes with any count shown, for the scope shown (a cache key's part)


def _site_rows(user: User) -> dict[int, SiteRow]:
    site_ids = user.site_ids_for(Action.VIEW_REPORTS)
    sites = Site.objects.order_by("code")
    if site_ids is not None:
        sites = sites.filter(pk__in=site_ids)
    return {s.pk: SiteRow(s.code, s.name, site_id=s.pk) for s in sites}


def _add(rows: dict[int, SiteRow], counts: list[dict[str, int]], names: list[str]) -> None:
    for count in counts:
        row = rows.get(count["site"])
        if row is None:
            continue
        for name in names:
            setattr(row, name, getattr(row, name) + count.get(name, 0))


_LIVE = Q(entered_in_error=False)
_ENROLLED = Q(status=PatientStatus.ENROLLED)

# Each patient count of the dashboard: its condition on `dashboard_patients(...)`.
PATIENT_CONDITIONS: dict[str, Q] = {
    "screened": Q(),
    "screen_failed": Q(status=PatientStatus.SCREEN_FAILED),
    "enrolled": _ENROLLED,
    "randomized": Q(is_randomized=True),
    "dex": Q(is_dex=True),
    "ctrl": Q(is_ctrl=True),
    "no_mutations": _ENROLLED & Q(has_mutations=False),
    "no_cycles": Q(is_randomized=True, has_cycles=False),
}
# Each visit count: its condition on live visits.
VISIT_CONDITIONS: dict[str, Q] = {
    "visits_overdue": Q(status=VisitStatus.OVERDUE),
    "visits_missed": Q(status=VisitStatus.MISSED),
}


def dashboard_patients(user: User) -> QuerySet[Patient]:
    """The live patients of the user's report sites, annotated for PATIENT_CONDITIONS."""
    patient = OuterRef("pk")
    return (
        Patient.objects.for_user(user, Action.VIEW_REPORTS)
        .filter(_LIVE)
        .annotate(
            has_mutations=Exists(
                BaselineMutation.objects.filter(
                    _LIVE, baseline__patient=patient, baseline__draft=False
                )
            ),
            has_cycles=Exists(Cycle.objects.filter(_LIVE, patient=patient)),
            is_randomized=Exists(Randomization.objects.filter(_LIVE, patient=patient)),
            arm=Subquery(Randomization.objects.filter(_LIVE, patient=patient).values("arm")[:1]),
            # The arms as Exists too: in WHERE, a join rather than a lookup for every patient.
            is_dex=Exists(
                Randomization.objects.filter(_LIVE, patient=patient, arm=Arm.DEXAMETHASONE)
            ),
            is_ctrl=Exists(Randomization.objects.filter(_LIVE, patient=patient, arm=Arm.CONTROL)),
        )
    )


def dashboard_visits(user: User) -> QuerySet[Visit]:
    return Visit.objects.for_user(user, Action.VIEW_REPORTS).filter(_LIVE)


def sae_reports_overdue(user: User, now: dt.datetime) -> QuerySet[AdverseEvent]:
    """Serious events whose report deadline passed without a report recorded."""
    return AdverseEvent.objects.for_user(user, Action.VIEW_REPORTS).filter(
        _LIVE, serious=True, report_due_at__lt=now, reported_at__isnull=True
    )


def _patient_counts(user: User) -> list[dict[str, int]]:
    """One grouped count per condition, the condition in WHERE: there the database joins the
    related records once (a semi- or anti-join) instead of probing them for every patient of
    the trial, as conditions inside one aggregate made it do (bench/run load)."""
    patients = dashboard_patients(user).order_by()
    out: list[dict[str, int]] = []
    for name, condition in PATIENT_CONDITIONS.items():
        if name == "randomized":  # the dashboard adds the arms
            continue
        counted = patients.filter(condition).values("site").annotate(**{name: Count("pk")})
        out += list(counted)
    return out


def _visit_counts(user: User) -> list[dict[str, int]]:
    # Only the visits some count counts, found through the index on the status.
    wanted = reduce(operator.or_, VISIT_CONDITIONS.values())
    counts = {name: Count("pk", filter=q) for name, q in VISIT_CONDITIONS.items()}
    return list(
        dashboard_visits(user)
        .filter(wanted)
        .order_by()
        .values(site=F("patient__site"))
        .annotate(**counts)
    )


def _sae_counts(user: User, now: dt.datetime) -> list[dict[str, int]]:
    events = sae_reports_overdue(user, now)
    return list(events.order_by().values(site=F("patient__site")).annotate(sae_overdue=Count("pk")))


def _query_counts(user: User) -> list[dict[str, int]]:
    counts = unresolved_by_site(user, Action.VIEW_REPORTS)
    return [{"site": site, "open_queries": n} for site, n in counts.items()]


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


# The records the cached counts read: a save of any of them changes the cache key.
COUNTED: tuple[type[Model], ...] = (
    Site,
    Patient,
    Baseline,
    BaselineMutation,
    Randomization,
    Cycle,
    Visit,
    DataQuery,
)
CACHE_SECONDS = 24 * 60 * 60  # a key unused for a day goes (a new version makes a new key)


def counts_version() -> str:
    """The version of the records the dashboard counts (one query a table)."""
    return history_version([get_history_model_for_model(m) for m in COUNTED])


def _counted(user: User) -> Dashboard:
    """Enrolment, arms, visits and queries by site, and balance by stratum (no SAE counts)."""
    rows = _site_rows(user)
    _add(rows, _patient_counts(user), PATIENT_FIELDS)
    _add(rows, _visit_counts(user), VISIT_FIELDS)
    _add(rows, _query_counts(user), ["open_queries"])
    return Dashboard(sites=list(rows.values()), strata=strata_balance(user))


def _cached_counts(user: User) -> tuple[str, Dashboard]:
    """The counts' cache key and the counts (kept by it)."""
    site_ids = user.site_ids_for(Action.VIEW_REPORTS)
    scope = "all" if site_ids is None else ",".join(map(str, sorted(site_ids)))
    key = f"workspace:dashboard:{counts_version()}:{scope}"
    board: Dashboard | None = cache.get(key)
    if board is None:
        board = _counted(user)
        cache.set(key, board, CACHE_SECONDS)
    return key, board


def trial_dashboard(*, user: User, now: dt.datetime) -> Dashboard:
    """Enrolment and arms by site, balance by stratum, and what is missing or late by site."""
    key, board = _cached_counts(user)
    overdue = _sae_counts(user, now)
    rows = {row.site_id: replace(row, urls={}) for row in board.sites if row.site_id is not None}
    _add(rows, overdue, ["sae_overdue"])
    version = f"{key}:{sorted((c['site'], c['sae_overdue']) for c in overdue)}"
    dashboard = Dashboard(sites=list(rows.values()), strata=list(board.strata), version=version)
    for row in dashboard.sites:
        for name in [*PATIENT_FIELDS, *VISIT_FIELDS, "sae_overdue", "open_queries"]:
            setattr(dashboard.totals, name, getattr(dashboard.totals, name) + getattr(row, name))
    return dashboard
