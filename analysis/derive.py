"""Endpoint derivations at a data cut-off (PROTOCOL.md "Endpoints the data managers export").

Pure functions on plain dataclasses: no ORM, no clock. Every rule about an endpoint lives here
and nowhere else; `gather.py` fills the dataclasses, `datasets.py` lays the results out.

Conventions (ELN 2017, Döhner et al., Blood 2017):
- OS: randomisation → death from any cause on or before the cut-off; otherwise censored at the
  last date known alive, never after the cut-off (a death after the cut-off is censored there).
- EFS: randomisation → no CR/CRi after salvage (the event is dated at randomisation, day 0),
  relapse after CR/CRi, or death; otherwise censored at the last date known alive.
- RFS (patients in CR/CRi only): first CR/CRi date → relapse or death.
- OSTC, the sensitivity analysis of OS censored at transplant: as OS, except that a patient
  transplanted (on or after randomisation, on or before the cut-off) before the OS date is
  censored on the day of the transplant.
- CIR (the same patients and times as RFS): relapse is the event of interest, death in
  remission the competing event (`competing_event_columns`).
The relapse is the patient's relapse record, counted when it is dated after the first CR/CRi
and on or before the cut-off. A relapse on the day of death is the first event: relapse for EFS,
RFS and CIR, never death in remission (docs/protocol.md "Relapse").
Only what is dated on or before the cut-off counts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import NamedTuple

import numpy as np

DAYS_PER_MONTH = 365.25 / 12
REMISSION = frozenset({"CR", "CRi"})


class Cnsr(IntEnum):
    """ADaM CNSR: 0 is an event; each censoring reason has its own positive code."""

    EVENT = 0
    LAST_KNOWN_ALIVE = 1
    ALIVE_AFTER_CUTOFF = 2
    DEATH_AFTER_CUTOFF = 3
    RESPONSE_NOT_YET_KNOWN = 4
    TRANSPLANT = 5


CNSR_DESCRIPTIONS: dict[int, str] = {
    Cnsr.EVENT: "Event",
    Cnsr.LAST_KNOWN_ALIVE: "Censored at the last date known alive",
    Cnsr.ALIVE_AFTER_CUTOFF: "Known alive after the cut-off: censored at the cut-off",
    Cnsr.DEATH_AFTER_CUTOFF: "Death after the cut-off: censored at the cut-off",
    Cnsr.RESPONSE_NOT_YET_KNOWN: (
        "Salvage not finished and no CR/CRi yet: censored at the last date known alive"
    ),
    Cnsr.TRANSPLANT: "Transplanted: censored at the transplant (sensitivity analysis)",
}


@dataclass(frozen=True)
class PatientFacts:
    """What the database knows about one randomised patient, as plain values."""

    patient_id: int
    usubjid: str
    siteid: str
    arm: str
    strat_regimen: str
    strat_disease_status: str
    randomized_on: dt.date
    last_known_alive: dt.date | None = None
    death_date: dt.date | None = None
    responses: tuple[tuple[dt.date, str], ...] = ()  # (assessment date, ELN response)
    relapse_date: dt.date | None = None  # the relapse record
    relapse_type: str = ""  # how it was established: BM, PB, EM joined by "+" (RELAPSE_TYPES)
    transplant_dates: tuple[dt.date, ...] = ()
    end_of_treatment_date: dt.date | None = None
    sex: str = ""
    age: int | None = None
    cytogenetic_risk: str = ""  # display label of the ELN 2017 risk group
    mutations: tuple[tuple[str, str], ...] = ()  # (gene code, display label of the result)


@dataclass(frozen=True)
class Endpoint:
    paramcd: str
    param: str


# How a relapse was established (ELN 2017), as RLPSTYP writes it: the codes joined by "+".
RELAPSE_TYPES = {
    "BM": "≥ 5% bone-marrow blasts",
    "PB": "blasts in the peripheral blood",
    "EM": "extramedullary disease",
}


class CompetingEvent(IntEnum):
    """The cumulative incidence of relapse: relapse, the competing death in remission, or
    censored (the input of an Aalen–Johansen estimate and Gray's test)."""

    CENSORED = 0
    RELAPSE = 1
    DEATH_IN_REMISSION = 2


COMPETING_EVENT_DESCRIPTIONS: dict[int, str] = {
    CompetingEvent.CENSORED: "Censored (alive in remission)",
    CompetingEvent.RELAPSE: "Relapse (also on the day of death)",
    CompetingEvent.DEATH_IN_REMISSION: "Death in remission (competing event)",
}

RELAPSE_EVENT, DEATH_EVENT = "Relapse", "Death"

OS = Endpoint("OS", "Overall survival (days)")
EFS = Endpoint("EFS", "Event-free survival (days)")
RFS = Endpoint("RFS", "Relapse-free survival after CR/CRi (days)")
OSTC = Endpoint("OSTC", "OS censored at transplant (days)")
ENDPOINTS = (OS, OSTC, EFS, RFS)


def transplanted_since_randomisation(p: PatientFacts, cutoff: dt.date) -> dt.date | None:
    """The first transplant on or after randomisation and on or before the cut-off (OSTC)."""
    days = [d for d in p.transplant_dates if p.randomized_on <= d <= cutoff]
    return min(days) if days else None


def first_remission(p: PatientFacts, cutoff: dt.date) -> dt.date | None:
    """Date of the first CR or CRi on or before the cut-off."""
    days = [d for d, r in p.responses if r in REMISSION and d <= cutoff]
    return min(days) if days else None


def first_relapse_after(p: PatientFacts, start: dt.date, cutoff: dt.date) -> dt.date | None:
    """The relapse, when it is dated after `start` (the first CR/CRi) and by the cut-off."""
    day = p.relapse_date
    return day if day is not None and start < day <= cutoff else None


def counted_relapse(p: PatientFacts, cutoff: dt.date) -> dt.date | None:
    """The relapse that the endpoints count at the cut-off: after the first CR/CRi."""
    remission = first_remission(p, cutoff)
    return first_relapse_after(p, remission, cutoff) if remission is not None else None


def in_analysis(p: PatientFacts, cutoff: dt.date) -> bool:
    """Patients randomised on or before the cut-off are analysed (intention to treat)."""
    return p.randomized_on <= cutoff


def transplanted_by(p: PatientFacts, cutoff: dt.date) -> dt.date | None:
    days = [d for d in p.transplant_dates if d <= cutoff]
    return min(days) if days else None


@dataclass(frozen=True)
class Rate:
    arm: str
    n: int
    events: int

    @property
    def percent(self) -> float:
        return round(100 * self.events / self.n, 1) if self.n else 0.0


def _rates(
    patients: list[PatientFacts], cutoff: dt.date, has: Callable[[PatientFacts], bool]
) -> list[Rate]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p in patients:
        if in_analysis(p, cutoff):
            counts[p.arm][0] += 1
            counts[p.arm][1] += int(has(p))
    return [Rate(arm, n, k) for arm, (n, k) in sorted(counts.items())]


def remission_rate(patients: list[PatientFacts], cutoff: dt.date) -> list[Rate]:
    """CR/CRi rate by arm, over every randomised patient (intention to treat)."""
    return _rates(patients, cutoff, lambda p: first_remission(p, cutoff) is not None)


def transplant_rate(patients: list[PatientFacts], cutoff: dt.date) -> list[Rate]:
    return _rates(patients, cutoff, lambda p: transplanted_by(p, cutoff) is not None)


class AdverseEventFact(NamedTuple):
    """One adverse event. A named tuple: a trial of 100,000 patients has hundreds of thousands,
    and a frozen dataclass takes nearly three times as long to make."""

    patient_id: int
    term: str
    grade: int
    start_date: dt.date


@dataclass(frozen=True)
class AdverseEventRow:
    """Patients of an arm with a term, by their worst grade of that term."""

    arm: str
    term: str
    patients: int
    by_worst_grade: dict[int, int] = field(default_factory=dict)


def adverse_events_by_arm(
    patients: list[PatientFacts], events: list[AdverseEventFact], cutoff: dt.date
) -> list[AdverseEventRow]:
    """Each patient counts once per term, at the worst grade started on or before the cut-off."""
    arm_of = {p.patient_id: p.arm for p in patients if in_analysis(p, cutoff)}
    worst: dict[tuple[str, str, int], int] = {}
    for e in events:
        if e.patient_id in arm_of and e.start_date <= cutoff:
            key = (arm_of[e.patient_id], e.term, e.patient_id)
            worst[key] = max(worst.get(key, 0), e.grade)
    table: dict[tuple[str, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for (arm, term, _), grade in worst.items():
        table[(arm, term)][grade] += 1
    return [
        AdverseEventRow(arm, term, sum(g.values()), dict(sorted(g.items())))
        for (arm, term), g in sorted(table.items())
    ]


# The endpoints of every patient at once, as numpy columns: what the datasets are built from.
# Each step below is the column form of the function named beside it, a patient at a time; those
# functions are kept in tests/analysis/survival_rows.py as the reference, and
# tests/analysis/test_survival_columns.py holds the two to the same results.


@dataclass(frozen=True)
class EndpointColumns:
    """One endpoint of every patient (the column form of the reference's `TimeToEvent`).

    Dates are numpy datetime64[D] (NaT: missing), text an array of str objects. `present`
    says which patients have the endpoint (RFS: those in CR/CRi); other rows are undefined.
    """

    endpoint: Endpoint
    present: np.ndarray
    startdt: np.ndarray
    adt: np.ndarray
    cnsr: np.ndarray
    evntdesc: np.ndarray
    srcdom: np.ndarray
    srcvar: np.ndarray

    def where(
        self, mask: np.ndarray, adt: np.ndarray, cnsr: int, evntdesc: str, src: tuple[str, str]
    ) -> EndpointColumns:
        """These columns, with the rows of `mask` ending at `adt` as (cnsr, evntdesc, src)."""
        return replace(
            self,
            adt=np.where(mask, adt, self.adt),
            cnsr=np.where(mask, cnsr, self.cnsr),
            evntdesc=np.where(mask, object_column(evntdesc), self.evntdesc),
            srcdom=np.where(mask, object_column(src[0]), self.srcdom),
            srcvar=np.where(mask, object_column(src[1]), self.srcvar),
        )


_EPOCH = dt.date(1970, 1, 1).toordinal()


def date_column(values: list[dt.date | None]) -> np.ndarray:
    """datetime64[D] of dates (NaT: None), through their ordinals: numpy's own conversion of
    date objects is ten times slower."""
    ordinals = np.fromiter(
        (0 if d is None else d.toordinal() for d in values), dtype=np.int64, count=len(values)
    )
    days = (ordinals - _EPOCH).astype("datetime64[D]")
    days[ordinals == 0] = np.datetime64("NaT")
    return days


def object_column(value: object, n: int | None = None) -> np.ndarray:
    """`value` in an object array of `n` rows (a 0-d one without `n`, for `np.where`), every row
    the one object: `np.full` or `np.where` given a str makes a new copy of it for each row."""
    column = np.empty(() if n is None else n, dtype=object)
    column.fill(value)
    return column


def endpoint_columns(patients: list[PatientFacts], cutoff: dt.date) -> dict[str, EndpointColumns]:
    """Every endpoint of every patient, by PARAMCD (the column form of `time_to_events`)."""
    n = len(patients)
    cut = np.datetime64(cutoff, "D")
    randomized = date_column([p.randomized_on for p in patients])
    alive = date_column([p.last_known_alive for p in patients])
    death = date_column([p.death_date for p in patients])
    end_of_treatment = date_column([p.end_of_treatment_date for p in patients])
    remission = date_column([first_remission(p, cutoff) for p in patients])
    relapse = date_column([p.relapse_date for p in patients])
    transplant = date_column([transplanted_since_randomisation(p, cutoff) for p in patients])
    in_remission = ~np.isnat(remission)
    death_by = ~np.isnat(death) & (death <= cut)  # `_on_or_before`
    death_after = ~np.isnat(death) & (death > cut)

    def censor(endpoint: Endpoint, start: np.ndarray, reason: np.ndarray) -> EndpointColumns:
        """`_censor`: at the last date known alive, never after the cut-off or before start."""
        known = np.where(np.isnat(alive), start, alive)
        at_cutoff = death_after | (known > cut)
        return EndpointColumns(
            endpoint=endpoint,
            present=np.ones(n, dtype=bool),
            startdt=start,
            adt=np.where(at_cutoff, cut, np.maximum(known, start)),
            cnsr=np.where(
                death_after,
                int(Cnsr.DEATH_AFTER_CUTOFF),
                np.where(known > cut, int(Cnsr.ALIVE_AFTER_CUTOFF), reason),
            ).astype(np.int64),
            evntdesc=object_column("", n),
            srcdom=object_column("ADSL", n),
            srcvar=np.where(at_cutoff, object_column("DCUTDT"), object_column("LSTALVDT")),
        )

    last_alive = np.full(n, int(Cnsr.LAST_KNOWN_ALIVE))
    # `first_relapse_after` and `_relapse_or_death`: a relapse on the day of death comes first.
    relapse_by = ~np.isnat(relapse) & in_remission & (remission < relapse) & (relapse <= cut)
    relapse_first = relapse_by & (~death_by | (relapse <= death))
    died_first = ~relapse_first & death_by

    def relapse_or_death(columns: EndpointColumns, rows: np.ndarray) -> EndpointColumns:
        return columns.where(rows & died_first, death, 0, DEATH_EVENT, ("DS", "DTHDT")).where(
            rows & relapse_first, relapse, 0, RELAPSE_EVENT, ("RELAPSE", "RLPSDT")
        )

    os_columns = censor(OS, randomized, last_alive).where(
        death_by, death, int(Cnsr.EVENT), "Death", ("DS", "DTHDT")
    )  # `overall_survival`
    ostc = replace(os_columns, endpoint=OSTC).where(  # `overall_survival_censored_at_transplant`
        ~np.isnat(transplant) & (transplant < os_columns.adt),
        transplant,
        int(Cnsr.TRANSPLANT),
        "",
        ("ADSL", "TRANSDT"),
    )
    salvage_over = (~np.isnat(end_of_treatment) & (end_of_treatment <= cut)) | death_by
    efs = censor(
        EFS,
        randomized,
        np.where(in_remission, last_alive, int(Cnsr.RESPONSE_NOT_YET_KNOWN)),
    ).where(  # `event_free_survival`
        ~in_remission & salvage_over, randomized, 0, "No CR/CRi after salvage", ("RS", "AVALC")
    )
    efs = relapse_or_death(efs, in_remission)
    rfs = relapse_or_death(censor(RFS, remission, last_alive), in_remission)  # `relapse_free_…`
    rfs = replace(rfs, present=in_remission)
    return {c.endpoint.paramcd: c for c in (os_columns, ostc, efs, rfs)}


def competing_event_columns(rfs: EndpointColumns) -> np.ndarray:
    """`competing_event` of every RFS row."""
    return np.where(
        rfs.cnsr != Cnsr.EVENT,
        int(CompetingEvent.CENSORED),
        np.where(
            rfs.evntdesc == RELAPSE_EVENT,
            int(CompetingEvent.RELAPSE),
            int(CompetingEvent.DEATH_IN_REMISSION),
        ),
    )
