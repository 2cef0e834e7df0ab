"""Tables of the trial report at a cut-off: Table 1, CONSORT flow, secondary endpoints.

Pure functions on plain dataclasses (filled by `gather.py`): no ORM, no clock.

- Table 1: baseline characteristics of every randomised patient by arm (intention to treat):
  n (%) for categories, median (min–max) for continuous values over the patients measured.
- CONSORT 2010 flow: screened → not eligible (with reasons) → randomised per arm → received
  the allocated treatment (at least one cycle) → discontinued (end-of-treatment reasons other
  than completed), lost to follow-up, withdrawn → analysed (all randomised, ITT).
- Rates with a two-sided 95% Clopper–Pearson (exact binomial) confidence interval.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_noop

from analysis.derive import AdverseEventRow, Rate

TOTAL = "Total"
# The words of Table 1 are written in English (the report is the trial's file) and marked for
# the catalogue: the page shows them in the reader's language (analysis/labels.py).
PATIENTS, N, MEDIAN_RANGE = (
    gettext_noop("Patients"),
    gettext_noop("N"),
    gettext_noop("Median (min–max)"),
)
NOT_RECORDED = gettext_noop("Not recorded")
MUTATION_ROW = gettext_noop("%(gene)s mutation")


@dataclass(frozen=True)
class BaselineFacts:
    """Baseline of one randomised patient, as plain values (display labels for categories)."""

    patient_id: int
    arm: str
    sex: str
    age: int
    disease_status: str
    regimen: str
    cytogenetic_risk: str
    ecog: int
    wbc: Decimal | None
    blood_blast_pct: Decimal | None
    marrow_blast_pct: Decimal | None
    mutations: dict[str, str] = field(default_factory=dict)  # gene → result label


@dataclass(frozen=True)
class Table1Row:
    characteristic: str
    category: str
    cells: dict[str, str]  # arm (and "Total") → "n (x.x%)" or "median (min–max)"


CATEGORICAL = (
    (gettext_noop("Sex"), "sex"),
    (gettext_noop("Disease status"), "disease_status"),
    (gettext_noop("Planned salvage regimen"), "regimen"),
    (gettext_noop("Cytogenetic risk (ELN 2017)"), "cytogenetic_risk"),
    (gettext_noop("ECOG performance status"), "ecog"),
)
CONTINUOUS = (
    (gettext_noop("Age (years)"), "age"),
    (gettext_noop("WBC (×10⁹/L)"), "wbc"),
    (gettext_noop("Peripheral blood blasts (%)"), "blood_blast_pct"),
    (gettext_noop("Bone marrow blasts (%)"), "marrow_blast_pct"),
)


def _count(k: int, n: int) -> str:
    return f"{k} ({100 * k / n:.1f}%)" if n else "0"


def _number(value: float) -> str:
    return f"{value:g}"


def _median_range(values: list[float]) -> str:
    if not values:
        return "—"
    median, low, high = statistics.median(values), min(values), max(values)
    return f"{_number(median)} ({_number(low)}–{_number(high)})"


def _groups(patients: list[BaselineFacts], arms: list[str]) -> dict[str, list[BaselineFacts]]:
    groups = {arm: [p for p in patients if p.arm == arm] for arm in arms}
    return {**groups, TOTAL: list(patients)}


def _categorical_rows(name: str, values: dict[str, list[str]], order: list[str]) -> list[Table1Row]:
    return [
        Table1Row(
            name,
            category,
            {g: _count(v.count(category), len(v)) for g, v in values.items()},
        )
        for category in order
    ]


def table1(patients: list[BaselineFacts], arms: list[str]) -> list[Table1Row]:
    """Baseline characteristics by arm; `arms` orders the columns (a Total column follows)."""
    groups = _groups(patients, arms)
    rows = [Table1Row(PATIENTS, N, {g: str(len(v)) for g, v in groups.items()})]
    for name, attr in CONTINUOUS:
        cells = {
            g: _median_range([float(x) for p in v if (x := getattr(p, attr)) is not None])
            for g, v in groups.items()
        }
        rows.append(Table1Row(name, MEDIAN_RANGE, cells))
    for name, attr in CATEGORICAL:
        values = {g: [str(getattr(p, attr)) for p in v] for g, v in groups.items()}
        rows += _categorical_rows(name, values, sorted(set(values[TOTAL])))
    genes = sorted({gene for p in patients for gene in p.mutations})
    for gene in genes:
        values = {g: [p.mutations.get(gene, NOT_RECORDED) for p in v] for g, v in groups.items()}
        name = MUTATION_ROW % {"gene": gene}
        rows += _categorical_rows(name, values, sorted(set(values[TOTAL])))
    return rows


@dataclass(frozen=True)
class ConsortFacts:
    """One screened patient's path through the trial, as of the cut-off."""

    patient_id: int
    screen_failure_reason: str | None  # a label when the patient failed screening
    arm: str | None  # None when not randomised
    cycles: int = 0
    end_of_treatment_reason: str | None = None  # a label, None when not ended
    completed: bool = False
    lost_to_follow_up: bool = False
    withdrawn: bool = False
    in_screening: bool = False  # neither failed nor found eligible by the cut-off


