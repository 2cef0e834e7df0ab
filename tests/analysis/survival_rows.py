"""The survival dataset builder as it was before it built columns: one dict per row.

Kept for the tests only, as the reference the column-wise builder of analysis/datasets.py must
match value for value and, written, byte for byte. What follows is the description it had:

The analysis datasets: ADTTE (one row per patient and parameter) and ADSURV (one per patient).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from django.utils import translation

from analysis import derive, formats
from analysis.derive import PatientFacts
from analysis.dictionary import (
    ADTTE,
    AGE_CUT,
    SUBGROUP_MUTATIONS,
    WIDE,
    Variable,
    mutation_variable,
)
from analysis.gather import STUDYID
from randomization.models import Arm

ARM_LABELS = dict(Arm.choices)


def _arm_label(code: str) -> str:
    """The arm's label as exported: CDISC values stay English whatever the reader's language."""
    with translation.override("en"):
        return str(ARM_LABELS.get(code, code))


def _subject(p: PatientFacts) -> dict[str, object]:
    return {
        "STUDYID": STUDYID,
        "USUBJID": p.usubjid,
        "SITEID": p.siteid,
        "ARMCD": p.arm,
        "ARM": _arm_label(p.arm),
        "STRREG": p.strat_regimen,
        "STRDIS": p.strat_disease_status,
    }


def _baseline(p: PatientFacts) -> dict[str, object]:
    """The baseline values the subgroup analyses need (PROTOCOL.md "Statistical analysis")."""
    mutations = dict(p.mutations)
    group = "" if p.age is None else (f"<{AGE_CUT}" if p.age < AGE_CUT else f">={AGE_CUT}")
    return {
        "AGE": p.age,
        "AGEGR1": group,
        "CYTORISK": p.cytogenetic_risk,
        **{variable: mutations.get(g, "") for g, variable in _MUTATION_VARIABLES},
    }


_MUTATION_VARIABLES = [(g, mutation_variable(g)) for g in SUBGROUP_MUTATIONS]


def _frame(rows: list[dict[str, object]], variables: list[Variable]) -> pd.DataFrame:
    columns = [v.name for v in variables]
    frame = pd.DataFrame(rows, columns=columns)
    for v in variables:
        if v.kind == "num":
            frame[v.name] = pd.to_numeric(frame[v.name]).astype("float64")
        elif v.kind == "char":
            frame[v.name] = frame[v.name].fillna("").astype(str)
        else:  # dates: datetime.date or None, even where a column is all missing
            column = frame[v.name].astype(object)
            frame[v.name] = column.where(column.notna(), None)
    return frame


Derived = list[tuple[PatientFacts, list[derive.TimeToEvent]]]


def _derived(patients: list[PatientFacts], cutoff: dt.date) -> Derived:
    """The patients in the analysis with their times to event, derived once for both datasets."""
    return [
        (p, derive.time_to_events(p, cutoff)) for p in patients if derive.in_analysis(p, cutoff)
    ]


def adtte_frame(patients: list[PatientFacts], cutoff: dt.date) -> pd.DataFrame:
    return _adtte_frame(_derived(patients, cutoff), cutoff)


def _adtte_frame(derived: Derived, cutoff: dt.date) -> pd.DataFrame:
    rows = []
    for p, events in derived:
        subject = _subject(p) | _baseline(p)
        for t in events:
            rows.append(
                {
                    **subject,
                    "PARAMCD": t.paramcd,
                    "PARAM": t.param,
                    "STARTDT": t.startdt,
                    "ADT": t.adt,
                    "AVAL": t.aval,
                    "AVALM": t.aval_months,
                    "CNSR": t.cnsr,
                    "EVNTDESC": t.evntdesc,
                    "CNSDTDSC": t.cnsdtdsc,
                    "SRCDOM": t.srcdom,
                    "SRCVAR": t.srcvar,
                    "DCUTDT": cutoff,
                }
            )
    return _frame(rows, ADTTE)


def _wide_row(
    p: PatientFacts, events: list[derive.TimeToEvent], cutoff: dt.date
) -> dict[str, object]:
    remission = derive.first_remission(p, cutoff)
    relapse = derive.counted_relapse(p, cutoff)
    transplant = derive.transplanted_by(p, cutoff)
    death = p.death_date if p.death_date and p.death_date <= cutoff else None
    row: dict[str, object] = {
        **_subject(p),
        "SEX": p.sex,
        **_baseline(p),
        "RANDDT": p.randomized_on,
        "DCUTDT": cutoff,
        "LSTALVDT": p.last_known_alive,
        "DTHDT": death,
        "CRFL": "Y" if remission else "N",
        "CRDT": remission,
        "RLPSDT": relapse,
        "RLPSTYP": p.relapse_type if relapse else "",
        "TRANSFL": "Y" if transplant else "N",
        "TRANSDT": transplant,
    }
    for t in events:
        code = t.paramcd
        row |= {f"{code}AVAL": t.aval, f"{code}MON": t.aval_months}
        row |= {f"{code}CNSR": t.cnsr, f"{code}ADT": t.adt}
        if t.paramcd == derive.RFS.paramcd:
            row["CIRSTAT"] = int(derive.competing_event(t))
    return row


def wide_frame(patients: list[PatientFacts], cutoff: dt.date) -> pd.DataFrame:
    return _wide_frame(_derived(patients, cutoff), cutoff)


def _wide_frame(derived: Derived, cutoff: dt.date) -> pd.DataFrame:
    return _frame([_wide_row(p, events, cutoff) for p, events in derived], WIDE)


def survival_frames(patients: list[PatientFacts], cutoff: dt.date) -> dict[str, pd.DataFrame]:
    derived = _derived(patients, cutoff)
    return {"adtte": _adtte_frame(derived, cutoff), "adsurv": _wide_frame(derived, cutoff)}


def datasets_write(*, frames: dict[str, pd.DataFrame], out_dir: Path, cutoff: dt.date) -> None:
    """Every file as it was written: by analysis/formats.py's writers of its time."""
    formats.datasets_write(
        frames=frames, out_dir=out_dir, formats=list(formats.FORMATS), cutoff=cutoff
    )
