"""Cox proportional hazards models and R's test of proportional hazards, as R's survival computes
them.

`cox_fit` is R's `coxph(..., ties = "efron")`: Newton–Raphson on Efron's partial likelihood from
β = 0, with step halving where the likelihood falls (survival's `coxfit6.c`), strata with a
baseline hazard of their own (`+ strata(...)`), Wald p-values and 95% intervals exp(β ± 1.96·se)
as `summary(coxph)` prints them, and the partial log-likelihood that `anova` compares.

The proportional-hazards check is R's `cox.zph` of survival ≥ 3.0, which is not the test
lifelines' `proportional_hazard_test` computes (that one is Grambsch & Therneau's 1994
approximation, R's cox.zph before 3.0). survival 3 computes the exact score test of adding
β_k·g(t)·x_k to the fitted model (Therneau, `src/zph1.c` and `R/cox.zph.R` of the survival
package): with g(t) = 1 − KM(t−) of all the data ("km" transform), centred on its mean over the
events, and at each event time the Efron-weighted means of the risk set,
    U = Σ_deaths g(t) · (x_i − x̄(t))                       (score of the g(t)·x terms)
    I = Σ_deaths [V(t), g V(t); g V(t), g² V(t)]            (information of (x, g(t)·x))
    chisq = U' (I⁻¹)_{gg} U,  one degree of freedom a covariate, p = P(χ² > chisq).

Both run in O(n log n), as survival's C code: the rows are sorted once by stratum and time
(`_RiskSets`); the sums of r = exp(xβ), r·x and r·xxᵀ over each risk set {time ≥ t} of a
stratum are reverse cumulative sums read at the first row of each (stratum, time), the deaths at
t are summed by group, and Efron's correction runs over the d tied deaths of each time only
(Σd = the number of events). lifelines' CoxPHFitter, which this replaced, loops over the rows in
Python at each Newton step: minutes a model at 100,000 patients.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm

from analysis.km import km_curve

# A coefficient this large means the partial likelihood has no maximum (an arm without events
# in a subgroup): the hazard ratio is not estimable, whatever number the optimiser stopped at.
MAX_ESTIMABLE_COEF = 10.0
# Newton–Raphson stops when its next step would change no coefficient by more than this: β is
# then within ~1e-16 of the maximum (the error squares at each step). R's coxph stops at a
# relative change of the log-likelihood of 1e-9; to 4 decimals both are the maximum.
_STEP_TOLERANCE = 1e-8
_MAX_STEPS = 60
Z95 = float(norm.ppf(0.975))


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


@dataclass(frozen=True)
class _Efron:
    """Efron's partial likelihood at β, and per event time the sums over its tied deaths."""

    log_likelihood: float
    score: np.ndarray  # Σ_deaths (x_i − x̄(t))
    information: np.ndarray  # Σ_deaths V(t)
    time_means: np.ndarray  # per event time: Σ over its d deaths of the Efron means x̄
    time_variances: np.ndarray  # per event time: Σ over its d deaths of V


class _RiskSets:
    """The rows sorted by stratum then time, and the runs of one (stratum, time) with deaths."""

    def __init__(self, time: np.ndarray, event: np.ndarray, strata: np.ndarray | None) -> None:
        n = len(time)
        codes = (
            np.zeros(n, int)
            if strata is None
            else np.unique(np.asarray(strata), return_inverse=True)[1].ravel()
        )
        self.order = np.lexsort((time, codes))
        time, event, codes = time[self.order], event[self.order], codes[self.order]
        new_run = np.ones(n, bool)
        new_run[1:] = (time[1:] != time[:-1]) | (codes[1:] != codes[:-1])
        starts = np.flatnonzero(new_run)
        deaths = np.add.reduceat(event.astype(int), starts) if n else np.zeros(0, int)
        self.run_starts = starts  # first row of each (stratum, time)
        self.death_runs = np.flatnonzero(deaths > 0)  # the runs of the event times
        self.deaths = deaths[self.death_runs]
        # The deaths, in order; the first of each event time of a stratum among them.
        self.dead_rows = np.flatnonzero(event)
        self.dead_starts = np.cumsum(self.deaths) - self.deaths
        # The runs of each stratum, as [first, last + 1).
        bounds = np.flatnonzero(np.diff(codes[starts])) + 1
        self.strata_bounds = list(zip([0, *bounds], [*bounds, len(starts)], strict=True))
        # Efron: the m-th of the d tied deaths (m = 1..d) sees the others and m/d of the dead.
        self.expanded_run = np.repeat(np.arange(len(self.deaths)), self.deaths)
        self.share = (
            np.arange(len(self.expanded_run)) - np.repeat(self.dead_starts, self.deaths) + 1
        ) / np.repeat(self.deaths, self.deaths)

    def by_time(self, dead: np.ndarray) -> np.ndarray:
        """Sums over the deaths of each event time of rows given for the deaths in order."""
        if not len(dead):
            return dead
        return np.add.reduceat(dead, self.dead_starts, axis=0)

    def sorted(self, values: np.ndarray) -> np.ndarray:
        return values[self.order]

    def efron(self, x: np.ndarray, beta: np.ndarray) -> _Efron:
        """x sorted by `sorted`, centred; β the coefficients. Sums of survival's coxfit6.c."""
        n, p = x.shape
        eta = x @ beta
        shift = float(eta.max()) if n else 0.0  # r ≤ 1: no overflow, whatever β
        risk = np.exp(eta - shift)
        terms = np.empty((n, 1 + p + p * p))
        terms[:, 0] = risk
        terms[:, 1 : 1 + p] = risk[:, None] * x
        terms[:, 1 + p :] = (terms[:, 1 : 1 + p, None] * x[:, None, :]).reshape(n, p * p)
        # Summed by (stratum, time), then reverse cumulative sums within each stratum: the sums
        # over {time ≥ t} of the stratum at each of its times.
        runs = np.add.reduceat(terms, self.run_starts, axis=0) if n else terms
        after = np.empty_like(runs)
        for start, end in self.strata_bounds:
            after[start:end] = np.cumsum(runs[start:end][::-1], axis=0)[::-1]
        dead = self.by_time(terms[self.dead_rows])
        weighted = (after[self.death_runs] - dead)[self.expanded_run] + self.share[:, None] * dead[
            self.expanded_run
        ]
        den = weighted[:, 0]
        mean = weighted[:, 1 : 1 + p] / den[:, None]
        second = weighted[:, 1 + p :].reshape(-1, p, p) / den[:, None, None]
        var = second - mean[:, :, None] * mean[:, None, :]
        x_dead = x[self.dead_rows]
        log_likelihood = float((eta[self.dead_rows] - shift).sum() - np.log(den).sum())
        return _Efron(
            log_likelihood=log_likelihood,
            score=x_dead.sum(axis=0) - mean.sum(axis=0),
            information=var.sum(axis=0),
            time_means=self.by_time(mean),
            time_variances=self.by_time(var),
        )


