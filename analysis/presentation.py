"""The estimates as the pages and figures show them: rows per endpoint, subgroup or arm, with the
numbers formatted once (times in months, hazard ratios to 2 decimals, p-values to 4)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from analysis.derive import DAYS_PER_MONTH
from analysis.inference import (
    ANALYSED_ENDPOINTS,
    ARM_LABELS,
    COMPARISON,
    CONTROL,
    TIMEPOINTS_MONTHS,
    TREATMENT,
    Estimate,
)
from analysis.labels import label_now
from analysis.relapse import ENDPOINT as RELAPSE_ENDPOINT
from analysis.relapse import TIMEPOINTS_MONTHS as RELAPSE_MONTHS
from analysis.subgroups import subgroups, subgroups_shown


def p_text(p: float | None) -> str:
    return "—" if p is None else ("< 0.0001" if p < 0.0001 else f"{p:.4f}")


def hr_text(e: Estimate | None) -> str:
    if e is None or e.estimate is None or e.lower is None or e.upper is None:
        return _("not estimable")
    return f"{e.estimate:.2f} ({e.lower:.2f}–{e.upper:.2f})"


def _months(days: float | None) -> str:
    return _("NR") if days is None else f"{days / DAYS_PER_MONTH:.1f}"


def median_text(e: Estimate | None) -> str:
    """Median (95% CI) in months; NR where not reached."""
    if e is None:
        return "—"
    return f"{_months(e.estimate)} ({_months(e.lower)}–{_months(e.upper)})"


def percent_text(e: Estimate | None) -> str:
    if e is None or e.estimate is None:
        return "—"
    limits = (
        f" ({100 * e.lower:.1f}–{100 * e.upper:.1f})"
        if e.lower is not None and e.upper is not None
        else ""
    )
    return f"{100 * e.estimate:.1f}{limits}"


def _index(estimates: list[Estimate]) -> dict[tuple[str, str, str], Estimate]:
    return {(e.endpoint, e.analysis, e.group): e for e in estimates}


@dataclass(frozen=True)
class EffectRow:
    """One endpoint's comparison of the arms: the HR table of the pages."""

    paramcd: str
    title: str
    n: int | None
    events: int | None
    hr: str
    hr_p: str
    hr_stratified: str
    hr_stratified_p: str
    logrank_p: str
    logrank_stratified_p: str
    zph_p: str
    zph_stratified_p: str


def effect_rows(estimates: list[Estimate]) -> list[EffectRow]:
    index = _index(estimates)
    rows = []
    for paramcd, title in ANALYSED_ENDPOINTS.items():

        def get(analysis: str, code: str = paramcd) -> Estimate | None:
            return index.get((code, analysis, COMPARISON))

        hr = get("cox_hr")
        rows.append(
            EffectRow(
                paramcd=paramcd,
                title=label_now(title),
                n=hr.n if hr else None,
                events=hr.events if hr else None,
                hr=hr_text(hr),
                hr_p=p_text(hr.p if hr else None),
                hr_stratified=hr_text(get("cox_hr_stratified")),
                hr_stratified_p=p_text(getattr(get("cox_hr_stratified"), "p", None)),
                logrank_p=p_text(getattr(get("logrank"), "p", None)),
                logrank_stratified_p=p_text(getattr(get("logrank_stratified"), "p", None)),
                zph_p=p_text(getattr(get("cox_zph"), "p", None)),
                zph_stratified_p=p_text(getattr(get("cox_zph_stratified"), "p", None)),
            )
        )
    return rows


@dataclass(frozen=True)
class SurvivalRow:
    """One arm of one endpoint: medians with both interval types, survival at 12 and 24 months."""

    paramcd: str
    arm: str
    n: int | None
    events: int | None
    median_loglog: str
    median_log: str
    survival: list[str]


