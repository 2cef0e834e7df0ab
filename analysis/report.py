"""The trial report at a cut-off: KM figures and summaries, the primary analysis (hazard ratios,
stratified tests, subgroups, relapse incidence), Table 1, CONSORT, secondary endpoints.

Built from one gathering of the database; the estimates and figures use the very ADTTE frame
the exports write. `report_write` lays it out as files of an export.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from analysis import derive, figures, tables
from analysis.datasets import survival_frames
from analysis.effect_figures import effect_drawings, effect_figures_write
from analysis.gather import (
    TrialFacts,
    baseline_facts_gather,
    consort_facts_gather,
    stratification_factors_gather,
    trial_facts_gather,
)
from analysis.inference import Estimate, estimates_frame
from analysis.primary import estimates_derive
from randomization.models import Arm

ARMS = [Arm.DEXAMETHASONE.value, Arm.CONTROL.value]
ARM_LABELS = dict(Arm.choices)
CI_METHOD = "Clopper–Pearson exact binomial, two-sided 95%"


@dataclass(frozen=True)
class AnalysisReport:
    cutoff: dt.date
    frames: dict[str, pd.DataFrame]
    km: list[figures.KmSummary]
    table1: list[tables.Table1Row]
    consort: tables.Consort
    remission: list[tables.RateCi]
    transplant: list[tables.RateCi]
    adverse_events: list[dict[str, object]]
    factors: list[str]
    estimates: list[Estimate]

    @property
    def adtte(self) -> pd.DataFrame:
        return self.frames["adtte"]


def report_derive(
    *,
    facts: TrialFacts,
    baseline: list[tables.BaselineFacts],
    flow: list[tables.ConsortFacts],
    cutoff: dt.date,
    factors: list[str],
) -> AnalysisReport:
    frames = survival_frames(facts.patients, cutoff)
    patients = facts.patients
    return AnalysisReport(
        cutoff=cutoff,
        frames=frames,
        km=[figures.km_summary(frames["adtte"], code) for code in figures.FIGURE_ENDPOINTS],
        table1=tables.table1(baseline, ARMS),
        consort=tables.consort(flow, ARMS),
        remission=tables.rates_with_ci(derive.remission_rate(patients, cutoff)),
        transplant=tables.rates_with_ci(derive.transplant_rate(patients, cutoff)),
        adverse_events=tables.adverse_event_rows(
            derive.adverse_events_by_arm(patients, facts.adverse_events, cutoff)
        ),
        factors=factors,
        estimates=estimates_derive(frames["adtte"], factors),
    )


def analysis_report_build(*, cutoff: dt.date) -> AnalysisReport:
    """Read the database once and derive every table and figure summary at the cut-off."""
    return report_derive(
        facts=trial_facts_gather(cutoff=cutoff),
        baseline=baseline_facts_gather(cutoff=cutoff),
        flow=consort_facts_gather(cutoff=cutoff),
        cutoff=cutoff,
        factors=stratification_factors_gather(cutoff=cutoff),
    )


def table1_frame(rows: list[tables.Table1Row]) -> pd.DataFrame:
    columns = [*ARMS, tables.TOTAL]
    records = [
        {
            "characteristic": r.characteristic,
            "category": r.category,
            **{str(ARM_LABELS.get(c, c)): r.cells.get(c, "") for c in columns},
        }
        for r in rows
    ]
    return pd.DataFrame(records)


def rates_frame(rates: list[tables.RateCi]) -> pd.DataFrame:
    frame = pd.DataFrame([asdict(r) for r in rates], columns=list(tables.RateCi.__annotations__))
    frame["ci_method"] = CI_METHOD
    return frame.rename(columns={"lower": "ci95_lower_pct", "upper": "ci95_upper_pct"})


def consort_json(flow: tables.Consort) -> str:
    return json.dumps(asdict(flow), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")


def figure_drawings(
    adtte: pd.DataFrame, estimates: list[Estimate], cutoff: dt.date
) -> dict[str, Callable[[], Figure]]:
    """Every figure of the report: its file's stem (km_os, forest_efs, cir …) and its drawing."""
    return {**figures.km_drawings(adtte, cutoff), **effect_drawings(adtte, estimates, cutoff)}


def report_write(
    report: AnalysisReport, out_dir: Path, on_file: Callable[[str], None] = lambda name: None
) -> list[Path]:
    """Write the figures (PNG, SVG), the estimates, their summary and the tables (CSV; CONSORT
    also JSON)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = figures.figures_write(report.adtte, out_dir, report.cutoff)
    paths += effect_figures_write(report.adtte, report.estimates, out_dir, report.cutoff)
    on_file("figures")
    frames = {
        "estimates.csv": estimates_frame(report.estimates),
        "km_summary.csv": figures.km_summary_frame(report.km),
        "table1.csv": table1_frame(report.table1),
        "consort.csv": pd.DataFrame(
            tables.consort_rows(report.consort), columns=["stage", "arm", "reason", "n"]
        ),
        "remission_rate.csv": rates_frame(report.remission),
        "transplant_rate.csv": rates_frame(report.transplant),
        "adverse_events.csv": pd.DataFrame(
            report.adverse_events,
            columns=[
                "arm",
                "term",
                "patients",
                *(f"grade_{g}" for g in range(1, 6)),
                "grade_3_or_worse",
            ],
        ),
    }
    for name, frame in frames.items():
        _csv(frame, out_dir / name)
        paths.append(out_dir / name)
    (out_dir / "consort.json").write_text(consort_json(report.consort), encoding="utf-8")
    paths.append(out_dir / "consort.json")
    on_file("tables")
    return paths
