"""Competing risks: the cumulative incidence function (Aalen–Johansen) and Gray's test.

No maintained Python library offers Gray's test: lifelines has the Aalen–Johansen estimator
but not the test (and its estimator jitters tied event times at random, which daily dates
always have, so it would not give R's numbers); scikit-survival estimates the cumulative
incidence but has no test either; statsmodels has neither. Both pieces are therefore written
here, line by line after R's `cmprsk` (Gray, version 2.2), so that `cmprsk::cuminc` gives the
same numbers:

- `cumulative_incidence`: subroutine `cinc` (src/cincsub.f): with S(t−) the all-cause
  Kaplan–Meier estimate just before t, n(t) at risk and d₁(t) events of the cause of interest,
  F₁(t) = Σ_{s ≤ t} S(s−) · d₁(s) / n(s), and its variance by the delta method of the same
  subroutine (the one `timepoints()` reports).
- `gray_test`: subroutine `crst`/`crstm` (src/crstm.f), the K-sample test of
  Gray RJ (1988), "A class of K-sample tests for comparing the cumulative incidence of a
  competing risk", Ann. Stat. 16:1141–1154, with weight (1 − F(t−))^ρ, ρ = 0 (cuminc's
  default), stratified by summing scores and variances over strata.

Event codes: 0 censored, 1 the cause of interest, 2 a competing cause.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import chi2, norm

CENSORED, CAUSE, COMPETING = 0, 1, 2
Z95 = float(norm.ppf(0.975))


@dataclass(frozen=True)
class Incidence:
    """The step function of one cause in one group: value and variance after each time."""

    time: np.ndarray
    estimate: np.ndarray
    variance: np.ndarray
    last_time: float

    def at(self, t: float) -> tuple[float, float] | None:
        """(estimate, variance) at t, as cmprsk's timepoints(); None after the last follow-up."""
        if t > self.last_time:
            return None
        index = int(np.searchsorted(self.time, t, side="right")) - 1
        if index < 0:
            return 0.0, 0.0
        return float(self.estimate[index]), float(self.variance[index])


def incidence_interval(estimate: float, variance: float) -> tuple[float | None, float | None]:
    """95% interval on the log(−log) scale: F^exp(±z·se / (F log F)) (Pintilie 2006, §4.2.1)."""
    if not 0 < estimate < 1 or variance <= 0:
        return None, None
    shift = Z95 * np.sqrt(variance) / (estimate * np.log(estimate))  # negative: log F < 0
    return float(estimate ** np.exp(-shift)), float(estimate ** np.exp(shift))


def cumulative_incidence(time: np.ndarray, status: np.ndarray, cause: int = CAUSE) -> Incidence:
    """F(t) of `cause` and its variance; port of cmprsk's `cinc`."""
    order = np.argsort(time, kind="stable")
    time, status = np.asarray(time, float)[order], np.asarray(status)[order]
    n = len(time)
    survival, f, v1, v2, v3 = 1.0, 0.0, 0.0, 0.0, 0.0
    times, values, variances = [], [], []
    at_risk = float(n)
    # Each distinct time once, its rows a slice of the sorted ones (not a mask of all of them).
    starts = np.flatnonzero(np.diff(time, prepend=np.nan) != 0)
    sizes = np.diff(starts, append=n)
    kind = np.zeros((n, 2), int)
    kind[:, 0], kind[:, 1] = status == cause, (status != CENSORED) & (status != cause)
    counts = np.add.reduceat(kind, starts).tolist() if n else []
    for t, size, (d1, d2) in zip(time[starts], sizes.tolist(), counts, strict=True):
        if d1 + d2 > 0:
            after = survival * (at_risk - d1 - d2) / at_risk
            if d1 > 0:
                f += survival * d1 / at_risk
            if d2 > 0 and after > 0:
                v1, v2, v3 = _add(v1, v2, v3, survival, d2, at_risk, 1 / after, f / after)
            if d1 > 0:
                inv = 1 / after if after > 0 else 0.0
                v1, v2, v3 = _add(v1, v2, v3, survival, d1, at_risk, inv, 1 + inv * f)
                times.append(t)
                values.append(f)
                variances.append(v1 + f * f * v3 - 2 * f * v2)
            survival = after
        at_risk -= size
    return Incidence(np.array(times), np.array(values), np.array(variances), float(time[-1]))


def _add(
    v1: float, v2: float, v3: float, survival: float, d: int, at_risk: float, t3: float, t4: float
) -> tuple[float, float, float]:
    """One time's terms of cinc's variance sums (t3, t4 as named in the Fortran)."""
    t5 = 1 - (d - 1) / (at_risk - 1) if d > 1 else 1.0
    t6 = survival * survival * t5 * d / (at_risk * at_risk)
    return v1 + t4 * t4 * t6, v2 + t3 * t4 * t6, v3 + t3 * t3 * t6


@dataclass(frozen=True)
class GrayTest:
    statistic: float
    df: int
    p: float