def survival_rows(estimates: list[Estimate]) -> list[SurvivalRow]:
    index = _index(estimates)
    rows = []
    for paramcd in ANALYSED_ENDPOINTS:
        for arm in (TREATMENT, CONTROL):
            median = index.get((paramcd, "km_median", arm))
            if median is None:
                continue
            rows.append(
                SurvivalRow(
                    paramcd=paramcd,
                    arm=str(ARM_LABELS[arm]),
                    n=median.n,
                    events=median.events,
                    median_loglog=median_text(median),
                    median_log=median_text(index.get((paramcd, "km_median_ci_log", arm))),
                    survival=[
                        percent_text(index.get((paramcd, f"km_survival_{m}m", arm)))
                        for m in TIMEPOINTS_MONTHS
                    ],
                )
            )
    return rows


@dataclass(frozen=True)
class SubgroupRow:
    """A heading (a subgroup and its interaction test) or a level with its hazard ratio."""

    label: str
    heading: bool
    estimate: Estimate | None
    n: int | None
    events: int | None
    hr: str
    p: str


def subgroup_rows(estimates: list[Estimate], paramcd: str) -> list[SubgroupRow]:
    """All patients (stratified Cox), then each subgroup: its heading, then its levels."""
    index = _index(estimates)
    overall = index.get((paramcd, "cox_hr_stratified", COMPARISON))
    rows = [_level_row(_("All patients (stratified Cox)"), overall)]
    # The estimates are keyed by the levels as the datasets name them (a cytogenetic risk by its
    # English label); the rows show them in the reader's language.
    for sub, shown in zip(subgroups(), subgroups_shown(), strict=True):
        interaction = index.get((paramcd, "subgroup_interaction", sub.column))
        p = p_text(interaction.p if interaction else None)
        rows.append(SubgroupRow(shown.label, True, None, None, None, "", p))
        for value, label in zip(sub.levels, shown.levels.values(), strict=True):
            rows.append(
                _level_row(label, index.get((paramcd, "subgroup_hr", f"{sub.column}={value}")))
            )
    return rows


def _level_row(label: str, e: Estimate | None) -> SubgroupRow:
    return SubgroupRow(
        label=label,
        heading=False,
        estimate=e,
        n=e.n if e else None,
        events=e.events if e else None,
        hr=hr_text(e),
        p=p_text(e.p if e else None),
    )


@dataclass(frozen=True)
class RelapseRow:
    arm: str
    n: int | None
    relapses: int | None
    deaths_in_remission: int | None
    relapse: list[str]  # % (95% CI) at each of RELAPSE_MONTHS
    death_in_remission: list[str]


def relapse_rows(estimates: list[Estimate]) -> list[RelapseRow]:
    index = _index(estimates)
    rows = []
    for arm in (TREATMENT, CONTROL):
        first = index.get((RELAPSE_ENDPOINT, f"cir_{RELAPSE_MONTHS[0]}m", arm))
        if first is None:
            continue
        nrm = index.get((RELAPSE_ENDPOINT, f"nrm_{RELAPSE_MONTHS[0]}m", arm))
        rows.append(
            RelapseRow(
                arm=str(ARM_LABELS[arm]),
                n=first.n,
                relapses=first.events,
                deaths_in_remission=nrm.events if nrm else None,
                relapse=[
                    percent_text(index.get((RELAPSE_ENDPOINT, f"cir_{m}m", arm)))
                    for m in RELAPSE_MONTHS
                ],
                death_in_remission=[
                    percent_text(index.get((RELAPSE_ENDPOINT, f"nrm_{m}m", arm)))
                    for m in RELAPSE_MONTHS
                ],
            )
        )
    return rows


def gray_tests(estimates: list[Estimate]) -> list[Estimate]:
    return [e for e in estimates if e.endpoint == RELAPSE_ENDPOINT and e.group == COMPARISON]


def gray_test_title(e: Estimate) -> str:
    """The test as the reader's language names it (the cached report and estimates.csv hold
    its English method); the stratification factors stay their ADTTE variable names."""
    factors = e.method.partition(", stratified by ")[2]
    if e.analysis == "gray_test_stratified" and factors:
        return _(
            "Gray's test of the cumulative incidence of relapse (rho 0), stratified by %(factors)s"
        ) % {"factors": factors}
    return _("Gray's test of the cumulative incidence of relapse (rho 0)")
