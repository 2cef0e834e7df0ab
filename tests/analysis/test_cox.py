"""R's cox.zph in O(n log n) gives what the straightforward loop over the event times gives.

The reference below is the computation as Therneau's `zph1.c` states it, one event time at a
time over full-length masks (O(events × n)); `analysis.cox.cox_zph` sorts once and reads the
risk sets off reverse cumulative sums. Both run on seeded random data with ties, censoring,
strata of very different sizes (some of one patient) and one to three covariates. The Cox fit
is compared in the same way with lifelines' CoxPHFitter, which the project used before (it
walks the rows in Python at each Newton step). The agreement with R itself is
tests/analysis/test_against_r.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from scipy.stats import chi2

from analysis.cox import ZphTest, _km_transform, cox_fit, cox_zph


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


def reference_zph(
    time: np.ndarray,
    event: np.ndarray,
    x: np.ndarray,
    coef: np.ndarray,
    strata: np.ndarray | None = None,
) -> ZphTest | None:
    """cox.zph one event time at a time (the previous implementation of analysis/cox.py)."""
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


def _random_trial(
    seed: int, n: int, covariates: int, strata: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    # Days rounded to weeks: many tied event and censoring times.
    time = np.ceil(rng.exponential(300, n) / 7) * 7
    event = rng.random(n) < 0.6
    x = np.column_stack(
        [rng.integers(0, 2, n), *(rng.normal(size=n) for _ in range(covariates - 1))]
    )
    coef = rng.normal(0, 0.4, covariates)
    # Skewed stratum sizes: the last strata hold a patient or two.
    stratum = rng.choice(strata, n, p=np.arange(strata, 0, -1) / (strata * (strata + 1) / 2))
    labels = np.array([f"S{s}|site{s % 3}" for s in stratum])
    return time, event, x, coef, labels


@pytest.mark.parametrize(
    ("seed", "n", "covariates", "strata"),
    [(1, 50, 1, 1), (2, 400, 1, 6), (3, 800, 2, 12), (4, 300, 3, 25), (5, 1000, 1, 40)],
)
def test_the_fast_score_test_equals_the_event_by_event_loop(
    seed: int, n: int, covariates: int, strata: int
) -> None:
    time, event, x, coef, labels = _random_trial(seed, n, covariates, strata)

    for by in (None, labels):
        fast, slow = cox_zph(time, event, x, coef, by), reference_zph(time, event, x, coef, by)

        assert fast is not None and slow is not None
        assert fast.df == slow.df == covariates
        assert fast.chisq == pytest.approx(slow.chisq, rel=1e-9, abs=1e-12)
        assert fast.p == pytest.approx(slow.p, rel=1e-9, abs=1e-12)


def test_a_covariate_without_variance_in_the_risk_sets_has_no_test() -> None:
    time = np.array([1.0, 2, 3, 4, 5])
    event = np.array([1, 1, 0, 1, 0])
    x = np.ones((5, 1))

    assert cox_zph(time, event, x, np.array([0.0])) is None
    assert reference_zph(time, event, x, np.array([0.0])) is None


@pytest.mark.parametrize(
    ("seed", "n", "covariates", "strata"), [(6, 300, 1, 1), (7, 600, 3, 8), (8, 900, 2, 30)]
)
def test_the_fast_cox_fit_equals_lifelines(seed: int, n: int, covariates: int, strata: int) -> None:
    time, event, x, _, labels = _random_trial(seed, n, covariates, strata)
    names = [f"X{i}" for i in range(covariates)]
    frame = pd.DataFrame({"T": time, "E": event.astype(int), "S": labels})
    frame[names] = x

    for by in (None, ["S"]):
        ours = cox_fit(frame, names, by)
        theirs = CoxPHFitter().fit(
            frame[["T", "E", *names, *(by or [])]],
            "T",
            "E",
            strata=by,
            fit_options={"precision": 1e-12, "r_precision": 0.0},
        )

        assert ours is not None
        assert ours.coef == pytest.approx(float(theirs.params_.iloc[0]), abs=1e-6)
        assert ours.se == pytest.approx(float(theirs.standard_errors_.iloc[0]), rel=1e-6)
        assert ours.log_likelihood == pytest.approx(theirs.log_likelihood_, rel=1e-9)
        assert ours.p == pytest.approx(float(theirs.summary.iloc[0]["p"]), abs=1e-6)
