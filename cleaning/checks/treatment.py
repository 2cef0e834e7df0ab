"""Edit checks of the treatment period (docs/protocol.md "Treatment period")."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.utils.translation import gettext as _

from cleaning.checks.base import Finding, Outcome, PatientData, Pending, each, fmt
from cleaning.rules import CleaningRules
from treatment.models import DoseUnit, Drug, DrugAdministration
from treatment.rules import TreatmentRules, response_blasts_check
from treatment.services.safety import FATAL_WITHOUT_DEATH

# Per-m² units and the absolute unit a body-surface-area-based dose comes to.
_PER_M2 = {DoseUnit.MG_M2: "mg", DoseUnit.G_M2: "g"}


def _planned_in_full(dose: DrugAdministration) -> str:
    """The planned and given doses for this patient's body surface area, for a per-m² unit."""
    absolute = _PER_M2.get(DoseUnit(dose.unit)) if dose.unit in DoseUnit.values else None
    bsa = dose.cycle.bsa_m2
    if absolute is None or not bsa:
        return ""
    planned = (dose.planned_dose * bsa).quantize(Decimal("1"))
    given = (dose.given_dose * bsa).quantize(Decimal("1"))
    return " " + _(
        "(BSA %(bsa)s m²: %(given)s %(unit)s given for %(planned)s %(unit)s planned)"
    ) % {
        "bsa": bsa,
        "given": given,
        "planned": planned,
        "unit": absolute,
    }


def dose_outside_planned(
    data: PatientData, patient_id: int, rules: CleaningRules
) -> Iterator[Outcome]:
    low, high = rules.dose_min_percent, rules.dose_max_percent
    for dose in each(data.drugs, patient_id):
        if dose.planned_dose <= 0:
            continue
        percent = dose.given_dose * 100 / dose.planned_dose
        if low <= percent <= high:
            continue
        unit = DoseUnit(dose.unit).label if dose.unit in DoseUnit.values else dose.unit
        name = Drug(dose.drug).label if dose.drug in Drug.values else dose.drug
        yield Finding(
            dose,
            "given_dose",
            _(
                "%(drug)s, cycle %(cycle)s: %(given)s %(unit)s given is %(percent)s%% of the "
                "planned %(planned)s %(unit)s%(in_full)s; between %(low)s%% and %(high)s%% is "
                "expected."
            )
            % {
                "drug": name,
                "cycle": dose.cycle.number,
                "given": dose.given_dose,
                "unit": unit,
                "percent": f"{percent:.0f}",
                "planned": dose.planned_dose,
                "in_full": _planned_in_full(dose),
                "low": low,
                "high": high,
            },
        )


def response_too_early(
    data: PatientData, patient_id: int, rules: CleaningRules
) -> Iterator[Outcome]:
    cycles = data.cycles.get(patient_id, [])
    if not cycles:
        return
    first, earliest = cycles[0], rules.response_earliest_day
    for assessment in each(data.responses, patient_id):
        day = (assessment.assessment_date - first.start_date).days + 1
        if day < earliest:
            yield Finding(
                assessment,
                "assessment_date",
                _(
                    "%(response)s assessed on %(date)s, day %(day)s of cycle %(cycle)s (day 1: "
                    "%(day_one)s); a response is assessed from day %(earliest)s."
                )
                % {
                    "response": assessment.get_response_display(),
                    "date": fmt(assessment.assessment_date),
                    "day": day,
                    "cycle": first.number,
                    "day_one": fmt(first.start_date),
                    "earliest": earliest,
                },
            )


def blasts_against_response(
    data: PatientData, patient_id: int, rules: CleaningRules
) -> Iterator[Outcome]:
    for assessment in each(data.responses, patient_id):
        # A relapse may rest on the blood or an extramedullary site (the relapse record, checked
        # when it is saved): only the marrow-based categories are checked here.
        errors = response_blasts_check(
            assessment.response, assessment.marrow_blast_pct, other_relapse_evidence=True
        )
        for message in errors.get("marrow_blast_pct", []):
            yield Finding(assessment, "marrow_blast_pct", message)


def fatal_event_without_death(
    data: PatientData, patient_id: int, rules: CleaningRules
) -> Iterator[Outcome]:
    if patient_id in data.deaths:
        return
    for event in each(data.adverse_events, patient_id):
        if event.grade == 5:
            yield Finding(event, "grade", f"{event.term_label}: {FATAL_WITHOUT_DEATH}")


def sae_report_late(data: PatientData, patient_id: int, rules: CleaningRules) -> Iterator[Outcome]:
    hours = TreatmentRules.from_settings().sae_report_hours
    for event in each(data.adverse_events, patient_id):
        due, aware = event.report_due_at, event.awareness_at
        if not event.serious or due is None or aware is None:
            continue
        if event.reported_at is not None:
            if event.reported_at > due:
                late = (event.reported_at - aware).total_seconds() / 3600
                yield Finding(
                    event,
                    "reported_at",
                    _(
                        "SAE %(term)s: report sent %(sent)s, %(late)s h after the site became "
                        "aware (%(aware)s); due within %(hours)s h."
                    )
                    % {
                        "term": event.term_label,
                        "sent": fmt(event.reported_at),
                        "late": f"{late:.0f}",
                        "aware": fmt(aware),
                        "hours": hours,
                    },
                )
        elif data.now is None:
            yield Pending(event, "reported_at")
        elif data.now > due:
            yield Finding(
                event,
                "reported_at",
                _(
                    "SAE %(term)s: report not sent; it was due by %(due)s, %(hours)s h after the "
                    "site became aware (%(aware)s)."
                )
                % {"term": event.term_label, "due": fmt(due), "hours": hours, "aware": fmt(aware)},
            )
