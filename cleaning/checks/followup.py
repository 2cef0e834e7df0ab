"""Edit checks of post-treatment follow-up (docs/protocol.md "Post-treatment follow-up")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from cleaning.checks.base import Finding, Outcome, PatientData, each, fmt
from cleaning.rules import CleaningRules
from followup.models import VitalStatus


def visit_outside_window(
    data: PatientData, patient_id: int, rules: CleaningRules
) -> Iterator[Outcome]:
    for visit in each(data.visits_done, patient_id):
        contact = visit.contact_date
        if contact is None or visit.window_opens <= contact < visit.window_closes:
            continue
        last_day = visit.window_closes - dt.timedelta(days=1)
        yield Finding(
            visit,
            "contact_date",
            f"Visit {visit.number} (month {visit.month}): contact on {fmt(contact)} is outside "
            f"its window, {fmt(visit.window_opens)} to {fmt(last_day)} (target "
            f"{fmt(visit.target_date)}).",
        )


def alive_after_death(
    data: PatientData, patient_id: int, rules: CleaningRules
) -> Iterator[Outcome]:
    death = data.deaths.get(patient_id)
    if death is None:
        return
    for visit in each(data.visits_done, patient_id):
        contact = visit.contact_date
        if visit.vital_status != VitalStatus.ALIVE or contact is None:
            continue
        if contact > death.death_date:
            yield Finding(
                visit,
                "vital_status",
                f"Visit {visit.number} of {fmt(contact)} records the patient alive, after the "
                f"death recorded on {fmt(death.death_date)}.",
                other=(
                    death,
                    "death_date",
                    f"Visit {visit.number} recorded the patient alive on {fmt(contact)}, after "
                    "this date of death.",
                ),
            )
