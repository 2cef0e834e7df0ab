"""Cumulative incidence of relapse after CR/CRi, death in remission competing (PROTOCOL.md
"Statistical analysis").

Built on the RFS rows of the ADTTE (origin the first CR/CRi, AVAL in days): a relapse ends the
row as the event of interest, a death without relapse as the competing event. Which kind of
event a row ends with is decided in one place, `competing_status`, from the row's event type,
so a change of where relapses are recorded changes the derivation of the RFS rows, not this.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from django.utils.translation import gettext_noop

from analysis.competing import (
    CAUSE,
    CENSORED,
    COMPETING,
    cumulative_incidence,
    gray_test,
    incidence_interval,
)
from analysis.derive import DAYS_PER_MONTH
from analysis.inference import ARM_LABELS, COMPARISON, CONTROL, TREATMENT, Estimate, stratum_key

ENDPOINT = "CIR"
RELAPSE, DEATH = "Relapse", "Death"
# Each cause's code and name: the estimates' methods keep the name in English, the figure
# draws it in its language.
CAUSES = {
    CAUSE: ("cir", gettext_noop("relapse")),
    COMPETING: ("nrm", gettext_noop("death in remission")),
}
TIMEPOINTS_MONTHS = (6, 12, 24)  # from CR/CRi: most relapses of R/R AML come in the first year


def competing_status(event_type: str, censored: bool) -> int:
    """1 for a relapse, 2 for a death in remission, 0 for a censored row."""
    if censored:
        return CENSORED
    if event_type == RELAPSE:
        return CAUSE
    if event_type == DEATH:
        return COMPETING
    raise ValueError(f"An RFS row ends with a relapse or a death, not {event_type!r}.")


def competing_rows(adtte: pd.DataFrame) -> pd.DataFrame:
    """The RFS rows with T (days since CR/CRi) and STATUS (0, 1 relapse, 2 death in remission)."""
    rows = adtte[adtte.PARAMCD.eq("RFS")].copy().reset_index(drop=True)
    rows["T"] = rows.AVAL.astype(float)
    rows["STATUS"] = [
        competing_status(event, cnsr != 0)
        for event, cnsr in zip(rows.EVNTDESC, rows.CNSR, strict=True)
    ]
    return rows


def _incidence_estimates(rows: pd.DataFrame) -> list[Estimate]:
    out = []
    for arm in (TREATMENT, CONTROL):
        arm_rows = rows[rows.ARMCD.eq(arm)]
        if arm_rows.empty:
            continue
        for cause, (code, name) in CAUSES.items():
            curve = cumulative_incidence(
                arm_rows["T"].to_numpy(), arm_rows.STATUS.to_numpy(), cause
            )
            for months in TIMEPOINTS_MONTHS:
                at = curve.at(months * DAYS_PER_MONTH)
                lower, upper = incidence_interval(*at) if at else (None, None)
                out.append(
                    Estimate(
                        endpoint=ENDPOINT,
                        analysis=f"{code}_{months}m",
                        group=arm,
                        label=str(ARM_LABELS[arm]),
                        estimate=at[0] if at else None,
                        lower=lower,
                        upper=upper,
                        n=len(arm_rows),
                        events=int(arm_rows.STATUS.eq(cause).sum()),
                        method=f"Aalen–Johansen cumulative incidence of {name} at "
                        f"{months * DAYS_PER_MONTH:g} days from CR/CRi (cmprsk cuminc); "
                        "95% CI log(-log) of cuminc's variance",
                        unit="probability",
                    )
                )
    return out


def _gray(rows: pd.DataFrame, strata: list[str]) -> Estimate:
    stratum = stratum_key(rows, strata)
    test = gray_test(rows["T"].to_numpy(), rows.STATUS.to_numpy(), rows.ARMCD.to_numpy(), stratum)
    by = f", stratified by {', '.join(strata)}" if strata else ""
    return Estimate(
        endpoint=ENDPOINT,
        analysis="gray_test_stratified" if strata else "gray_test",
        group=COMPARISON,
        statistic=test.statistic if test else None,
        df=test.df if test else None,
        p=test.p if test else None,
        n=len(rows),
        events=int((rows.STATUS == CAUSE).sum()),
        method=f"Gray's test of the cumulative incidence of relapse (rho 0){by}",
    )


def relapse_estimates(adtte: pd.DataFrame, strata: list[str]) -> list[Estimate]:
    rows = competing_rows(adtte)
    return [*_incidence_estimates(rows), _gray(rows, []), _gray(rows, strata)]


def incidence_curves(adtte: pd.DataFrame) -> dict[tuple[str, int], tuple[np.ndarray, np.ndarray]]:
    """(arm, cause) → (months, cumulative incidence) step points from 0, for the figure."""
    rows = competing_rows(adtte)
    curves = {}
    for arm in (TREATMENT, CONTROL):
        arm_rows = rows[rows.ARMCD.eq(arm)]
        if arm_rows.empty:
            continue
        for cause in CAUSES:
            curve = cumulative_incidence(
                arm_rows["T"].to_numpy(), arm_rows.STATUS.to_numpy(), cause
            )
            months = np.concatenate([[0.0], curve.time, [curve.last_time]]) / DAYS_PER_MONTH
            values = np.concatenate(
                [[0.0], curve.estimate, curve.estimate[-1:] if len(curve.estimate) else [0.0]]
            )
            curves[(arm, cause)] = (months, values)
    return curves
