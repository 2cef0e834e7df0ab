"""The statistics on hand-worked data and on trials too small to compare anything (no database).

The comparison with R on realistic trials is tests/analysis/test_against_r.py.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analysis.competing import cumulative_incidence, gray_test
from analysis.datasets import adtte_frame
from analysis.inference import ESTIMATE_COLUMNS, estimates_frame
from analysis.km import km_curve, km_median, r_median, survival_at
from analysis.primary import estimates_derive
from analysis.relapse import competing_status
from tests.analysis.test_derive import CUTOFF, JAN1, patient

FACTORS = ["regimen", "disease_status"]


class TestKaplanMeierAsR:
    def test_a_curve_exactly_at_one_half_over_a_stretch_has_the_midpoint_as_median(self) -> None:
        # 4 patients die on days 10, 30, 50; one is censored on day 70: S = .75, then .5 from day
        # 30 until day 50.
        curve = km_curve(np.array([10, 30, 50, 70]), np.array([1, 1, 1, 0]))

        assert km_median(curve, "log-log").estimate == 40

    def test_a_curve_ending_at_one_half_has_the_first_time_it_got_there(self) -> None:
        curve = km_curve(np.array([10, 20, 30, 40]), np.array([1, 1, 0, 0]))

        # R's print(survfit) (survmean): no later time below 0.5, so the first time at 0.5.
        assert r_median(curve.time, curve.surv) == 20

    def test_a_curve_above_one_half_has_no_median(self) -> None:
        curve = km_curve(np.array([10, 20, 30]), np.array([1, 0, 0]))

        assert km_median(curve, "log").estimate is None

    def test_survival_after_the_last_follow_up_is_not_reported(self) -> None:
        curve = km_curve(np.array([10, 20, 30]), np.array([1, 0, 1]))

        inside, beyond = survival_at(curve, 25, "log"), survival_at(curve, 31, "log")

        assert inside.estimate == pytest.approx(2 / 3)
        assert inside.lower is not None and inside.lower < 2 / 3 < inside.upper  # type: ignore[operator]
        assert beyond.estimate is None


class TestCompetingRisks:
    def test_the_incidence_of_relapse_counts_deaths_in_remission_as_competing(self) -> None:
        # Relapse day 1, death day 2, relapse day 3, censored day 4. After day 1: F = 1/4, S = 3/4;
        # day 2: S = 1/2; day 3: F = 1/4 + 1/2 · 1/2 = 1/2.
        curve = cumulative_incidence(np.array([1, 2, 3, 4]), np.array([1, 2, 1, 0]))

        assert [curve.at(t)[0] for t in (0.5, 2.5, 3, 4)] == [0.0, 0.25, 0.5, 0.5]
        assert curve.at(4.5) is None

    def test_grays_test_needs_two_groups(self) -> None:
        assert gray_test(np.array([1, 2]), np.array([1, 1]), np.array(["DEX", "DEX"])) is None

    def test_a_row_ends_with_a_relapse_a_death_or_a_censoring(self) -> None:
        codes = [competing_status("Relapse", False), competing_status("Death", False)]

        assert [*codes, competing_status("", True)] == [1, 2, 0]
        with pytest.raises(ValueError, match="relapse or a death"):
            competing_status("No CR/CRi after salvage", False)


def _estimates(patients: list) -> pd.DataFrame:
    return estimates_frame(estimates_derive(adtte_frame(patients, CUTOFF), FACTORS))


class TestTrialsTooSmallToCompare:
    @pytest.mark.parametrize(
        "patients",
        [
            [],
            [patient(1, "DEX", death_date=dt.date(2024, 3, 1))],
            [patient(1, "DEX"), patient(2, "CTRL")],
            [patient(1, "DEX", death_date=JAN1 + dt.timedelta(days=9)), patient(2, "CTRL")],
        ],
        ids=["nobody", "one arm", "no event", "events in one arm only"],
    )
    def test_the_hazard_ratios_are_left_empty_rather_than_failing(self, patients) -> None:
        estimates = _estimates(patients)

        ratios = estimates[estimates.analysis.str.startswith(("cox_hr", "subgroup_hr"))]
        assert list(estimates.columns) == ESTIMATE_COLUMNS
        assert ratios[["estimate", "lower", "upper", "p"]].isna().all().all()

    def test_the_tidy_columns_start_as_the_statisticians_expect(self) -> None:
        assert ESTIMATE_COLUMNS[:8] == [
            "endpoint",
            "analysis",
            "group",
            "estimate",
            "lower",
            "upper",
            "p",
            "method",
        ]
