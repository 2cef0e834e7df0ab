"""Salvage cycles and the doses given in them (docs/protocol.md "Treatment period")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from randomization.models import Arm, Randomization
from treatment.models import (
    REGIMEN_DRUGS,
    Cycle,
    CycleKind,
    DeviationKind,
    Drug,
    DrugAdministration,
    EndOfTreatment,
    ProtocolDeviation,
    Response,
    ResponseAssessment,
)
from treatment.rules import TreatmentRules
from treatment.services.common import (
    died_on,
    local_date,
    require_entry,
    treatment_signature_break,
)
from trial.audit import record_save
from trial.exceptions import StateConflict
from trial.models import Death, Patient, Regimen, User
from trial.validation import (
    Errors,
    add_error,
    merge,
    model_errors,
    not_before_randomisation,
    not_in_future,
    raise_if,
    values_errors,
)


@dataclass(frozen=True)
class DrugDose:
    """What was planned and given of one drug in a cycle."""

    drug: str
    planned_dose: Decimal
    given_dose: Decimal
    unit: str
    reduction_reason: str = ""
    delayed: bool = False
    delay_reason: str = ""


@transaction.atomic
def cycle_record(
    *,
    patient: Patient,
    start_date: dt.date,
    regimen: str,
    height_cm: Decimal,
    weight_kg: Decimal,
    drugs: Sequence[DrugDose],
    by: User,
    now: dt.datetime,
    delay_days: int = 0,
    delay_reason: str = "",
    regimen_change_reason: str = "",
    cycle: Cycle | None = None,
    reason: str = "",
    confirmation: str = "",
) -> Cycle:
    """Record a new cycle (cycle None) or correct one (with a reason), with its doses.

    Dexamethasone given in the control arm, missing in the dexamethasone arm, or a regimen
    other than the planned one raise protocol deviations; they are not refused.

    :raises PermissionDenied: the user is not an investigator of the patient's site.
    :raises StateConflict: not randomised, or the treatment period has ended.
    :raises ValidationError: dates out of order or before randomisation, a cycle beyond the
        regimen's limit, a regimen change without a reason, or doses without their reasons.
    """
    randomization = require_entry(patient=patient, by=by)
    Patient.objects.select_for_update().get(pk=patient.pk)
    if cycle is None:
        _refuse_after_end(patient)
    others = _other_cycles(patient, cycle)
    cycle = cycle or _next_cycle(patient, others)
    errors = cycle_errors(
        patient=patient,
        randomization=randomization,
        cycle=cycle,
        today=local_date(now),
        start_date=start_date,
        regimen=regimen,
        regimen_change_reason=regimen_change_reason,
        delay_days=delay_days,
        delay_reason=delay_reason,
        drugs=drugs,
    )
    cycle.regimen, cycle.start_date = regimen, start_date
    cycle.height_cm, cycle.weight_kg = height_cm, weight_kg
    cycle.delay_days, cycle.delay_reason = delay_days, delay_reason.strip()
    cycle.regimen_change_reason = regimen_change_reason.strip()
    raise_if(model_errors(errors, cycle, exclude=DERIVED))
    cycle.kind = _kind(cycle, others, regimen)
    cycle.compute_bsa()
    changing = cycle.pk is not None
    record_save(instance=cycle, by=by, reason=reason, confirmation=confirmation)
    _drugs_record(cycle=cycle, drugs=drugs, by=by, reason=reason, confirmation=confirmation)
    _deviations_refresh(cycle=cycle, randomization=randomization, by=by, now=now)
    what = f"Cycle {cycle.number} {'changed' if changing else 'added'}"
    treatment_signature_break(patient=patient, by=by, now=now, what=what)
    return cycle


# What the service fills itself on a cycle, not checked among the entered values.
DERIVED = ("patient", "number", "kind", "bsa_m2")
# The entered values of a cycle, as a form gives them.
CYCLE_VALUES = (
    "start_date",
    "regimen",
    "regimen_change_reason",
    "height_cm",
    "weight_kg",
    "delay_days",
    "delay_reason",
)


def _other_cycles(patient: Patient, cycle: Cycle | None) -> list[Cycle]:
    live = patient.cycles.filter(entered_in_error=False)
    if cycle is not None:
        live = live.exclude(pk=cycle.pk)
    return list(live.order_by("number"))


def _next_cycle(patient: Patient, others: list[Cycle]) -> Cycle:
    return Cycle(patient=patient, number=(others[-1].number + 1) if others else 1)


def cycle_errors(
    *,
    patient: Patient,
    randomization: Randomization,
    cycle: Cycle | None,
    today: dt.date,
    start_date: dt.date | None,
    regimen: str | None,
    regimen_change_reason: str = "",
    delay_days: int | None = 0,
    delay_reason: str = "",
    drugs: Sequence[DrugDose] | None = None,
) -> Errors:
    """Every rule on a cycle (new when `cycle` is None) that its values allow checking: a value
    not known yet (None) waits; `drugs` None leaves the doses to be checked one by one
    (`dose_errors`)."""
    others = _other_cycles(patient, cycle)
    cycle = cycle or _next_cycle(patient, others)
    errors: Errors = {}
    if start_date is not None:
        not_in_future(errors, today=today, start_date=start_date)
        _check_dates(errors, cycle, others, start_date, randomization)
    if regimen is not None:
        _check_regimen(errors, randomization, regimen, regimen_change_reason)
    if regimen is not None and start_date is not None:
        _check_limits(errors, cycle, others, regimen, start_date)
    if delay_days and not delay_reason.strip():
        add_error(errors, "delay_reason", _("Give the reason why the cycle was delayed."))
    if drugs is not None and regimen in Regimen.values:
        _check_drugs(errors, regimen, drugs)
    return errors


def cycle_form_errors(
    *,
    patient: Patient,
    randomization: Randomization,
    cycle: Cycle | None,
    today: dt.date,
    values: dict[str, Any],
) -> Errors:
    """The checks of `cycle_record` (the model's ranges, then the rules) on the values a form
    could read; the doses are checked beside each drug by the form (`dose_errors`)."""
    known = {name: values[name] for name in CYCLE_VALUES if values.get(name) is not None}
    errors = values_errors(Cycle, known)
    rules = cycle_errors(
        patient=patient,
        randomization=randomization,
        cycle=cycle,
        today=today,
        start_date=known.get("start_date"),
        regimen=known.get("regimen"),
        regimen_change_reason=known.get("regimen_change_reason", ""),
        delay_days=known.get("delay_days", 0),
        delay_reason=known.get("delay_reason", ""),
    )
    return merge(errors, rules)


def _refuse_after_end(patient: Patient) -> None:
    eot = EndOfTreatment.objects.filter(patient=patient, entered_in_error=False).first()
    if eot is not None:
        raise StateConflict(
            _("The treatment period ended on %(date)s; no further cycle can be recorded.")
            % {"date": f"{eot.end_date:%Y-%m-%d}"}
        )


def _check_dates(
    errors: Errors,
    cycle: Cycle,
    others: list[Cycle],
    start_date: dt.date,
    randomization: Randomization,
) -> None:
    not_before_randomisation(
        errors, randomized_on=randomization.randomized_on, start_date=start_date
    )
    before = [c for c in others if c.number < cycle.number]
    after = [c for c in others if c.number > cycle.number]
    if before and start_date <= before[-1].start_date:
        add_error(
            errors,
            "start_date",
            _increase(before[-1]),
        )
    if after and start_date >= after[0].start_date:
        add_error(
            errors,
            "start_date",
            _increase(after[0]),
        )
    death = Death.objects.filter(patient=cycle.patient, entered_in_error=False).first()
    if death is not None and start_date > death.death_date:
        add_error(errors, "start_date", died_on(death.death_date))


def _increase(other: Cycle) -> str:
    return _("Cycle start dates must increase: cycle %(number)s started on %(date)s.") % {
        "number": other.number,
        "date": f"{other.start_date:%Y-%m-%d}",
    }


def _check_regimen(
    errors: Errors, randomization: Randomization, regimen: str, change_reason: str
) -> None:
    if regimen not in Regimen.values:
        add_error(errors, "regimen", _("Choose IC or AZA."))
        return
    planned = randomization.stratum_regimen
    if regimen != planned and not change_reason.strip():
        add_error(
            errors,
            "regimen_change_reason",
            _(
                "The planned regimen is %(planned)s; give the reason for giving %(regimen)s "
                "(it is recorded as a protocol deviation)."
            )
            % {"planned": planned, "regimen": regimen},
        )


def _check_limits(
    errors: Errors, cycle: Cycle, others: list[Cycle], regimen: str, start_date: dt.date
) -> None:
    if regimen == Regimen.IC:
        maximum = TreatmentRules.from_settings().max_ic_cycles
        ic_cycles = [c for c in others if c.regimen == Regimen.IC] + [cycle]
        if len(ic_cycles) > maximum:
            add_error(
                errors,
                "__all__",
                _(
                    "IC allows one induction cycle and at most %(consolidations)s consolidation "
                    "cycles (%(maximum)s in all); cycle %(number)s cannot be recorded."
                )
                % {
                    "consolidations": maximum - 1,
                    "maximum": maximum,
                    "number": len(ic_cycles),
                },
            )
    elif regimen == Regimen.AZA:
        progression = (
            ResponseAssessment.objects.filter(
                patient=cycle.patient,
                entered_in_error=False,
                response=Response.PD,
                assessment_date__lt=start_date,
            )
            .order_by("assessment_date")
            .first()
        )
        if progression is not None:
            add_error(
                errors,
                "__all__",
                _(
                    "Azacitidine continues until progression, which was recorded on %(date)s; "
                    "record the end of treatment instead."
                )
                % {"date": f"{progression.assessment_date:%Y-%m-%d}"},
            )


def drug_label(drug: str) -> str:
    return str(Drug(drug).label) if drug in Drug.values else drug


def dose_errors(dose: DrugDose, regimen: str) -> Errors:
    """The rules on one drug's dose, by what they are about ("drug", "reduction_reason",
    "delay_reason"); every message names the drug in words."""
    errors: Errors = {}
    label = drug_label(dose.drug)
    if dose.drug not in (*REGIMEN_DRUGS.get(regimen, ()), Drug.DEXAMETHASONE):
        add_error(
            errors,
            "drug",
            _("%(drug)s is not part of the %(regimen)s regimen.")
            % {"drug": label, "regimen": regimen},
        )
    if dose.given_dose < dose.planned_dose and not dose.reduction_reason.strip():
        add_error(
            errors,
            "reduction_reason",
            _("%(drug)s: give the reason why less than planned was given.") % {"drug": label},
        )
    if dose.delayed and not dose.delay_reason.strip():
        add_error(
            errors, "delay_reason", _("%(drug)s: give the reason for the delay.") % {"drug": label}
        )
    return errors


def _check_drugs(errors: Errors, regimen: str, drugs: Sequence[DrugDose]) -> None:
    seen: set[str] = set()
    for dose in drugs:
        if dose.drug in seen:
            add_error(
                errors, "drugs", _("%(drug)s is listed twice.") % {"drug": drug_label(dose.drug)}
            )
        seen.add(dose.drug)
        for messages in dose_errors(dose, regimen).values():
            for message in messages:
                add_error(errors, "drugs", message)


def _kind(cycle: Cycle, others: list[Cycle], regimen: str) -> str:
    if regimen == Regimen.AZA:
        return CycleKind.AZACITIDINE
    earlier_ic = [c for c in others if c.regimen == Regimen.IC and c.number < cycle.number]
    return CycleKind.CONSOLIDATION if earlier_ic else CycleKind.INDUCTION


def _drugs_record(
    *, cycle: Cycle, drugs: Sequence[DrugDose], by: User, reason: str, confirmation: str
) -> None:
    existing = {d.drug: d for d in cycle.drugs.filter(entered_in_error=False)}
    for dose in drugs:
        row = existing.pop(dose.drug, None) or DrugAdministration(cycle=cycle, drug=dose.drug)
        values = {
            "planned_dose": dose.planned_dose,
            "given_dose": dose.given_dose,
            "unit": dose.unit,
            "reduction_reason": dose.reduction_reason.strip(),
            "delayed": dose.delayed,
            "delay_reason": dose.delay_reason.strip(),
        }
        if row.pk and all(getattr(row, k) == v for k, v in values.items()):
            continue
        for name, value in values.items():
            setattr(row, name, value)
        record_save(instance=row, by=by, reason=reason, confirmation=confirmation)
    for row in existing.values():  # a drug taken off the corrected cycle
        row.entered_in_error = True
        row.entered_in_error_reason = reason.strip() or "Removed from the cycle"
        record_save(instance=row, by=by, reason=reason or "Removed from the cycle")


def deviations_due(cycle: Cycle, randomization: Randomization) -> dict[str, str]:
    """Return the deviations the cycle's data show (kind → description)."""
    found: dict[str, str] = {}
    dex = cycle.drugs.filter(
        entered_in_error=False, drug=Drug.DEXAMETHASONE, given_dose__gt=0
    ).first()
    if randomization.arm == Arm.CONTROL and dex is not None:
        found[DeviationKind.DEXAMETHASONE_IN_CONTROL] = (
            f"Cycle {cycle.number}: {dex.given_dose} {dex.unit} dexamethasone given to a patient "
            "of the control arm."
        )
    if randomization.arm == Arm.DEXAMETHASONE and dex is None:
        found[DeviationKind.DEXAMETHASONE_MISSING] = (
            f"Cycle {cycle.number}: no dexamethasone given to a patient of the dexamethasone arm."
        )
    if cycle.regimen != randomization.stratum_regimen:
        found[DeviationKind.REGIMEN_CHANGE] = (
            f"Cycle {cycle.number}: {cycle.regimen} given instead of the planned "
            f"{randomization.stratum_regimen}. Reason: {cycle.regimen_change_reason}"
        )
    return found


def _deviations_refresh(
    *, cycle: Cycle, randomization: Randomization, by: User, now: dt.datetime
) -> None:
    due = deviations_due(cycle, randomization)
    for deviation in ProtocolDeviation.objects.filter(cycle=cycle, entered_in_error=False):
        description = due.pop(deviation.kind, None)
        if description is None:
            deviation.entered_in_error = True
            deviation.entered_in_error_reason = "The corrected cycle no longer shows it."
            record_save(instance=deviation, by=by, reason="No longer applies after correction")
        elif description != deviation.description:
            deviation.description = description
            record_save(instance=deviation, by=by, reason="Cycle corrected")
    for kind, description in due.items():
        record_save(
            instance=ProtocolDeviation(
                patient=cycle.patient,
                cycle=cycle,
                kind=kind,
                description=description,
                detected_at=now,
            ),
            by=by,
        )