def _newton(sets: _RiskSets, x: np.ndarray) -> tuple[np.ndarray, _Efron] | None:
    """β maximising Efron's partial likelihood and the terms at β; None without a maximum."""
    beta = np.zeros(x.shape[1])
    current = sets.efron(x, beta)
    for _ in range(_MAX_STEPS):
        step = np.linalg.solve(current.information, current.score)
        if np.max(np.abs(step), initial=0.0) < _STEP_TOLERANCE:
            return beta, current
        candidate = beta + step
        trial = sets.efron(x, candidate)
        halvings = 0
        while not trial.log_likelihood >= current.log_likelihood - 1e-12 * abs(
            current.log_likelihood
        ):  # step halving (coxfit6.c), also where the likelihood is not finite
            halvings += 1
            if halvings > 30:
                return None
            candidate = (candidate + beta) / 2
            trial = sets.efron(x, candidate)
        beta, current = candidate, trial
    return None


def cox_fit(
    frame: pd.DataFrame, covariates: list[str], strata: list[str] | None = None
) -> CoxFit | None:
    """Fit time T, event E on the covariates (the first is the treatment); None if not estimable.

    `frame` has columns T (time), E (0/1 event), the covariates as numbers and the strata.
    """
    if frame.E.sum() == 0 or any(frame[c].nunique() < 2 for c in covariates):
        return None
    time = frame["T"].to_numpy(float)
    event = frame["E"].to_numpy().astype(bool)
    labels = frame.groupby(strata, sort=True, dropna=False).ngroup().to_numpy() if strata else None
    sets = _RiskSets(time, event, labels)
    x = sets.sorted(frame[covariates].to_numpy(float))
    x = x - x.mean(axis=0)
    try:
        fitted = _newton(sets, x)
        if fitted is None:
            return None
        beta, at_beta = fitted
        variance = np.linalg.inv(at_beta.information)
    except np.linalg.LinAlgError:
        return None
    coef, se = float(beta[0]), math.sqrt(variance[0, 0]) if variance[0, 0] > 0 else math.nan
    if not math.isfinite(se) or abs(coef) > MAX_ESTIMABLE_COEF:
        return None
    return CoxFit(
        hr=math.exp(coef),
        lower=math.exp(coef - Z95 * se),
        upper=math.exp(coef + Z95 * se),
        p=float(chi2.sf((coef / se) ** 2, 1)),
        coef=coef,
        se=se,
        log_likelihood=at_beta.log_likelihood,
        n=len(frame),
        events=int(event.sum()),
    )


def _km_transform(time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """g(t) = 1 − KM(t−) of all the data (strata ignored), as cox.zph's "km" transform."""
    curve = km_curve(time, event)
    before = np.searchsorted(curve.time, time, side="left")  # times strictly before each t
    return 1.0 - np.concatenate([[1.0], curve.surv])[before]


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
    g = _km_transform(time, event)
    g = g - g[event].mean()
    sets = _RiskSets(time, event, strata)
    x, g = sets.sorted(x), sets.sorted(g)
    terms = sets.efron(x, np.asarray(coef, float))
    gt = g[
        sets.run_starts[sets.death_runs]
    ]  # g depends on the time only: the same for the tied deaths
    x_dead = sets.by_time(x[sets.dead_rows])
    p = x.shape[1]
    u = (gt[:, None] * (x_dead - terms.time_means)).sum(axis=0)
    v = terms.time_variances
    gv = (gt[:, None, None] * v).sum(axis=0)
    info = np.block([[v.sum(axis=0), gv], [gv, (gt[:, None, None] ** 2 * v).sum(axis=0)]])
    score = np.concatenate([np.zeros(p), u])
    try:
        chisq = float(score @ np.linalg.solve(info, score))
    except np.linalg.LinAlgError:
        return None
    return ZphTest(chisq=chisq, df=p, p=float(chi2.sf(chisq, p)))
