"""Builders for the treatment-period tests (no tests here)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from treatment.models import Cycle
from treatment.services import DrugDose, cycle_record
from trial.models import Patient, User

# Randomised on 2026-11-02 (tests.factories.NOW); "now" of these tests is months later.
NOW = dt.datetime(2027, 9, 1, 9, 0, tzinfo=dt.UTC)
STARTS = [
    dt.date(2026, 11, 3),
    dt.date(2026, 12, 1),
    dt.date(2027, 1, 5),
    dt.date(2027, 2, 2),
    dt.date(2027, 3, 2),
    dt.date(2027, 4, 6),
]


def dose(drug: str, planned: str, given: str | None = None, unit: str = "mg/m2", **kw: Any):
    return DrugDose(
        drug=drug,
        planned_dose=Decimal(planned),
        given_dose=Decimal(given if given is not None else planned),
        unit=unit,
        **kw,
    )


DEX = dose("dexamethasone", "160", unit="mg")


def salvage(regimen: str, *, dex: bool = True) -> list[DrugDose]:
    drugs = (
        [dose("amsacrine", "120"), dose("cytarabine", "6000")]
        if regimen == "IC"
        else [dose("azacitidine", "525")]
    )
    return [*drugs, DEX] if dex else drugs


def record_cycle(
    patient: Patient,
    by: User,
    start: dt.date,
    *,
    regimen: str = "IC",
    drugs: list[DrugDose] | None = None,
    now: dt.datetime = NOW,
    **kw: Any,
) -> Cycle:
    return cycle_record(
        patient=patient,
        start_date=start,
        regimen=regimen,
        height_cm=kw.pop("height_cm", Decimal("170")),
        weight_kg=kw.pop("weight_kg", Decimal("70")),
        drugs=drugs if drugs is not None else salvage(regimen),
        by=by,
        now=now,
        **kw,
    )
