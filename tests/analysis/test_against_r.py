"""The primary analysis gives R's numbers, and R reads the exported files as the CSV says.

Each synthetic trial (tests/analysis/synthetic.py: ties, heavy censoring, an arm whose
curve is flat at exactly 0.5, strata of a few patients) goes through the project's derivation;
its ADTTE CSV, as an export writes it, is analysed by R (r/primary_analysis.R: survfit,
survdiff with strata(), coxph with strata(), cox.zph, anova of coxph fits, cmprsk::cuminc) and
the two sets of estimates are compared row by row: medians and their limits to the day, hazard
ratios, probabilities, test statistics and p-values to 4 decimals. scripts/test installs R
(Debian's r-base-core, r-cran-survival, r-cran-cmprsk, r-cran-haven).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from analysis.datasets import survival_frames
from analysis.dictionary import DATASETS
from analysis.formats import datasets_write
from analysis.inference import estimates_frame, strata_columns
from analysis.primary import estimates_derive
from analysis.subgroups import subgroups
from tests.analysis.synthetic import SCENARIOS, synthetic_trial

pytestmark = pytest.mark.r_reference

R_DIR = Path(__file__).parent / "r"
FACTORS = ["regimen", "disease_status"]
KEYS = ["endpoint", "analysis", "group"]
FOUR_DECIMALS = 5e-5
VALUES = ["estimate", "lower", "upper", "statistic", "p"]


def rscript(*args: str) -> None:
    """Run an R script of r/; fail with R's message (never skip: R is part of the test set-up)."""
    command = shutil.which("Rscript")
    if command is None:
        pytest.fail("Rscript is missing: scripts/test installs Debian's r-base-core and packages.")
    done = subprocess.run([command, *args], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module", params=SCENARIOS, ids=lambda s: s.name)
def side_by_side(request: pytest.FixtureRequest, tmp_path_factory) -> pd.DataFrame:
    """Our estimates and R's, one row per (endpoint, analysis, group), columns `_ours`/`_r`."""
    scenario = request.param
    out = tmp_path_factory.mktemp("r")
    frames = survival_frames(synthetic_trial(scenario), scenario.cutoff)
    datasets_write(frames=frames, out_dir=out, formats=["csv"], cutoff=scenario.cutoff)
    ours = estimates_frame(estimates_derive(frames["adtte"], FACTORS))
    rscript(
        str(R_DIR / "primary_analysis.R"),
        str(out / "adtte.csv"),
        str(out / "r.csv"),
        ",".join(strata_columns(FACTORS)),
        ",".join(s.column for s in subgroups()),
    )
    theirs = pd.read_csv(out / "r.csv")
    return ours.merge(theirs, on=KEYS, how="outer", suffixes=("_ours", "_r"), indicator=True)


def _disagreements(rows: pd.DataFrame, columns: list[str], tolerance: float) -> list[str]:
    out = []
    for _, row in rows.iterrows():
        for column in columns:
            ours, theirs = row[f"{column}_ours"], row[f"{column}_r"]
            if pd.isna(ours) and pd.isna(theirs):
                continue
            if pd.isna(ours) or pd.isna(theirs) or abs(ours - theirs) > tolerance:
                key = "/".join(str(row[k]) for k in KEYS)
                out.append(f"{key} {column}: ours {ours}, R {theirs}")
    return out


def _analyses(rows: pd.DataFrame, *prefixes: str) -> pd.DataFrame:
    return rows[rows.analysis.str.startswith(prefixes)]


class TestAgainstR:
    def test_we_estimate_what_r_estimates_and_leave_empty_what_r_leaves_out(
        self, side_by_side
    ) -> None:
        only_r = side_by_side[side_by_side._merge == "right_only"]
        only_ours = side_by_side[side_by_side._merge == "left_only"]

        assert only_r[KEYS].values.tolist() == []
        assert only_ours[[f"{c}_ours" for c in VALUES]].isna().all().all()

    def test_medians_and_their_limits_agree_to_the_day(self, side_by_side) -> None:
        medians = _analyses(side_by_side, "km_median")

        assert len(medians) == 12  # OS, OSTC, EFS × two arms × two interval types
        assert _disagreements(medians, ["estimate", "lower", "upper"], 0.5) == []

    def test_survival_at_12_and_24_months_agrees_to_four_decimals(self, side_by_side) -> None:
        survival = _analyses(side_by_side, "km_survival")

        assert _disagreements(survival, ["estimate", "lower", "upper"], FOUR_DECIMALS) == []

    def test_hazard_ratios_limits_and_wald_p_agree_to_four_decimals(self, side_by_side) -> None:
        ratios = _analyses(side_by_side, "cox_hr", "subgroup_hr")

        assert ratios.estimate_ours.notna().sum() >= 6
        assert _disagreements(ratios, ["estimate", "lower", "upper", "p"], FOUR_DECIMALS) == []

    def test_tests_agree_to_four_decimals(self, side_by_side) -> None:
        tests = _analyses(side_by_side, "logrank", "cox_zph", "subgroup_interaction", "gray")

        assert tests.p_ours.notna().sum() >= 12
        assert _disagreements(tests, ["statistic", "p"], FOUR_DECIMALS) == []

    def test_cumulative_incidence_agrees_to_four_decimals(self, side_by_side) -> None:
        incidence = _analyses(side_by_side, "cir_", "nrm_")

        assert incidence.estimate_ours.notna().sum() >= 4
        assert _disagreements(incidence, ["estimate", "lower", "upper"], FOUR_DECIMALS) == []


class TestMedianOfAFlatCurve:
    def test_the_median_is_the_midpoint_of_the_stretch_at_one_half_as_in_r(self) -> None:
        scenario = next(s for s in SCENARIOS if s.flat_control_arm)
        adtte = survival_frames(synthetic_trial(scenario), scenario.cutoff)["adtte"]
        control = adtte[adtte.PARAMCD.eq("OS") & adtte.ARMCD.eq("CTRL")]

        ours = estimates_frame(estimates_derive(adtte, FACTORS)).set_index(KEYS)
        first_reached = (
            KaplanMeierFitter().fit(control.AVAL, control.CNSR.eq(0)).median_survival_time_
        )

        # S = 0.5 from day 100 (5 of 10 deaths) to day 160: R reports 130, lifelines 100.
        assert ours.loc[("OS", "km_median", "CTRL"), "estimate"] == 130
        assert first_reached == 100


@pytest.fixture(scope="module")
def read_by_haven(tmp_path_factory) -> Path:
    scenario = SCENARIOS[0]
    out = tmp_path_factory.mktemp("haven")
    frames = survival_frames(synthetic_trial(scenario), scenario.cutoff)
    formats = ["csv", "xpt", "dta", "sav"]
    datasets_write(frames=frames, out_dir=out, formats=formats, cutoff=scenario.cutoff)
    rscript(str(R_DIR / "read_exports.R"), str(out), str(out), ",".join(DATASETS))
    return out


def _as_text(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Numbers as floats, the rest as text, missing as empty: how CSV and haven agree to meet."""
    out = frame.copy()
    for v in DATASETS[name]:
        if v.kind == "num":
            out[v.name] = pd.to_numeric(out[v.name].replace("", np.nan)).astype(float)
        else:
            out[v.name] = out[v.name].fillna("").astype(str)
    return out


class TestHavenReadsTheExports:
    @pytest.mark.parametrize("fmt", ["xpt", "dta", "sav"])
    @pytest.mark.parametrize("name", list(DATASETS))
    def test_haven_finds_the_values_of_the_csv(self, read_by_haven, name, fmt) -> None:
        csv = pd.read_csv(read_by_haven / f"{name}.csv", dtype=str, keep_default_na=False)
        haven = pd.read_csv(
            read_by_haven / f"{name}.{fmt}.values.csv", dtype=str, keep_default_na=False
        )

        assert list(haven.columns) == list(csv.columns)
        pd.testing.assert_frame_equal(_as_text(haven, name), _as_text(csv, name))

    @pytest.mark.parametrize("fmt", ["xpt", "dta", "sav"])
    @pytest.mark.parametrize("name", list(DATASETS))
    def test_haven_finds_the_variable_labels_of_the_dictionary(
        self, read_by_haven, name, fmt
    ) -> None:
        labels = pd.read_csv(
            read_by_haven / f"{name}.{fmt}.labels.csv", dtype=str, keep_default_na=False
        )

        assert dict(zip(labels.variable, labels.label, strict=True)) == {
            v.name: v.label for v in DATASETS[name]
        }

    @pytest.mark.parametrize("fmt", ["dta", "sav"])
    def test_haven_finds_the_censoring_value_labels(self, read_by_haven, fmt) -> None:
        labels = pd.read_csv(
            read_by_haven / f"adtte.{fmt}.labels.csv", dtype=str, keep_default_na=False
        ).set_index("variable")

        values = dict(item.split("=", 1) for item in labels.loc["CNSR", "values"].split(";"))

        assert values["0"] == "Event"
        assert values["5"] == "Transplanted: censored at the transplant (sensitivity analysis)"
