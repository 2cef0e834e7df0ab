"""Edit checks of post-treatment follow-up (docs/protocol.md "Post-treatment follow-up")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.utils.translation import gettext as _

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
            _(
                "Visit %(number)s (month %(month)s): contact on %(contact)s is outside its "
                "window, %(opens)s to %(last)s (target %(target)s)."
            )
            % {
                "number": visit.number,
                "month": visit.month,
                "contact": fmt(contact),
                "opens": fmt(visit.window_opens),
                "last": fmt(last_day),
                "target": fmt(visit.target_date),
            },
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
                _(
                    "Visit %(number)s of %(contact)s records the patient alive, after the "
                    "death recorded on %(death)s."
                )
                % {"number": visit.number, "contact": fmt(contact), "death": fmt(death.death_date)},
                other=(
                    death,
                    "death_date",
                    _(
                        "Visit %(number)s recorded the patient alive on %(contact)s, after "
                        "this date of death."
                    )
                    % {"number": visit.number, "contact": fmt(contact)},
                ),
            )
