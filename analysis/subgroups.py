"""The treatment effect in the pre-specified subgroups (PROTOCOL.md "Statistical analysis").

Subgroups: salvage regimen and disease status (as stratified at randomisation), age < 60 /
≥ 60 years, ELN 2017 cytogenetic risk, and each mutation of settings.TRIAL_ANALYSIS
(NPM1, FLT3-ITD, RUNX1 and TP53 by default: the subgroups the study's rationale singles out as
glucocorticoid-sensitive). A patient whose value is missing, "Not known" or "Not tested" is left
out of that subgroup's analysis.

- In each level: the unstratified Cox hazard ratio dexamethasone vs control (Efron ties, Wald
  95% CI), as R's `coxph(Surv(AVAL, CNSR == 0) ~ ARM, subset = level)`; not estimable (empty)
  when an arm of the level has no event.
- Across levels: the likelihood-ratio test of the treatment × subgroup interaction,
  2·(ℓ(ARM * V) − ℓ(ARM + V)) on (levels − 1) degrees of freedom, as R's
  `anova(coxph(S ~ ARM + V), coxph(S ~ ARM * V))`, over the levels whose hazard ratio is
  estimable (the others carry no information on the interaction).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from django.utils import translation
from django.utils.translation import gettext as _
from scipy.stats import chi2

from analysis.cox import cox_fit
from analysis.dictionary import AGE_CUT, SUBGROUP_MUTATIONS, mutation_variable
from analysis.inference import COMPARISON, Estimate
from trial.models import CytogeneticRisk, DiseaseStatus, MutationResult, Regimen

SUBGROUP_ENDPOINTS = ("OS", "EFS")


@dataclass(frozen=True)
class Subgroup:
    """An ADTTE column and its analysed levels: value → label, in display order."""

    column: str
    label: str
    levels: dict[str, str]


def subgroups() -> list[Subgroup]:
    """The analysed subgroups, their levels labelled in English as the datasets hold them."""
    with translation.override("en"):
        return _subgroups()


def subgroups_shown() -> list[Subgroup]:
    """The same subgroups, in the same order, labelled in the active language (pages, figures)."""
    return _subgroups()


def _subgroups() -> list[Subgroup]:
    risks = [CytogeneticRisk.FAVOURABLE, CytogeneticRisk.INTERMEDIATE, CytogeneticRisk.ADVERSE]
    results = [MutationResult.MUTATED, MutationResult.NOT_MUTATED]
    age = {"age": AGE_CUT}
    return [
        Subgroup("STRREG", _("Salvage regimen"), {r.value: str(r.label) for r in Regimen}),
        Subgroup("STRDIS", _("Disease status"), {s.value: str(s.label) for s in DiseaseStatus}),
        Subgroup(
            "AGEGR1",
            _("Age"),
            {f"<{AGE_CUT}": _("< %(age)s years") % age, f">={AGE_CUT}": _("≥ %(age)s years") % age},
        ),
        Subgroup(
            "CYTORISK",
            _("Cytogenetic risk (ELN 2017)"),
            {str(r.label): str(r.label) for r in risks},
        ),
        *(
            Subgroup(mutation_variable(g), g, {str(r.label): str(r.label) for r in results})
            for g in SUBGROUP_MUTATIONS
        ),
    ]


def _estimable(rows: pd.DataFrame) -> bool:
    events = rows.groupby("TRT").E.sum()
    return len(events) == 2 and bool((events > 0).all())


def _level_estimate(rows: pd.DataFrame, paramcd: str, sub: Subgroup, value: str) -> Estimate:
    level = rows[rows[sub.column].eq(value)]
    fit = cox_fit(level, ["TRT"]) if _estimable(level) else None
    return Estimate(
        endpoint=paramcd,
        analysis="subgroup_hr",
        group=f"{sub.column}={value}",
        label=f"{sub.label}: {sub.levels[value]}",
        estimate=fit.hr if fit else None,
        lower=fit.lower if fit else None,
        upper=fit.upper if fit else None,
        p=fit.p if fit else None,
        n=len(level),
        events=int(level.E.sum()),
        method="Cox proportional hazards in the subgroup, Efron ties, unstratified; Wald 95% CI",
        unit="hazard ratio",
    )


def _interaction(rows: pd.DataFrame, paramcd: str, sub: Subgroup, values: list[str]) -> Estimate:
    kept = rows[rows[sub.column].isin(values)].copy()
    levels, products = [], []
    for i, value in enumerate(values[1:]):  # the first estimable level is the reference
        kept[f"L{i}"] = kept[sub.column].eq(value).astype(int)
        kept[f"X{i}"] = kept[f"L{i}"] * kept.TRT
        levels.append(f"L{i}")
        products.append(f"X{i}")
    main = cox_fit(kept, ["TRT", *levels]) if levels else None
    full = cox_fit(kept, ["TRT", *levels, *products]) if main else None
    statistic = 2 * (full.log_likelihood - main.log_likelihood) if main and full else None
    return Estimate(
        endpoint=paramcd,
        analysis="subgroup_interaction",
        group=sub.column,
        label=_("%(subgroup)s: treatment × subgroup interaction") % {"subgroup": sub.label},
        statistic=statistic,
        df=len(levels) if statistic is not None else None,
        p=float(chi2.sf(statistic, len(levels))) if statistic is not None else None,
        n=len(kept),
        events=int(kept.E.sum()),
        method=f"Likelihood-ratio test of ARM × {sub.column} in Cox models (Efron ties), "
        f"over the levels with events in both arms ({COMPARISON})",
    )


def subgroup_estimates(rows: pd.DataFrame, paramcd: str) -> list[Estimate]:
    """Per subgroup: the hazard ratio of each level, then the interaction test."""
    out: list[Estimate] = []
    for sub in subgroups():
        levels = [_level_estimate(rows, paramcd, sub, value) for value in sub.levels]
        estimable = [v for v, e in zip(sub.levels, levels, strict=True) if e.estimate is not None]
        out += [*levels, _interaction(rows, paramcd, sub, estimable)]
    return out
