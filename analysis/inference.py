"""The primary analysis at a cut-off, from the ADTTE rows (PROTOCOL.md "Statistical analysis").

Pure functions of the ADTTE frame that `datasets.adtte_frame` builds and the exports write, so
that R run on the exported CSV gives the same numbers (tests/analysis/test_against_r.py):

- per endpoint (OS, its transplant-censored sensitivity analysis OSTC, EFS) and arm: the
  Kaplan–Meier median and survival at 12 and 24 months with 95% CIs (`km.py`: R's rules);
- the log-rank test, unstratified and stratified by the randomisation factors
  (statsmodels' survdiff, as R's `survdiff(... + strata(...))`);
- the Cox hazard ratio dexamethasone vs control with its 95% CI and Wald p, unstratified and
  stratified (Efron ties, as R's coxph: `cox.py`), each with R's `cox.zph` test of proportional hazards;
- the subgroup hazard ratios and interaction tests of OS and EFS (`subgroups.py`);
- the cumulative incidence of relapse after CR/CRi with death in remission as the competing
  event (`relapse.py`).

Every number is an `Estimate`, one row of the tidy estimates file. Times are in days (AVAL), as
R reads them; the pages show months.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

import numpy as np
import pandas as pd
from django.utils.translation import gettext_noop
from statsmodels.duration.survfunc import survdiff

from analysis import km
from analysis.cox import cox_fit, cox_zph
from analysis.derive import DAYS_PER_MONTH
from randomization.models import Arm

TREATMENT, CONTROL = Arm.DEXAMETHASONE.value, Arm.CONTROL.value
ARM_LABELS = dict(Arm.choices)
COMPARISON = f"{TREATMENT} vs {CONTROL}"
# Written in English (the estimates' file); marked for the pages (analysis/labels.py).
ANALYSED_ENDPOINTS = {
    "OS": gettext_noop("Overall survival"),
    "OSTC": gettext_noop("Overall survival censored at transplant (sensitivity analysis)"),
    "EFS": gettext_noop("Event-free survival"),
}
TIMEPOINTS_MONTHS = (12, 24)
# The ADTTE column of each randomisation factor (randomization.allocation.FACTORS).
STRATUM_COLUMNS = {"regimen": "STRREG", "disease_status": "STRDIS", "site": "SITEID"}
CONF_METHOD = {
    "log-log": 'Greenwood, conf.type "log-log" (stated)',
    "log": 'Greenwood, conf.type "log" (R default)',
}


@dataclass(frozen=True)
class Estimate:
    """One row of estimates.csv. `group` is an arm code, a comparison or `COLUMN=value`."""

    endpoint: str
    analysis: str
    group: str
    estimate: float | None = None
    lower: float | None = None
    upper: float | None = None
    p: float | None = None
    method: str = ""
    label: str = ""
    statistic: float | None = None
    df: int | None = None
    n: int | None = None
    events: int | None = None
    unit: str = ""


ESTIMATE_COLUMNS = [f.name for f in fields(Estimate)]


def strata_columns(factors: list[str]) -> list[str]:
    return [STRATUM_COLUMNS[f] for f in factors if f in STRATUM_COLUMNS]


def endpoint_rows(adtte: pd.DataFrame, paramcd: str) -> pd.DataFrame:
    """The rows of one parameter with T (days), E (1 event, 0 censored), TRT (1 dexamethasone)."""
    rows = adtte[adtte.PARAMCD.eq(paramcd)].copy()
    rows["T"] = rows.AVAL.astype(float)
    rows["E"] = rows.CNSR.eq(0).astype(int)
    rows["TRT"] = rows.ARMCD.eq(TREATMENT).astype(int)
    return rows.reset_index(drop=True)


def _arms(rows: pd.DataFrame) -> list[str]:
    return [arm for arm in (TREATMENT, CONTROL) if arm in set(rows.ARMCD)]


def _arm_estimates(curve: km.Curve, paramcd: str, arm: str, conf_type: str) -> list[Estimate]:
    suffix = "" if conf_type == "log-log" else "_ci_log"
    base = Estimate(endpoint=paramcd, analysis="", group=arm, label=str(ARM_LABELS[arm]))
    median = km.km_median(curve, conf_type)
    out = [
        replace(
            base,
            analysis=f"km_median{suffix}",
            estimate=median.estimate,
            lower=median.lower,
            upper=median.upper,
            n=curve.n,
            events=curve.events,
            method=f"Kaplan–Meier median, R survival rule; 95% CI {CONF_METHOD[conf_type]}",
            unit="days",
        )
    ]
    for months in TIMEPOINTS_MONTHS:
        at = km.survival_at(curve, months * DAYS_PER_MONTH, conf_type)
        out.append(
            replace(
                base,
                analysis=f"km_survival_{months}m{suffix}",
                estimate=at.estimate,
                lower=at.lower,
                upper=at.upper,
                method=f"Kaplan–Meier S({months * DAYS_PER_MONTH:g} days); 95% CI "
                f"{CONF_METHOD[conf_type]}",
                unit="probability",
            )
        )
    return out


def km_estimates(rows: pd.DataFrame, paramcd: str) -> list[Estimate]:
    """Median and survival at 12 and 24 months per arm, with either type of interval."""
    out: list[Estimate] = []
    for arm in _arms(rows):
        arm_rows = rows[rows.ARMCD.eq(arm)]
        curve = km.km_curve(arm_rows["T"].to_numpy(), arm_rows["E"].to_numpy())
        for conf_type in km.CONF_TYPES:
            out += _arm_estimates(curve, paramcd, arm, conf_type)
    return out


def stratum_key(rows: pd.DataFrame, strata: list[str]) -> np.ndarray | None:
    """One label per row for the combination of its strata (R's `strata(A, B)`)."""
    if not strata:
        return None
    labels = rows[strata[0]].astype(str)
    for column in strata[1:]:  # column by column: a row-wise join is seconds at 100,000 rows
        labels = labels.str.cat(rows[column].astype(str), sep="|")
    return labels.to_numpy()


def _stratified_by(strata: list[str]) -> str:
    return f", stratified by {', '.join(strata)}" if strata else ""


def logrank_estimate(rows: pd.DataFrame, paramcd: str, strata: list[str]) -> Estimate:
    """The log-rank test of the two arms; stratified when `strata` names columns."""
    test = Estimate(
        endpoint=paramcd,
        analysis="logrank_stratified" if strata else "logrank",
        group=COMPARISON,
        method=f"Log-rank test{_stratified_by(strata)}",
        n=len(rows),
        events=int(rows.E.sum()),
    )
    if len(_arms(rows)) < 2 or rows.E.sum() == 0:
        return test
    try:
        chisq, p = survdiff(
            rows["T"].to_numpy(),
            rows["E"].to_numpy(),
            rows["ARMCD"].to_numpy(),
            strata=stratum_key(rows, strata),
        )
    except np.linalg.LinAlgError:  # no variance: every event where only one arm is at risk
        return test
    return replace(test, statistic=float(chisq), df=1, p=float(p))


def cox_estimates(rows: pd.DataFrame, paramcd: str, strata: list[str]) -> list[Estimate]:
    """HR dexamethasone vs control (Efron ties) and the cox.zph test of the same model."""
    suffix = "_stratified" if strata else ""
    base = Estimate(
        endpoint=paramcd, analysis="", group=COMPARISON, n=len(rows), events=int(rows.E.sum())
    )
    hr = replace(
        base,
        analysis=f"cox_hr{suffix}",
        method=f"Cox proportional hazards, Efron ties{_stratified_by(strata)}; Wald 95% CI and p",
        unit="hazard ratio",
    )
    zph = replace(
        base,
        analysis=f"cox_zph{suffix}",
        method="Score test of proportional hazards (R cox.zph, transform km)"
        f"{_stratified_by(strata)}",
    )
    fit = cox_fit(rows, ["TRT"], strata)
    if fit is None:
        return [hr, zph]
    hr = replace(hr, estimate=fit.hr, lower=fit.lower, upper=fit.upper, p=fit.p)
    test = cox_zph(
        rows["T"].to_numpy(),
        rows["E"].to_numpy(),
        rows[["TRT"]].to_numpy(),
        np.array([fit.coef]),
        stratum_key(rows, strata),
    )
    if test is None:
        return [hr, zph]
    return [hr, replace(zph, statistic=test.chisq, df=test.df, p=test.p)]


def endpoint_estimates(adtte: pd.DataFrame, paramcd: str, strata: list[str]) -> list[Estimate]:
    rows = endpoint_rows(adtte, paramcd)
    return [
        *km_estimates(rows, paramcd),
        logrank_estimate(rows, paramcd, []),
        logrank_estimate(rows, paramcd, strata),
        *cox_estimates(rows, paramcd, []),
        *cox_estimates(rows, paramcd, strata),
    ]


def estimates_frame(estimates: list[Estimate]) -> pd.DataFrame:
    return pd.DataFrame([asdict(e) for e in estimates], columns=ESTIMATE_COLUMNS)