@dataclass(frozen=True)
class ArmFlow:
    arm: str
    randomized: int
    received_allocated: int
    discontinued: int
    discontinued_reasons: dict[str, int]
    lost_to_follow_up: int
    withdrawn: int
    analysed: int


@dataclass(frozen=True)
class Consort:
    screened: int
    not_eligible: int
    not_eligible_reasons: dict[str, int]
    not_randomized: int  # found eligible but not randomised by the cut-off
    in_screening: int  # still being screened at the cut-off: neither failed nor eligible yet
    arms: list[ArmFlow]


def _arm_flow(arm: str, patients: list[ConsortFacts]) -> ArmFlow:
    stopped = [p for p in patients if p.end_of_treatment_reason and not p.completed]
    reasons = Counter(str(p.end_of_treatment_reason) for p in stopped)
    return ArmFlow(
        arm=arm,
        randomized=len(patients),
        received_allocated=sum(p.cycles >= 1 for p in patients),
        discontinued=len(stopped),
        discontinued_reasons=dict(sorted(reasons.items())),
        lost_to_follow_up=sum(p.lost_to_follow_up for p in patients),
        withdrawn=sum(p.withdrawn for p in patients),
        analysed=len(patients),  # intention to treat: every randomised patient
    )


def consort(patients: list[ConsortFacts], arms: list[str]) -> Consort:
    failures = [p for p in patients if p.screen_failure_reason]
    randomized = [p for p in patients if p.arm]
    screening = [p for p in patients if p.in_screening and not p.arm]
    reasons = Counter(str(p.screen_failure_reason) for p in failures)
    return Consort(
        screened=len(patients),
        not_eligible=len(failures),
        not_eligible_reasons=dict(sorted(reasons.items())),
        not_randomized=len(patients) - len(failures) - len(randomized) - len(screening),
        in_screening=len(screening),
        arms=[_arm_flow(arm, [p for p in randomized if p.arm == arm]) for arm in arms],
    )


def consort_rows(flow: Consort) -> list[dict[str, object]]:
    """The flow as long rows: stage, arm ("" for before randomisation), reason, n."""
    rows: list[dict[str, object]] = [
        {"stage": "Screened", "arm": "", "reason": "", "n": flow.screened},
        {"stage": "Not eligible", "arm": "", "reason": "", "n": flow.not_eligible},
    ]
    rows += [
        {"stage": "Not eligible", "arm": "", "reason": r, "n": n}
        for r, n in flow.not_eligible_reasons.items()
    ]
    rows.append({"stage": "Not randomised", "arm": "", "reason": "", "n": flow.not_randomized})
    rows.append({"stage": "Still being screened", "arm": "", "reason": "", "n": flow.in_screening})
    for a in flow.arms:
        for stage, n in (
            ("Randomised", a.randomized),
            ("Received allocated treatment", a.received_allocated),
            ("Discontinued treatment", a.discontinued),
        ):
            rows.append({"stage": stage, "arm": a.arm, "reason": "", "n": n})
        rows += [
            {"stage": "Discontinued treatment", "arm": a.arm, "reason": r, "n": n}
            for r, n in a.discontinued_reasons.items()
        ]
        for stage, n in (
            ("Lost to follow-up", a.lost_to_follow_up),
            ("Withdrawn", a.withdrawn),
            ("Analysed (ITT)", a.analysed),
        ):
            rows.append({"stage": stage, "arm": a.arm, "reason": "", "n": n})
    return rows


@dataclass(frozen=True)
class RateCi:
    """A proportion with its two-sided 95% Clopper–Pearson (exact) confidence interval, in %."""

    arm: str
    n: int
    events: int
    percent: float
    lower: float
    upper: float


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact binomial interval for k successes out of n (0–1); (0, 1) when n is 0."""
    # Imported here: the modules that read the database import this one for its dataclasses,
    # and the dataset exports that never draw an interval need not load scipy (70 MB, 2 s).
    from scipy.stats import beta

    if n == 0:
        return 0.0, 1.0
    alpha = 1 - level
    lower = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    upper = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lower, upper


def rates_with_ci(rates: list[Rate]) -> list[RateCi]:
    out = []
    for r in rates:
        lower, upper = clopper_pearson(r.events, r.n)
        out.append(
            RateCi(r.arm, r.n, r.events, r.percent, round(100 * lower, 1), round(100 * upper, 1))
        )
    return out


def adverse_event_rows(rows: list[AdverseEventRow]) -> list[dict[str, object]]:
    """Patients by arm, term and worst grade (1–5), one row per arm and term."""
    return [
        {
            "arm": r.arm,
            "term": r.term,
            "patients": r.patients,
            **{f"grade_{g}": r.by_worst_grade.get(g, 0) for g in range(1, 6)},
            "grade_3_or_worse": sum(n for g, n in r.by_worst_grade.items() if g >= 3),
        }
        for r in rows
    ]
