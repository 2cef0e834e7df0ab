"""Kaplan–Meier summaries with the conventions of R's `survival` package (3.x).

The curve itself is lifelines' Kaplan–Meier estimator. What lifelines does differently from R,
and a statistician re-running the analysis in R would see, is written out here:

- the median: R takes the first time the curve is at or below 0.5, except where the curve is
  exactly 0.5 (within sqrt(machine epsilon)) over a stretch, where it takes the midpoint of the
  stretch: the time the curve reached 0.5 and the next time it drops below (`survival:::survmean`,
  the rule `print(survfit)` and `summary(survfit)$table` apply; SAS LIFETEST does the same);
- the confidence interval of the median (Brookmeyer & Crowley 1982, as R computes it): the same
  rule applied to the lower and upper pointwise confidence curves;
- the pointwise confidence curves: Greenwood's variance of log S(t) (`survfitKM`), transformed by
  R's `survfit_confint` for conf.type "log-log" (the trial's stated choice) or "log" (R's
  default): log:     exp(log S ± z·se),        upper capped at 1, none where S = 0;
           log-log: exp(-exp(log(-log S) ± z·se / log S)),      none where S is 0 or 1;
- survival at a time t (`summary(survfit, times = t)`): the curve's value at the last time ≤ t
  with that time's interval; none beyond the arm's last follow-up time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from lifelines import KaplanMeierFitter
from scipy.stats import norm

CONF_TYPES = ("log-log", "log")
TOLERANCE = math.sqrt(np.finfo(float).eps)  # R: .Machine$double.eps^0.5
Z95 = float(norm.ppf(0.975))


@dataclass(frozen=True)
class Curve:
    """One Kaplan–Meier curve at each distinct time (event or censoring), as survfit keeps it."""

    time: np.ndarray
    n_risk: np.ndarray
    n_event: np.ndarray
    surv: np.ndarray
    std_err: np.ndarray  # of log S(t), Greenwood

    @property
    def n(self) -> int:
        return int(self.n_risk[0]) if len(self.n_risk) else 0

    @property
    def events(self) -> int:
        return int(self.n_event.sum())


@dataclass(frozen=True)
class Interval:
    estimate: float | None
    lower: float | None
    upper: float | None


def km_curve(time: np.ndarray, event: np.ndarray) -> Curve:
    """Fit the Kaplan–Meier estimator (lifelines) and add Greenwood's standard error of log S."""
    fitter = KaplanMeierFitter().fit(np.asarray(time, float), np.asarray(event, bool))
    table = fitter.event_table
    table = table[table.removed > 0]  # lifelines adds a row at 0 where nobody leaves
    n_risk = table.at_risk.to_numpy(float)
    n_event = table.observed.to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        # d / (n (n - d)) is infinite where everyone left at risk dies, as in R.
        greenwood = np.cumsum(np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0))
    surv = fitter.survival_function_.loc[table.index].to_numpy(float).ravel()
    return Curve(table.index.to_numpy(float), n_risk, n_event, surv, np.sqrt(greenwood))


def confidence_curves(curve: Curve, conf_type: str) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise 95% limits as R's survfit_confint; NaN where R gives NA."""
    p, se = curve.surv, curve.std_err
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "log":
            x = np.where(p == 0, np.nan, p)
            return np.exp(np.log(x) - Z95 * se), np.minimum(np.exp(np.log(x) + Z95 * se), 1.0)
        if conf_type == "log-log":
            x = np.where((p == 0) | (p == 1), np.nan, p)
            shift = Z95 * se / np.log(x)
            loglog = np.log(-np.log(x))
            return np.exp(-np.exp(loglog - shift)), np.exp(-np.exp(loglog + shift))
    raise ValueError(f"conf_type must be one of {CONF_TYPES}, not {conf_type!r}")


def r_median(time: np.ndarray, values: np.ndarray) -> float | None:
    """The median of a (survival or confidence) curve by R's rule (`survmean`'s `minmin`)."""
    keep = ~np.isnan(values) & (values < 0.5 + TOLERANCE)
    if not keep.any():
        return None
    x, y = time[keep], values[keep]
    below = np.flatnonzero(y < y[0])
    if abs(y[0] - 0.5) < TOLERANCE and below.size:
        return float((x[0] + x[below[0]]) / 2)
    return float(x[0])


def km_median(curve: Curve, conf_type: str) -> Interval:
    lower, upper = confidence_curves(curve, conf_type)
    return Interval(
        r_median(curve.time, curve.surv),
        r_median(curve.time, lower),
        r_median(curve.time, upper),
    )


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def survival_at(curve: Curve, t: float, conf_type: str) -> Interval:
    """S(t) and its interval, or nothing beyond the last follow-up time of the curve."""
    if not len(curve.time) or t > curve.time[-1]:
        return Interval(None, None, None)
    index = int(np.searchsorted(curve.time, t, side="right")) - 1
    if index < 0:  # before the first time anybody left: S = 1 with no variance
        return Interval(
            1.0, 1.0 if conf_type == "log" else None, 1.0 if conf_type == "log" else None
        )
    lower, upper = confidence_curves(curve, conf_type)
    return Interval(float(curve.surv[index]), _finite(lower[index]), _finite(upper[index]))
