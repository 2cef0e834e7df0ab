"""The survival datasets as they were made before they were made as columns: each patient's
endpoints derived one at a time (the functions analysis/derive.py had), then one dict per row.

Kept for the tests only, as the reference that `derive.endpoint_columns` and the column-wise
builder of analysis/datasets.py must match value for value and, written, byte for byte. The
conventions are those of analysis/derive.py's description; what follows is the description the
builder had:

The analysis datasets: ADTTE (one row per patient and parameter) and ADSURV (one per patient).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
from django.utils import translation

from analysis import derive, formats
from analysis.derive import (
    CNSR_DESCRIPTIONS,
    DAYS_PER_MONTH,
    DEATH_EVENT,
    EFS,
    OS,
    OSTC,
    RELAPSE_EVENT,
    RFS,
    Cnsr,
    CompetingEvent,
    Endpoint,
    PatientFacts,
    first_relapse_after,
    first_remission,
    transplanted_since_randomisation,
)
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

# The endpoints, a patient at a time.


@dataclass(frozen=True)
class TimeToEvent:
    """One ADTTE row: a parameter of one patient."""

    paramcd: str
    param: str
    startdt: dt.date
    adt: dt.date
    cnsr: int
    evntdesc: str
    srcdom: str
    srcvar: str

    @property
    def aval(self) -> int:
        """Days from the start date to the event or censoring date (day of start = 0)."""
        return (self.adt - self.startdt).days

    @property
    def aval_months(self) -> float:
        return round(self.aval / DAYS_PER_MONTH, 4)

    @property
    def cnsdtdsc(self) -> str:
        return "" if self.cnsr == Cnsr.EVENT else CNSR_DESCRIPTIONS[self.cnsr]


def _on_or_before(day: dt.date | None, cutoff: dt.date) -> dt.date | None:
    return day if day is not None and day <= cutoff else None


def _censor(
    p: PatientFacts, endpoint: Endpoint, start: dt.date, cutoff: dt.date, reason: Cnsr | None = None
) -> TimeToEvent:
    """Censor at the last date known alive, never after the cut-off, never before the start."""
    alive = p.last_known_alive or start
    if p.death_date is not None and p.death_date > cutoff:
        code, day = Cnsr.DEATH_AFTER_CUTOFF, cutoff
    elif alive > cutoff:
        code, day = Cnsr.ALIVE_AFTER_CUTOFF, cutoff
    else:
        code, day = reason or Cnsr.LAST_KNOWN_ALIVE, max(alive, start)
    src = (
        ("ADSL", "DCUTDT")
        if code in (Cnsr.ALIVE_AFTER_CUTOFF, Cnsr.DEATH_AFTER_CUTOFF)
        else (
            "ADSL",
            "LSTALVDT",
        )
    )
    return TimeToEvent(endpoint.paramcd, endpoint.param, start, day, code, "", *src)


def overall_survival(p: PatientFacts, cutoff: dt.date) -> TimeToEvent:
    death = _on_or_before(p.death_date, cutoff)
    if death is not None:
        return TimeToEvent(
            OS.paramcd, OS.param, p.randomized_on, death, Cnsr.EVENT, "Death", "DS", "DTHDT"
        )
    return _censor(p, OS, p.randomized_on, cutoff)


def overall_survival_censored_at_transplant(p: PatientFacts, cutoff: dt.date) -> TimeToEvent:
    """OS with a transplant before the OS date as a censoring (the stated sensitivity analysis)."""
    os_row = overall_survival(p, cutoff)
    transplant = transplanted_since_randomisation(p, cutoff)
    if transplant is None or transplant >= os_row.adt:
        return replace(os_row, paramcd=OSTC.paramcd, param=OSTC.param)
    return TimeToEvent(
        OSTC.paramcd,
        OSTC.param,
        p.randomized_on,
        transplant,
        Cnsr.TRANSPLANT,
        "",
        "ADSL",
        "TRANSDT",
    )


def _relapse_or_death(
    p: PatientFacts, endpoint: Endpoint, start: dt.date, remission: dt.date, cutoff: dt.date
) -> TimeToEvent:
    relapse = first_relapse_after(p, remission, cutoff)
    death = _on_or_before(p.death_date, cutoff)
    # On the same day, the relapse comes first: the patient did not die in remission.
    if relapse is not None and (death is None or relapse <= death):
        return TimeToEvent(
            endpoint.paramcd, endpoint.param, start, relapse, 0, RELAPSE_EVENT, "RELAPSE", "RLPSDT"
        )
    if death is not None:
        return TimeToEvent(
            endpoint.paramcd, endpoint.param, start, death, 0, DEATH_EVENT, "DS", "DTHDT"
        )
    return _censor(p, endpoint, start, cutoff)


def event_free_survival(p: PatientFacts, cutoff: dt.date) -> TimeToEvent:
    start = p.randomized_on
    remission = first_remission(p, cutoff)
    if remission is not None:
        return _relapse_or_death(p, EFS, start, remission, cutoff)
    salvage_over = _on_or_before(p.end_of_treatment_date, cutoff) or _on_or_before(
        p.death_date, cutoff
    )
    if salvage_over is not None:
        return TimeToEvent(
            EFS.paramcd, EFS.param, start, start, 0, "No CR/CRi after salvage", "RS", "AVALC"
        )
    return _censor(p, EFS, start, cutoff, Cnsr.RESPONSE_NOT_YET_KNOWN)


def relapse_free_survival(p: PatientFacts, cutoff: dt.date) -> TimeToEvent | None:
    """None for a patient not in CR/CRi by the cut-off (RFS is defined only in remission)."""
    remission = first_remission(p, cutoff)
    if remission is None:
        return None
    return _relapse_or_death(p, RFS, remission, remission, cutoff)


def competing_event(rfs: TimeToEvent) -> CompetingEvent:
    """The cumulative incidence of relapse of an RFS row: the event it ends with."""
    if rfs.cnsr != Cnsr.EVENT:
        return CompetingEvent.CENSORED
    if rfs.evntdesc == RELAPSE_EVENT:
        return CompetingEvent.RELAPSE
    return CompetingEvent.DEATH_IN_REMISSION


def time_to_events(p: PatientFacts, cutoff: dt.date) -> list[TimeToEvent]:
    rows = [
        overall_survival(p, cutoff),
        overall_survival_censored_at_transplant(p, cutoff),
        event_free_survival(p, cutoff),
    ]
    rfs = relapse_free_survival(p, cutoff)
    return [*rows, rfs] if rfs is not None else rows


# The datasets, a dict per row.

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


Derived = list[tuple[PatientFacts, list[TimeToEvent]]]


def _derived(patients: list[PatientFacts], cutoff: dt.date) -> Derived:
    """The patients in the analysis with their times to event, derived once for both datasets."""
    return [(p, time_to_events(p, cutoff)) for p in patients if derive.in_analysis(p, cutoff)]


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


def _wide_row(p: PatientFacts, events: list[TimeToEvent], cutoff: dt.date) -> dict[str, object]:
    remission = first_remission(p, cutoff)
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
        if t.paramcd == RFS.paramcd:
            row["CIRSTAT"] = int(competing_event(t))
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
