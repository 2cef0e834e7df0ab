"""Kaplan–Meier figures of OS and EFS by arm, from the ADTTE rows the exports write.

One source of truth: the figures take the ADTTE frame of `datasets.adtte_frame`, never the
database. Time is in months (AVALM); an event is CNSR = 0. The curves are lifelines'
Kaplan–Meier estimator; medians and their 95% confidence intervals follow R's rules (`km.py`:
the midpoint of a stretch at exactly 0.5, Greenwood log(-log) intervals), computed in days and
shown in months; the two arms are compared by the (unstratified) log-rank test.

Files are reproducible: the SVG writer's random ids are salted with a constant and no dates
are stamped, so the same cut-off gives byte-identical files. Every word drawn is marked for
translation and the numbers are formatted alike in every language (decimal point, ISO dates):
drawn in the trial's language (`analysis.language`) for the report and its exports, and in the
reader's for the pages (`analysis.cache.report_figure`).
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from lifelines import KaplanMeierFitter
from lifelines.plotting import add_at_risk_counts
from lifelines.statistics import logrank_test
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from analysis import km
from analysis.derive import DAYS_PER_MONTH
from randomization.models import Arm

FIGURE_ENDPOINTS = {
    "OS": gettext_noop("Overall survival"),
    "EFS": gettext_noop("Event-free survival"),
}
FIGURE_FORMATS = ("png", "svg")
ARM_LABELS = dict(Arm.choices)
AT_RISK = "At risk"  # lifelines' name of the row, drawn as it is named
_RC: dict[str, Any] = {
    "svg.hashsalt": "DEXAML-03",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
}
_METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}}


@dataclass(frozen=True)
class ArmSurvival:
    """The Kaplan–Meier summary of one arm; a median not reached is None."""

    arm: str
    label: str
    n: int
    events: int
    median: float | None
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class KmSummary:
    paramcd: str
    title: str
    arms: list[ArmSurvival]
    logrank_p: float | None
    logrank_statistic: float | None


def _months(days: float | None) -> float | None:
    return None if days is None or not math.isfinite(days) else round(days / DAYS_PER_MONTH, 2)


def _fitters(adtte: pd.DataFrame, paramcd: str) -> dict[str, KaplanMeierFitter]:
    rows = adtte[adtte.PARAMCD.eq(paramcd)]
    fitters = {}
    for arm in sorted(set(rows.ARMCD)):
        arm_rows = rows[rows.ARMCD.eq(arm)]
        kmf = KaplanMeierFitter(label=str(ARM_LABELS.get(arm, arm)))
        kmf.fit(arm_rows.AVALM.astype(float), event_observed=arm_rows.CNSR == 0)
        fitters[arm] = kmf
    return fitters


def _arm_survival(arm: str, rows: pd.DataFrame) -> ArmSurvival:
    curve = km.km_curve(rows.AVAL.to_numpy(float), rows.CNSR.eq(0).to_numpy())
    median = km.km_median(curve, "log-log")
    return ArmSurvival(
        arm=arm,
        label=str(ARM_LABELS.get(arm, arm)),
        n=curve.n,
        events=curve.events,
        median=_months(median.estimate),
        lower=_months(median.lower),
        upper=_months(median.upper),
    )


def _logrank(adtte: pd.DataFrame, paramcd: str) -> tuple[float | None, float | None]:
    rows = adtte[adtte.PARAMCD.eq(paramcd)]
    arms = sorted(set(rows.ARMCD))
    if len(arms) != 2:
        return None, None
    a, b = (rows[rows.ARMCD.eq(arm)] for arm in arms)
    result = logrank_test(a.AVALM, b.AVALM, a.CNSR == 0, b.CNSR == 0)
    return float(result.p_value), float(result.test_statistic)


def km_summary(adtte: pd.DataFrame, paramcd: str) -> KmSummary:
    """Median (95% CI) per arm and the log-rank test, for OS or EFS."""
    rows = adtte[adtte.PARAMCD.eq(paramcd)]
    p_value, statistic = _logrank(adtte, paramcd)
    return KmSummary(
        paramcd=paramcd,
        title=FIGURE_ENDPOINTS[paramcd],
        arms=[_arm_survival(arm, rows[rows.ARMCD.eq(arm)]) for arm in sorted(set(rows.ARMCD))],
        logrank_p=p_value,
        logrank_statistic=statistic,
    )


def _median_text(a: ArmSurvival) -> str:
    def show(v: float | None) -> str:
        return _("NR") if v is None else f"{v:.1f}"

    return _("%(arm)s: median %(median)s (95%% CI %(lower)s–%(upper)s) months") % {
        "arm": a.label,
        "median": show(a.median),
        "lower": show(a.lower),
        "upper": show(a.upper),
    }


def _at_risk_translate(ax: Axes) -> None:
    """Name lifelines' "At risk" row (the first tick label of its table) in the active language."""
    table = ax.figure.axes[-1]
    shown = _("At risk")
    labels = [t.get_text() for t in table.get_xticklabels()]
    if shown != AT_RISK and labels and labels[0].startswith(AT_RISK):
        labels[0] = shown + labels[0][len(AT_RISK) :]
        table.set_xticklabels(labels, ha="right")


