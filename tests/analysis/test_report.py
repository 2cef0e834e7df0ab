"""Figures, Table 1, CONSORT and secondary endpoints on small hand-worked data (no database)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from lifelines.statistics import logrank_test
from lxml import etree

from analysis import figures, tables
from analysis.derive import DAYS_PER_MONTH, AdverseEventFact, PatientFacts, Rate
from analysis.gather import TrialFacts
from analysis.report import report_derive, report_write

CUTOFF = dt.date(2025, 12, 31)
START = dt.date(2024, 1, 1)

# OS in whole months; (months, died). Worked by hand:
# DEX  2†, 4†, 6+, 8†, 10+ : S = 4/5 = .8 after 2, .6 after 4, .6 × 1/2 = .3 after 8 → median 8
# CTRL 1†, 3†, 5†, 7+      : S = .75 after 1, exactly .5 from 3 until 5 → median 4, the midpoint
#                            (R and SAS; the first time at 0.5, 3, is lifelines' answer)
OS_DATA = {
    "DEX": [(2, 1), (4, 1), (6, 0), (8, 1), (10, 0)],
    "CTRL": [(1, 1), (3, 1), (5, 1), (7, 0)],
}


def _adtte() -> pd.DataFrame:
    rows = [
        {
            "PARAMCD": code,
            "ARMCD": arm,
            "AVAL": m * DAYS_PER_MONTH,
            "AVALM": float(m),
            "CNSR": 0 if died else 1,
        }
        for code in ("OS", "EFS")
        for arm, data in OS_DATA.items()
        for m, died in data
    ]
    return pd.DataFrame(rows)


class TestKmSummary:
    def test_the_median_of_each_arm_is_the_one_worked_by_hand(self) -> None:
        summary = figures.km_summary(_adtte(), "OS")

        medians = {a.arm: (a.n, a.events, a.median) for a in summary.arms}
        assert medians == {"DEX": (5, 3, 8.0), "CTRL": (4, 3, 4.0)}

    def test_the_log_rank_p_value_is_the_one_lifelines_computes_directly(self) -> None:
        ctrl, dex = OS_DATA["CTRL"], OS_DATA["DEX"]
        direct = logrank_test(
            [m for m, _ in ctrl], [m for m, _ in dex], [d for _, d in ctrl], [d for _, d in dex]
        )

        summary = figures.km_summary(_adtte(), "OS")

        assert summary.logrank_p == pytest.approx(direct.p_value, abs=1e-12)

    def test_a_median_not_reached_is_reported_as_none(self) -> None:
        adtte = pd.DataFrame(
            [
                {"PARAMCD": "OS", "ARMCD": "DEX", "AVAL": m * DAYS_PER_MONTH, "AVALM": m, "CNSR": 1}
                for m in (1.0, 2.0)
            ]
        )

        (arm,) = figures.km_summary(adtte, "OS").arms

        assert (arm.median, arm.upper, figures.km_summary(adtte, "OS").logrank_p) == (
            None,
            None,
            None,
        )


class TestKmFiles:
    def test_png_and_svg_are_valid_and_show_the_numbers_at_risk(self, tmp_path: Path) -> None:
        paths = figures.figures_write(_adtte(), tmp_path, CUTOFF)

        assert [p.name for p in paths] == ["km_os.png", "km_os.svg", "km_efs.png", "km_efs.svg"]
        assert (tmp_path / "km_os.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        svg = etree.fromstring((tmp_path / "km_os.svg").read_bytes())
        text = " ".join(svg.itertext())
        assert "At risk" in text
        assert "Salvage alone" in text and "Log-rank p = " in text

    def test_the_same_rows_give_byte_identical_files(self) -> None:
        first = figures.km_render(_adtte(), "OS", CUTOFF, "svg")

        assert figures.km_render(_adtte(), "OS", CUTOFF, "svg") == first


def _baseline(pid: int, arm: str, **kw: object) -> tables.BaselineFacts:
    data: dict[str, object] = {
        "sex": "Female",
        "age": 60,
        "disease_status": "First relapse",
        "regimen": "IC",
        "cytogenetic_risk": "Intermediate",
        "ecog": 1,
        "wbc": Decimal("4.0"),
        "blood_blast_pct": Decimal("10.0"),
        "marrow_blast_pct": Decimal("30.0"),
        "mutations": {"NPM1": "Mutated"},
    }
    data.update(kw)
    return tables.BaselineFacts(patient_id=pid, arm=arm, **data)


class TestTable1:
    @pytest.fixture
    def rows(self) -> dict[tuple[str, str], dict[str, str]]:
        patients = [
            _baseline(1, "DEX", age=50, wbc=Decimal("2.5")),
            _baseline(2, "DEX", age=70, sex="Male", wbc=Decimal("10.0"), marrow_blast_pct=None),
            _baseline(3, "DEX", age=64, mutations={"NPM1": "Not mutated"}),
            _baseline(4, "CTRL", age=80, regimen="AZA", ecog=2),
        ]
        return {
            (r.characteristic, r.category): r.cells
            for r in tables.table1(patients, ["DEX", "CTRL"])
        }

    def test_counts_and_percentages_by_arm_are_the_ones_worked_by_hand(self, rows) -> None:
        assert rows[("Patients", "N")] == {"DEX": "3", "CTRL": "1", "Total": "4"}
        assert rows[("Sex", "Female")] == {
            "DEX": "2 (66.7%)",
            "CTRL": "1 (100.0%)",
            "Total": "3 (75.0%)",
        }
        assert rows[("ECOG performance status", "2")]["Total"] == "1 (25.0%)"
        assert rows[("Planned salvage regimen", "AZA")]["DEX"] == "0 (0.0%)"
        assert rows[("NPM1 mutation", "Not mutated")]["DEX"] == "1 (33.3%)"

    def test_medians_and_ranges_skip_values_not_measured(self, rows) -> None:
        assert rows[("Age (years)", "Median (min–max)")]["DEX"] == "64 (50–70)"
        assert rows[("Age (years)", "Median (min–max)")]["Total"] == "67 (50–80)"
        assert rows[("WBC (×10⁹/L)", "Median (min–max)")]["DEX"] == "4 (2.5–10)"
        assert rows[("Bone marrow blasts (%)", "Median (min–max)")]["DEX"] == "30 (30–30)"


class TestConsort:
    def test_patients_still_being_screened_are_counted_apart_from_the_eligible(self) -> None:
        people = [
            tables.ConsortFacts(1, None, None),  # eligible, not randomised
            tables.ConsortFacts(2, None, None, in_screening=True),
            tables.ConsortFacts(3, None, None, in_screening=True),
            tables.ConsortFacts(4, "Consent refused", None),
            tables.ConsortFacts(5, None, "DEX", cycles=1),
        ]

        flow = tables.consort(people, ["DEX", "CTRL"])

        assert (flow.screened, flow.not_eligible, flow.not_randomized) == (5, 1, 1)
        assert flow.in_screening == 2
        assert {"stage": "Still being screened", "arm": "", "reason": "", "n": 2} in (
            tables.consort_rows(flow)
        )

    def test_the_flow_counts_are_the_ones_worked_by_hand(self) -> None:
        people = [
            tables.ConsortFacts(1, "Consent refused", None),
            tables.ConsortFacts(2, "Inclusion criterion not met", None),
            tables.ConsortFacts(3, "Consent refused", None),
            tables.ConsortFacts(4, None, None),  # eligible, not yet randomised
            tables.ConsortFacts(
                5,
                None,
                "DEX",
                cycles=2,
                end_of_treatment_reason="Treatment completed",
                completed=True,
            ),
            tables.ConsortFacts(
                6, None, "DEX", cycles=1, end_of_treatment_reason="Toxicity", lost_to_follow_up=True
            ),
            tables.ConsortFacts(
                7,
                None,
                "DEX",
                cycles=0,
                end_of_treatment_reason="Treatment never started",
                withdrawn=True,
            ),
            tables.ConsortFacts(8, None, "CTRL", cycles=1, end_of_treatment_reason="Toxicity"),
        ]

        flow = tables.consort(people, ["DEX", "CTRL"])

        assert (flow.screened, flow.not_eligible, flow.not_randomized) == (8, 3, 1)
        assert flow.not_eligible_reasons == {"Consent refused": 2, "Inclusion criterion not met": 1}
        dex, ctrl = flow.arms
        assert (dex.randomized, dex.received_allocated, dex.discontinued) == (3, 2, 2)
        assert dex.discontinued_reasons == {"Toxicity": 1, "Treatment never started": 1}
        assert (dex.lost_to_follow_up, dex.withdrawn, dex.analysed) == (1, 1, 3)
        assert (ctrl.randomized, ctrl.received_allocated, ctrl.discontinued, ctrl.analysed) == (
            1,
            1,
            1,
            1,
        )
        assert {"stage": "Randomised", "arm": "CTRL", "reason": "", "n": 1} in tables.consort_rows(
            flow
        )


class TestRates:
    def test_the_clopper_pearson_interval_matches_the_published_values(self) -> None:
        # 5/10: 18.7%–81.3%; 0/10: 0–30.8%; 10/10: 69.2%–100% (exact binomial tables).
        (half, none, every) = tables.rates_with_ci(
            [Rate("A", 10, 5), Rate("B", 10, 0), Rate("C", 10, 10)]
        )

        assert (half.percent, half.lower, half.upper) == (50.0, 18.7, 81.3)
        assert (none.lower, none.upper) == (0.0, 30.8)
        assert (every.lower, every.upper) == (69.2, 100.0)


def _patient(pid: int, arm: str, died_after_days: int | None, **kw: object) -> PatientFacts:
    death = START + dt.timedelta(days=died_after_days) if died_after_days else None
    return PatientFacts(
        patient_id=pid,
        usubjid=f"DEXAML-03-{pid:03d}",
        siteid="A",
        arm=arm,
        strat_regimen="IC",
        strat_disease_status="first_relapse",
        randomized_on=START,
        last_known_alive=death or START + dt.timedelta(days=300),
        death_date=death,
        **kw,
    )


class TestReportFiles:
    def test_the_export_files_carry_figures_tables_and_secondary_endpoints(self, tmp_path) -> None:
        patients = [
            _patient(1, "DEX", 61, responses=((START + dt.timedelta(days=30), "CR"),)),
            _patient(2, "DEX", None, transplant_dates=(START + dt.timedelta(days=90),)),
            _patient(3, "CTRL", 30),
            _patient(4, "CTRL", 152),
        ]
        events = [
            AdverseEventFact(1, "Febrile neutropenia", 3, START),
            AdverseEventFact(1, "Febrile neutropenia", 4, START),
            AdverseEventFact(3, "Febrile neutropenia", 2, START),
        ]
        report = report_derive(
            facts=TrialFacts(patients, events),
            baseline=[_baseline(1, "DEX")],
            flow=[tables.ConsortFacts(1, None, "DEX", cycles=1)],
            cutoff=CUTOFF,
            factors=["regimen", "disease_status"],
        )

        names = {p.name for p in report_write(report, tmp_path)}

        assert {"km_os.png", "km_os.svg", "km_efs.png", "km_efs.svg", "table1.csv"} <= names
        km = pd.read_csv(tmp_path / "km_summary.csv")
        ctrl_os = km[(km.endpoint == "OS") & (km.arm == "CTRL")].iloc[0]
        # CTRL deaths at 30 and 152 days: S is exactly 1/2 from the first to the second, so the
        # median is the midpoint, 91 days (R, SAS).
        assert ctrl_os.median_months == round(91 / DAYS_PER_MONTH, 2)
        remission = pd.read_csv(tmp_path / "remission_rate.csv").set_index("arm")
        assert remission.loc["DEX", ["n", "events", "percent"]].tolist() == [2, 1, 50.0]
        assert remission.loc["DEX", "ci_method"].startswith("Clopper–Pearson")
        transplant = pd.read_csv(tmp_path / "transplant_rate.csv").set_index("arm")
        assert transplant.loc["DEX", "events"] == 1 and transplant.loc["CTRL", "events"] == 0
        ae = pd.read_csv(tmp_path / "adverse_events.csv")
        assert ae[
            ["arm", "patients", "grade_2", "grade_4", "grade_3_or_worse"]
        ].values.tolist() == [
            ["CTRL", 1, 1, 0, 0],
            ["DEX", 1, 0, 1, 1],
        ]
        assert json.loads((tmp_path / "consort.json").read_text())["arms"][0]["randomized"] == 1