def gray_test(
    time: np.ndarray,
    status: np.ndarray,
    group: np.ndarray,
    strata: np.ndarray | None = None,
    rho: float = 0.0,
) -> GrayTest | None:
    """Gray's test that `cause` 1 has the same cumulative incidence in every group.

    None when fewer than two groups or a singular variance (cuminc reports −1 there).
    """
    time, status, group = np.asarray(time, float), np.asarray(status), np.asarray(group)
    levels = sorted(set(group.tolist()))
    if len(levels) < 2:
        return None
    codes = np.searchsorted(levels, group)
    strata = np.zeros(len(time)) if strata is None else np.asarray(strata)
    k = len(levels)
    score, variance = np.zeros(k - 1), np.zeros((k - 1, k - 1))
    # The rows sorted by stratum then time: each stratum is a slice, each of its times too.
    stratum_codes = np.unique(strata, return_inverse=True)[1].ravel()
    order = np.lexsort((time, stratum_codes))
    time, status, codes = time[order], status[order], codes[order]
    bounds = np.flatnonzero(np.diff(stratum_codes[order])) + 1
    for start, end in zip([0, *bounds], [*bounds, len(time)], strict=True):
        s, v = _gray_stratum(time[start:end], status[start:end], codes[start:end], k, rho)
        score, variance = score + s, variance + v
    if np.linalg.matrix_rank(variance) < k - 1:
        return None
    statistic = float(score @ np.linalg.solve(variance, score))
    return GrayTest(statistic=statistic, df=k - 1, p=float(chi2.sf(statistic, k - 1)))


def _gray_stratum(
    time: np.ndarray, status: np.ndarray, group: np.ndarray, k: int, rho: float
) -> tuple[np.ndarray, np.ndarray]:
    """Score and variance of one stratum, its rows sorted by time; port of cmprsk's `crst`
    (names as in the Fortran)."""
    rs = np.bincount(group, minlength=k).astype(float)  # at risk in each group
    f1m, f1, skmm, skm = np.zeros(k), np.zeros(k), np.ones(k), np.ones(k)
    c, v3, v2 = np.zeros((k, k)), np.zeros(k), np.zeros((k - 1, k))
    s, v = np.zeros(k - 1), np.zeros((k - 1, k - 1))
    fm = 0.0
    starts = np.flatnonzero(np.diff(time, prepend=np.nan) != 0)  # time sorted: one slice a time
    for start, end in zip(starts, [*starts[1:], len(time)], strict=True):
        here = slice(start, end)
        d = np.zeros((3, k))
        np.add.at(d, (status[here], group[here]), 1)
        nd1, nd2 = d[1].sum(), d[2].sum()
        if nd1 or nd2:
            live = rs > 0
            skm = np.where(live, skmm * (rs - d[1] - d[2]) / np.where(live, rs, 1), skm)
            f1 = np.where(live, f1m + skmm * d[1] / np.where(live, rs, 1), f1)
            tr = (rs[live] / skmm[live]).sum()
            tq = (rs[live] * (1 - f1m[live]) / skmm[live]).sum()
            f = fm + nd1 / tr
            fb = (1 - fm) ** rho
            a = _a_matrix(rs, skmm, tr, fb, live)
            c += a * nd1 / (tr * (1 - fm))
            for i in range(k - 1):
                if live[i]:
                    s[i] += fb * (d[1, i] - nd1 * rs[i] * (1 - f1m[i]) / (skmm[i] * tq))
            if nd1:
                _cause_variance(v, v2, v3, a, c, rs, skm, skmm, f, tr, nd1)
            if nd2:
                _competing_variance(v, v2, v3, c, rs, skm, skmm, f, d[2])
            fm = f
        rs -= np.bincount(group[here], minlength=k)
        f1m, skmm = f1.copy(), skm.copy()
    for i in range(k - 1):
        for j in range(i + 1):
            v[i, j] += (c[i] * c[j] * v3).sum() + (c[i] * v2[j]).sum() + (c[j] * v2[i]).sum()
            v[j, i] = v[i, j]
    return s, v


def _a_matrix(
    rs: np.ndarray, skmm: np.ndarray, tr: float, fb: float, live: np.ndarray
) -> np.ndarray:
    k = len(rs)
    a = np.zeros((k, k))
    for i in range(k):
        if not live[i]:
            continue
        t1 = rs[i] / skmm[i]
        a[i, i] = fb * t1 * (1 - t1 / tr)
        for j in range(i + 1, k):
            if live[j]:
                a[i, j] = a[j, i] = -fb * t1 * rs[j] / (skmm[j] * tr)
    return a


def _cause_variance(
    v: np.ndarray,
    v2: np.ndarray,
    v3: np.ndarray,
    a: np.ndarray,
    c: np.ndarray,
    rs: np.ndarray,
    skm: np.ndarray,
    skmm: np.ndarray,
    f: float,
    tr: float,
    nd1: float,
) -> None:
    """Variance terms of the events of the cause of interest at one time (loop 72 of crst)."""
    for k in np.flatnonzero(rs > 0):
        t4 = 1 - (1 - f) / skm[k] if skm[k] > 0 else 1.0
        t5 = 1 - (nd1 - 1) / (tr * skmm[k] - 1) if nd1 > 1 else 1.0
        t3 = t5 * skmm[k] * nd1 / (tr * rs[k])
        v3[k] += t4 * t4 * t3
        t1 = a[:-1, k] - t4 * c[:-1, k]
        v2[:, k] += t1 * t4 * t3
        v += np.tril(np.outer(t1, t1)) * t3


def _competing_variance(
    v: np.ndarray,
    v2: np.ndarray,
    v3: np.ndarray,
    c: np.ndarray,
    rs: np.ndarray,
    skm: np.ndarray,
    skmm: np.ndarray,
    f: float,
    d2: np.ndarray,
) -> None:
    """Variance terms of the competing events at one time (loop 82 of crst)."""
    for k in np.flatnonzero((skm > 0) & (d2 > 0)):
        t4 = (1 - f) / skm[k]
        t5 = 1 - (d2[k] - 1) / (rs[k] - 1) if d2[k] > 1 else 1.0
        t3 = t5 * skmm[k] ** 2 * d2[k] / rs[k] ** 2
        v3[k] += t4 * t4 * t3
        t1 = t4 * c[:-1, k]
        v2[:, k] -= t1 * t4 * t3
        v += np.tril(np.outer(t1, t1)) * t3
