"""Cox proportional hazards models (lifelines) and R's test of proportional hazards.

The model is lifelines' CoxPHFitter: Efron's handling of ties (R's `coxph` default), strata
with a baseline hazard of their own (`coxph(... + strata(...))`), Wald p-values and 95%
intervals exp(β ± 1.96·se) as `summary(coxph)` prints them.

The proportional-hazards check is R's `cox.zph` of survival ≥ 3.0, which is not the test
lifelines' `proportional_hazard_test` computes (that one is Grambsch & Therneau's 1994
approximation, R's cox.zph before 3.0). survival 3 computes the exact score test of adding
β_k·g(t)·x_k to the fitted model (Therneau, `src/zph1.c` and `R/cox.zph.R` of the survival
package): with g(t) = 1 − KM(t−) of all the data ("km" transform), centred on its mean over the
events, and at each event time the Efron-weighted means of the risk set,
    U = Σ_deaths g(t) · (x_i − x̄(t))                       (score of the g(t)·x terms)
    I = Σ_deaths [V(t), g V(t); g V(t), g² V(t)]            (information of (x, g(t)·x))
    chisq = U' (I⁻¹)_{gg} U,  one degree of freedom a covariate, p = P(χ² > chisq).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from lifelines.exceptions import ConvergenceError, ConvergenceWarning
from scipy.stats import chi2

from analysis.km import km_curve

# A coefficient this large means the partial likelihood has no maximum (an arm without events
# in a subgroup): the hazard ratio is not estimable, whatever number the optimiser stopped at.
MAX_ESTIMABLE_COEF = 10.0
# lifelines stops by default when the log-likelihood changes by less than 1e-9 relatively, which
# its damped Newton steps reach while β is still ~1e-4 away from R's: iterate until the Newton
# decrement is negligible instead.
_FIT_OPTIONS = {"precision": 1e-12, "r_precision": 0.0}


@dataclass(frozen=True)
class CoxFit:
    """The treatment term of a fitted Cox model, and the model's partial log-likelihood."""

    hr: float
    lower: float
    upper: float
    p: float
    coef: float
    se: float
    log_likelihood: float
    n: int
    events: int


@dataclass(frozen=True)
class ZphTest:
    chisq: float
    df: int
    p: float


def cox_fit(
    frame: pd.DataFrame, covariates: list[str], strata: list[str] | None = None
) -> CoxFit | None:
    """Fit time T, event E on the covariates (the first is the treatment); None if not estimable.

    `frame` has columns T (time), E (0/1 event), the covariates as numbers and the strata.
    """
    columns = ["T", "E", *covariates, *(strata or [])]
    if frame.E.sum() == 0 or any(frame[c].nunique() < 2 for c in covariates):
        return None
    fitter = CoxPHFitter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            fitter.fit(frame[columns], "T", "E", strata=strata or None, fit_options=_FIT_OPTIONS)
    except (ConvergenceError, ConvergenceWarning, np.linalg.LinAlgError):
        return None
    coef = float(fitter.params_.iloc[0])
    se = float(fitter.standard_errors_.iloc[0])
    if not math.isfinite(se) or abs(coef) > MAX_ESTIMABLE_COEF:
        return None
    row = fitter.summary.iloc[0]
    return CoxFit(
        hr=math.exp(coef),
        lower=float(row["exp(coef) lower 95%"]),
        upper=float(row["exp(coef) upper 95%"]),
        p=float(row["p"]),
        coef=coef,
        se=se,
        log_likelihood=float(fitter.log_likelihood_),
        n=len(frame),
        events=int(frame.E.sum()),
    )


def _km_transform(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """g(t) = 1 − KM(t−) of all the data (strata ignored), as cox.zph's "km" transform."""
    curve = km_curve(time, event)
    before = np.searchsorted(curve.time, time, side="left")  # times strictly before each t
    return 1.0 - np.concatenate([[1.0], curve.surv])[before]


def _efron_terms(
    x: np.ndarray, risk: np.ndarray, other: np.ndarray, dead: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Σ of the Efron-weighted risk-set means and variances over the d deaths of one time."""
    d = int(dead.sum())
    s0 = (risk[other].sum(), risk[dead].sum())
    s1 = (risk[other] @ x[other], risk[dead] @ x[dead])
    s2 = ((x[other].T * risk[other]) @ x[other], (x[dead].T * risk[dead]) @ x[dead])
    means = np.zeros(x.shape[1])
    info = np.zeros((x.shape[1], x.shape[1]))
    for m in range(1, d + 1):
        share = m / d
        den = s0[0] + share * s0[1]
        mean = (s1[0] + share * s1[1]) / den
        means += mean
        info += (s2[0] + share * s2[1]) / den - np.outer(mean, mean)
    return means, info


def cox_zph(
    time: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    coef: np.ndarray,
    strata: np.ndarray | None = None,
) -> ZphTest | None:
    """R's cox.zph(fit) (transform "km") for a fitted model; the GLOBAL line of its table.

    None where the information matrix is singular (R stops with an error there).
    """
    time, event = np.asarray(time, float), np.asarray(event, bool)
    x = np.asarray(x, float).reshape(len(time), -1)
    x = x - x.mean(axis=0)
    risk = np.exp(x @ np.asarray(coef, float))
    g = _km_transform(time, event)
    g = g - g[event].mean()
    strata = np.zeros(len(time)) if strata is None else np.asarray(strata)
    p = x.shape[1]
    u = np.zeros(p)
    info = np.zeros((2 * p, 2 * p))
    for stratum in np.unique(strata):
        inside = strata == stratum
        for t in np.unique(time[inside & event]):
            at_risk = inside & (time >= t)
            dead = at_risk & (time == t) & event
            means, v = _efron_terms(x, risk, at_risk & ~dead, dead)
            u += g[dead][0] * (x[dead].sum(axis=0) - means)
            gt = g[dead][0]
            info += np.block([[v, gt * v], [gt * v, gt * gt * v]])
    score = np.concatenate([np.zeros(p), u])
    try:
        chisq = float(score @ np.linalg.solve(info, score))
    except np.linalg.LinAlgError:
        return None
    return ZphTest(chisq=chisq, df=p, p=float(chi2.sf(chisq, p)))
