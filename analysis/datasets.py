"""The analysis datasets: ADTTE (one row per patient and parameter) and ADSURV (one per patient).

Built a column at a time: the endpoints of all patients are derived at once as numpy columns
(`derive.endpoint_columns`); a patient's own values (subject, baseline) are listed once, for
ADSURV, and repeated for each of their ADTTE rows. No dict or object per row.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from django.utils import translation

from analysis import derive
from analysis.derive import CNSR_DESCRIPTIONS, DAYS_PER_MONTH, EndpointColumns, PatientFacts
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
from trial.bulk import cycle_collection_paused

_MUTATION_VARIABLES = [(g, mutation_variable(g)) for g in SUBGROUP_MUTATIONS]
# A patient's own values, on their ADSURV row and repeated on each of their ADTTE rows.
_OWN = (
    "STUDYID",
    "USUBJID",
    "SITEID",
    "ARMCD",
    "ARM",
    "STRREG",
    "STRDIS",
    "AGE",
    "AGEGR1",
    "CYTORISK",
    *(variable for _, variable in _MUTATION_VARIABLES),
)
# CNSDTDSC by CNSR: empty for an event.
_CENSORING = np.array(
    ["" if code == derive.Cnsr.EVENT else CNSR_DESCRIPTIONS.get(code, "") for code in range(8)],
    dtype=object,
)


def _arm_labels() -> dict[str, str]:
    """The arms' labels as exported: CDISC values stay English whatever the reader's language."""
    with translation.override("en"):
        return {str(code): str(label) for code, label in Arm.choices}


def _own_columns(patients: list[PatientFacts]) -> dict[str, np.ndarray]:
    """Subject and baseline: the values the subgroup analyses need (PROTOCOL.md "Statistical
    analysis")."""
    arm_labels = _arm_labels()

    def text(values: list[str]) -> np.ndarray:
        return np.array(values, dtype=object)

    ages = [p.age for p in patients]
    columns = {
        "STUDYID": derive.object_column(STUDYID, len(patients)),
        "USUBJID": text([p.usubjid for p in patients]),
        "SITEID": text([p.siteid for p in patients]),
        "ARMCD": text([p.arm for p in patients]),
        "ARM": text([arm_labels.get(p.arm, p.arm) for p in patients]),
        "STRREG": text([p.strat_regimen for p in patients]),
        "STRDIS": text([p.strat_disease_status for p in patients]),
        "AGE": np.array(ages, dtype="float64"),
        "AGEGR1": text(
            ["" if a is None else (f"<{AGE_CUT}" if a < AGE_CUT else f">={AGE_CUT}") for a in ages]
        ),
        "CYTORISK": text([p.cytogenetic_risk for p in patients]),
    }
    mutations = [dict(p.mutations) for p in patients]
    for gene, variable in _MUTATION_VARIABLES:
        columns[variable] = text([m.get(gene, "") for m in mutations])
    return columns


def _date_objects(days: np.ndarray) -> np.ndarray:
    """datetime64[D] → datetime.date objects, None where missing: one object per distinct day,
    shared by its rows (a few thousand days for hundreds of thousands of rows)."""
    distinct, where = np.unique(days.astype("datetime64[D]"), return_inverse=True)
    return distinct.astype(object)[where.reshape(-1)]


def _flag(yes: np.ndarray) -> np.ndarray:
    """Y or N."""
    return np.where(yes, derive.object_column("Y"), derive.object_column("N"))


def _months(days: np.ndarray) -> np.ndarray:
    """AVALM: days over the mean month, rounded by Python to 4 decimals as the reference did
    (tests/analysis/survival_rows.py), once for each distinct day."""
    distinct, where = np.unique(days, return_inverse=True)
    months = np.array([round(int(d) / DAYS_PER_MONTH, 4) for d in distinct], dtype="float64")
    return months[where.reshape(-1)] if len(days) else np.zeros(0)


def _aval(c: EndpointColumns) -> np.ndarray:
    """Days from the start date to the event or censoring date (day of start = 0)."""
    return (c.adt - c.startdt).astype("int64")


def _frame(columns: dict[str, np.ndarray], variables: list[Variable]) -> pd.DataFrame:
    """The columns typed as the data dictionary says: numbers as float64 (missing: NaN), text
    as str objects (missing: ""), dates as datetime.date objects (missing: None)."""
    typed: dict[str, np.ndarray] = {}
    for v in variables:
        values = columns[v.name]
        if v.kind == "num" and values.dtype != object:
            typed[v.name] = values.astype("float64", copy=False)
        elif v.kind == "num":
            typed[v.name] = np.asarray(values, dtype=object).astype("float64")
        elif v.kind == "char":
            typed[v.name] = np.asarray(values, dtype=object)  # str already (PatientFacts)
        else:
            typed[v.name] = np.asarray(values, dtype=object)
    # copy=False: a block per column, as built, where pandas would copy the columns of each type
    # into one block (for a moment, twice the frame).
    return pd.DataFrame(typed, columns=[v.name for v in variables], copy=False)


@cycle_collection_paused()
def survival_frames(patients: list[PatientFacts], cutoff: dt.date) -> dict[str, pd.DataFrame]:
    """ADTTE and ADSURV of the patients in the analysis (randomised by the cut-off)."""
    analysed = [p for p in patients if derive.in_analysis(p, cutoff)]
    n = len(analysed)
    own = _own_columns(analysed)
    endpoints = derive.endpoint_columns(analysed, cutoff)
    ordered = [endpoints[e.paramcd] for e in derive.ENDPOINTS]
    # ADTTE: each patient's endpoints in ENDPOINTS' order, those they have.
    present = np.stack([c.present for c in ordered], axis=1)
    kept = present.reshape(-1)

    def rows(values: list[np.ndarray]) -> np.ndarray:
        return np.stack(values, axis=1).reshape(-1)[kept]

    aval = rows([_aval(c) for c in ordered])
    cnsr = rows([c.cnsr for c in ordered])
    adtte: dict[str, np.ndarray] = {
        name: np.repeat(values, present.sum(axis=1)) for name, values in own.items()
    }
    adtte |= {
        "PARAMCD": rows([derive.object_column(c.endpoint.paramcd, n) for c in ordered]),
        "PARAM": rows([derive.object_column(c.endpoint.param, n) for c in ordered]),
        "STARTDT": _date_objects(rows([c.startdt for c in ordered])),
        "ADT": _date_objects(rows([c.adt for c in ordered])),
        "AVAL": aval,
        "AVALM": _months(aval),
        "CNSR": cnsr,
        "EVNTDESC": rows([c.evntdesc for c in ordered]),
        "CNSDTDSC": _CENSORING[cnsr],
        "SRCDOM": rows([c.srcdom for c in ordered]),
        "SRCVAR": rows([c.srcvar for c in ordered]),
        "DCUTDT": np.full(len(aval), cutoff, dtype=object),
    }
    # ADSURV: one row per patient.
    cut = np.datetime64(cutoff, "D")
    remission = endpoints[derive.RFS.paramcd].startdt  # RFS starts at the first CR/CRi (NaT: none)
    relapse = derive.date_column([p.relapse_date for p in analysed])
    # `counted_relapse`: after the first CR/CRi, on or before the cut-off.
    relapse = np.where(
        ~np.isnat(remission) & (remission < relapse) & (relapse <= cut),
        relapse,
        np.datetime64("NaT"),
    )
    transplant = derive.date_column([derive.transplanted_by(p, cutoff) for p in analysed])
    death = derive.date_column([p.death_date for p in analysed])
    wide: dict[str, np.ndarray] = {
        **own,
        "SEX": np.array([p.sex for p in analysed], dtype=object),
        "RANDDT": np.array([p.randomized_on for p in analysed], dtype=object),
        "DCUTDT": np.full(n, cutoff, dtype=object),
        "LSTALVDT": np.array([p.last_known_alive for p in analysed], dtype=object),
        "DTHDT": _date_objects(np.where(death <= cut, death, np.datetime64("NaT"))),
        "CRFL": _flag(~np.isnat(remission)),
        "CRDT": _date_objects(remission),
        "RLPSDT": _date_objects(relapse),
        "RLPSTYP": np.where(
            np.isnat(relapse), "", np.array([p.relapse_type for p in analysed], dtype=object)
        ),
        "TRANSFL": _flag(~np.isnat(transplant)),
        "TRANSDT": _date_objects(transplant),
    }
    for c in ordered:
        code = c.endpoint.paramcd
        missing = np.datetime64("NaT")
        wide |= {
            f"{code}AVAL": np.where(c.present, _aval(c), np.nan),
            f"{code}MON": np.where(c.present, _months(_aval(c)), np.nan),
            f"{code}CNSR": np.where(c.present, c.cnsr, np.nan),
            f"{code}ADT": _date_objects(np.where(c.present, c.adt, missing)),
        }
    rfs = endpoints[derive.RFS.paramcd]
    wide["CIRSTAT"] = np.where(rfs.present, derive.competing_event_columns(rfs), np.nan)
    return {"adtte": _frame(adtte, ADTTE), "adsurv": _frame(wide, WIDE)}


def adtte_frame(patients: list[PatientFacts], cutoff: dt.date) -> pd.DataFrame:
    return survival_frames(patients, cutoff)["adtte"]


def wide_frame(patients: list[PatientFacts], cutoff: dt.date) -> pd.DataFrame:
    return survival_frames(patients, cutoff)["adsurv"]