def km_figure(adtte: pd.DataFrame, paramcd: str, cutoff: dt.date) -> Figure:
    """The Kaplan–Meier plot by arm with the numbers at risk under the time axis."""
    fitters = _fitters(adtte, paramcd)
    summary = km_summary(adtte, paramcd)
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for kmf in fitters.values():
        kmf.plot_survival_function(ax=ax, ci_show=False, show_censors=True)
    # Time starts at randomisation; keep at least a month in view when every event is at day 0.
    ax.set_xlim(0, max(ax.get_xlim()[1], 1.0))
    if fitters:
        add_at_risk_counts(*fitters.values(), ax=ax, rows_to_show=[AT_RISK])
        _at_risk_translate(ax)
    title = _(summary.title)
    ax.set_title(
        _("%(endpoint)s by arm, DEXAML-03, cut-off %(cutoff)s")
        % {"endpoint": title, "cutoff": f"{cutoff:%Y-%m-%d}"}
    )
    ax.set_xlabel(_("Months since randomisation"))
    ax.set_ylabel(_("%(endpoint)s (probability)") % {"endpoint": title})
    ax.set_ylim(0, 1.05)
    lines = [_median_text(a) for a in summary.arms]
    if summary.logrank_p is not None:
        lines.append(_("Log-rank p = %(p)s (unstratified)") % {"p": f"{summary.logrank_p:.4f}"})
    ax.text(0.98, 0.98, "\n".join(lines), transform=ax.transAxes, ha="right", va="top", fontsize=8)
    fig.tight_layout()
    return fig


def render(
    draw: Callable[[], Figure], formats: tuple[str, ...] = FIGURE_FORMATS
) -> dict[str, bytes]:
    """Draw a figure once and return it in each format, the same bytes for the same data."""
    out = {}
    with matplotlib.rc_context(_RC):  # type: ignore[arg-type]
        fig = draw()
        for fmt in formats:
            buffer = io.BytesIO()
            fig.savefig(buffer, format=fmt, dpi=120, metadata=_METADATA[fmt])
            out[fmt] = buffer.getvalue()
        plt.close(fig)
    return out


def km_render(adtte: pd.DataFrame, paramcd: str, cutoff: dt.date, fmt: str) -> bytes:
    """The figure as PNG or SVG bytes (reproducible for the same rows)."""
    return render(lambda: km_figure(adtte, paramcd, cutoff), (fmt,))[fmt]


def write_figure(draw: Callable[[], Figure], out_dir: Path, stem: str) -> list[Path]:
    """`stem`.png and `stem`.svg of one drawing."""
    paths = []
    for fmt, content in render(draw).items():
        path = out_dir / f"{stem}.{fmt}"
        path.write_bytes(content)
        paths.append(path)
    return paths


def km_drawings(adtte: pd.DataFrame, cutoff: dt.date) -> dict[str, Callable[[], Figure]]:
    """km_os, km_efs: each file's stem and the drawing of it."""
    return {
        f"km_{paramcd.lower()}": partial(km_figure, adtte, paramcd, cutoff)
        for paramcd in FIGURE_ENDPOINTS
    }


def figures_write(adtte: pd.DataFrame, out_dir: Path, cutoff: dt.date) -> list[Path]:
    """km_os.png, km_os.svg, km_efs.png, km_efs.svg."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, draw in km_drawings(adtte, cutoff).items():
        paths += write_figure(draw, out_dir, stem)
    return paths


def km_summary_frame(summaries: list[KmSummary]) -> pd.DataFrame:
    """One row per endpoint and arm: n, events, median and 95% CI (months), log-rank p."""
    rows = [
        {
            "endpoint": s.paramcd,
            "arm": a.arm,
            "arm_label": a.label,
            "n": a.n,
            "events": a.events,
            "median_months": a.median,
            "ci95_lower": a.lower,
            "ci95_upper": a.upper,
            "logrank_p": s.logrank_p,
        }
        for s in summaries
        for a in s.arms
    ]
    return pd.DataFrame(rows)
