"""Every estimate of the primary analysis at a cut-off, as the rows of estimates.csv."""

from __future__ import annotations

import math
from dataclasses import fields, replace
from typing import Any

import pandas as pd

from analysis.inference import (
    ANALYSED_ENDPOINTS,
    Estimate,
    endpoint_estimates,
    endpoint_rows,
    strata_columns,
)
from analysis.relapse import relapse_estimates
from analysis.subgroups import SUBGROUP_ENDPOINTS, subgroup_estimates


def estimates_derive(adtte: pd.DataFrame, factors: list[str]) -> list[Estimate]:
    """KM, log-rank and Cox of OS, OSTC and EFS; subgroups of OS and EFS; relapse incidence.

    `factors` are the randomisation factors (`gather.stratification_factors_gather`): the
    stratified tests and models use them.
    """
    strata = strata_columns(factors)
    out: list[Estimate] = []
    for paramcd in ANALYSED_ENDPOINTS:
        out += endpoint_estimates(adtte, paramcd, strata)
    for paramcd in SUBGROUP_ENDPOINTS:
        out += subgroup_estimates(endpoint_rows(adtte, paramcd), paramcd)
    return [_finite(e) for e in out + relapse_estimates(adtte, strata)]


def _finite(e: Estimate) -> Estimate:
    """An infinite or undefined number is reported as missing (CSV, JSON and pages alike)."""
    bad: dict[str, Any] = {
        f.name: None
        for f in fields(e)
        if isinstance(getattr(e, f.name), float) and not math.isfinite(getattr(e, f.name))
    }
    return replace(e, **bad) if bad else e
