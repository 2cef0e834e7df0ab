"""Figures of the treatment effect: the subgroup forest plot and the relapse incidence curves.

Drawn from the estimates and the ADTTE rows the export writes (never the database), as PNG and
SVG with `figures.render`, so the same cut-off gives byte-identical files; their words are
marked for translation like the Kaplan–Meier figures' (`figures.py`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from django.utils.translation import gettext as _
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullLocator

from analysis.figures import write_figure
from analysis.inference import (
    ANALYSED_ENDPOINTS,
    ARM_LABELS,
    COMPARISON,
    CONTROL,
    TREATMENT,
    Estimate,
)
from analysis.presentation import p_text, subgroup_rows
from analysis.relapse import CAUSES, ENDPOINT, incidence_curves
from analysis.subgroups import SUBGROUP_ENDPOINTS

ARM_COLOURS = {TREATMENT: "#1f77b4", CONTROL: "#d62728"}
TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)


def _forest_text(ax: Axes, x: float, y: float, text: str, **style: Any) -> None:
    ax.text(x, y, text, transform=ax.get_yaxis_transform(), va="center", fontsize=8, **style)


def forest_figure(estimates: list[Estimate], paramcd: str, cutoff: dt.date) -> Figure:
    """Hazard ratio (95% CI) of dexamethasone vs control overall and in each subgroup level."""
    rows = subgroup_rows(estimates, paramcd)
    height = 0.32 * len(rows) + 1.6
    fig, ax = plt.subplots(figsize=(10, height))
    y = np.arange(len(rows))[::-1]
    shown = [r.estimate for r in rows if r.estimate is not None and r.estimate.estimate is not None]
    low = min([e.lower for e in shown if e.lower] + [0.5])
    high = max([e.upper for e in shown if e.upper and math.isfinite(e.upper)] + [2.0])
    for yi, row in zip(y, rows, strict=True):
        if row.heading:
            label = _("%(subgroup)s (interaction p = %(p)s)") % {"subgroup": row.label, "p": row.p}
        else:
            label = row.label if yi == y[0] else f"    {row.label}"
            _forest_text(ax, 1.02, yi, f"{row.n} ({row.events})   {row.hr}", ha="left")
        _forest_text(ax, -0.02, yi, label, ha="right", fontweight="bold" if row.heading else None)
        e = row.estimate
        if e is not None and e.estimate is not None and e.lower is not None and e.upper is not None:
            ax.plot([e.lower, e.upper], [yi, yi], color="black", linewidth=1)
            ax.plot([e.estimate], [yi], marker="D" if yi == y[0] else "s", color="black")
    ax.axvline(1.0, color="grey", linestyle="--", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlim(low / 1.2, high * 1.2)
    ax.xaxis.set_major_locator(FixedLocator([t for t in TICKS if low / 1.2 <= t <= high * 1.2]))
    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_ylim(-1, len(rows))
    ax.set_yticks([])
    header = _("n (events)   HR (%(level)s%% CI)") % {"level": 95}
    _forest_text(ax, 1.02, len(rows) - 0.4, header, ha="left", fontweight="bold")
    ax.set_xlabel(
        _(
            "Hazard ratio, dexamethasone vs control (log scale)\n"
            "← favours dexamethasone        favours control →"
        )
    )
    ax.set_title(
        _("%(endpoint)s by subgroup, DEXAML-03, cut-off %(cutoff)s")
        % {"endpoint": _(ANALYSED_ENDPOINTS[paramcd]), "cutoff": f"{cutoff:%Y-%m-%d}"}
    )
    fig.subplots_adjust(left=0.34, right=0.72, top=0.94, bottom=0.8 / height)
    return fig


def cir_figure(adtte: pd.DataFrame, estimates: list[Estimate], cutoff: dt.date) -> Figure:
    """Cumulative incidence of relapse (solid) and of death in remission (dashed) by arm."""
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for (arm, cause), (months, values) in incidence_curves(adtte).items():
        name = CAUSES[cause][1]
        ax.step(
            months,
            values,
            where="post",
            color=ARM_COLOURS[arm],
            linestyle="-" if cause == 1 else "--",
            label=_("%(arm)s: %(cause)s") % {"arm": ARM_LABELS[arm], "cause": _(name)},
        )
    ax.set_xlim(0, max(ax.get_xlim()[1], 1.0))
    ax.set_ylim(0, 1.0)
    ax.set_xlabel(_("Months since CR/CRi"))
    ax.set_ylabel(_("Cumulative incidence"))
    ax.set_title(
        _("Relapse after CR/CRi, death in remission competing, cut-off %(cutoff)s")
        % {"cutoff": f"{cutoff:%Y-%m-%d}"}
    )
    tests = {e.analysis: e for e in estimates if e.endpoint == ENDPOINT and e.group == COMPARISON}
    lines = [
        text % {"p": p_text(tests[name].p)}
        for name, text in (
            ("gray_test", _("Gray's test of relapse: p = %(p)s")),
            ("gray_test_stratified", _("Gray's test of relapse: p = %(p)s (stratified)")),
        )
        if name in tests
    ]
    # Under the axes: the curves may rise anywhere inside them.
    fig.text(0.01, 0.01, "\n".join(lines), ha="left", va="bottom", fontsize=8)
    if ax.get_lines():
        ax.legend(loc="best", fontsize=8)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def effect_drawings(
    adtte: pd.DataFrame, estimates: list[Estimate], cutoff: dt.date
) -> dict[str, Callable[[], Figure]]:
    """forest_os, forest_efs, cir: each file's stem and the drawing of it."""
    drawings: dict[str, Callable[[], Figure]] = {
        f"forest_{code.lower()}": partial(forest_figure, estimates, code, cutoff)
        for code in SUBGROUP_ENDPOINTS
    }
    drawings["cir"] = partial(cir_figure, adtte, estimates, cutoff)
    return drawings


def effect_figures_write(
    adtte: pd.DataFrame, estimates: list[Estimate], out_dir: Path, cutoff: dt.date
) -> list[Path]:
    """forest_os.png/.svg, forest_efs.png/.svg, cir.png/.svg."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for stem, draw in effect_drawings(adtte, estimates, cutoff).items():
        paths += write_figure(draw, out_dir, stem)
    return paths
