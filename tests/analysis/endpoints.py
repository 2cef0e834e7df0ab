"""One patient's endpoints as the application derives them: `derive.endpoint_columns` of a trial
of that one patient, read back as the reference's rows (tests/analysis/survival_rows.py), for the
tests that work a patient by hand."""

from __future__ import annotations

import datetime as dt

from analysis import derive
from analysis.derive import CompetingEvent, EndpointColumns, PatientFacts
from tests.analysis.survival_rows import TimeToEvent


def _row(c: EndpointColumns) -> TimeToEvent:
    return TimeToEvent(
        paramcd=c.endpoint.paramcd,
        param=c.endpoint.param,
        startdt=c.startdt[0].astype(dt.date),
        adt=c.adt[0].astype(dt.date),
        cnsr=int(c.cnsr[0]),
        evntdesc=str(c.evntdesc[0]),
        srcdom=str(c.srcdom[0]),
        srcvar=str(c.srcvar[0]),
    )


def patient_endpoints(p: PatientFacts, cutoff: dt.date) -> dict[str, TimeToEvent]:
    """The endpoints the patient has, by PARAMCD in `derive.ENDPOINTS`' order (RFS only for a
    patient in CR/CRi by the cut-off)."""
    columns = derive.endpoint_columns([p], cutoff)
    return {
        e.paramcd: _row(columns[e.paramcd])
        for e in derive.ENDPOINTS
        if columns[e.paramcd].present[0]
    }


def patient_competing_event(p: PatientFacts, cutoff: dt.date) -> CompetingEvent:
    """The relapse incidence's event of a patient in CR/CRi (`derive.competing_event_columns`)."""
    rfs = derive.endpoint_columns([p], cutoff)[derive.RFS.paramcd]
    assert rfs.present[0], "the patient is not in CR/CRi by the cut-off"
    return CompetingEvent(int(derive.competing_event_columns(rfs)[0]))
