"""Demo data for the treatment period: for each randomised demo patient treated long enough ago,
a salvage cycle, its response, the end of treatment, and for some in CR/CRi a relapse later on,
all written through the services, so that the demo's Kaplan–Meier plots, Table 1 and CONSORT
have responses, relapses and (with followup/demo.py) deaths to show.

Idempotent: a patient with a cycle is left alone.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction

from randomization.models import Arm, Randomization
from treatment.models import (
    REGIMEN_DRUGS,
    DoseUnit,
    Drug,
    EndOfTreatmentReason,
    RelapseFoundAt,
    Response,
)
from treatment.rules import TreatmentRules
from treatment.services import (
    DrugDose,
    RelapseFinding,
    cycle_record,
    end_of_treatment_record,
    relapse_record,
    response_record,
)
from trial.models import Membership, Role, User

# Planned doses for the cycle of each regimen (per m²).
DOSES: dict[str, Decimal] = {
    Drug.AMSACRINE: Decimal("360"),
    Drug.CYTARABINE: Decimal("6000"),
    Drug.AZACITIDINE: Decimal("525"),
}
# What the demo's response assessments find, in this proportion (ELN 2017 categories).
RESPONSES = [Response.CR] * 5 + [Response.CRI] * 2 + [Response.PR, Response.SD, Response.PD]
ASSESSED_AFTER = 35  # days from the start of the cycle to the response assessment


def _investigator(site_id: int) -> User | None:
    membership = (
        Membership.objects.filter(site_id=site_id, role=Role.INVESTIGATOR, active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(17), tzinfo=dt.UTC)


def _drugs(randomization: Randomization) -> list[DrugDose]:
    rules = TreatmentRules.from_settings()
    drugs = [
        DrugDose(drug=drug, planned_dose=DOSES[drug], given_dose=DOSES[drug], unit=DoseUnit.MG_M2)
        for drug in REGIMEN_DRUGS[randomization.stratum_regimen]
    ]
    if randomization.arm == Arm.DEXAMETHASONE:
        dose = rules.dexamethasone_planned_dose
        drugs.append(DrugDose(Drug.DEXAMETHASONE, dose, dose, rules.dexamethasone_unit))
    return drugs


def _treat(randomization: Randomization, by: User, rng: random.Random, today: dt.date) -> bool:
    """One cycle, its response and the end of treatment; a relapse for some in CR/CRi."""
    patient, start = randomization.patient, randomization.randomized_on + dt.timedelta(days=2)
    assessed = start + dt.timedelta(days=ASSESSED_AFTER)
    if assessed + dt.timedelta(days=7) > today:
        return False  # still on treatment
    cycle_record(
        patient=patient, start_date=start, regimen=randomization.stratum_regimen,
        height_cm=Decimal(rng.randint(155, 190)), weight_kg=Decimal(rng.randint(52, 95)),
        drugs=_drugs(randomization), by=by, now=_at(start),
    )  # fmt: skip
    response = rng.choice(RESPONSES)
    blasts = {Response.CR: "2", Response.CRI: "3", Response.PR: "12"}.get(response, "40")
    response_record(
        patient=patient, assessment_date=assessed, response=response,
        marrow_blast_pct=Decimal(blasts), by=by, now=_at(assessed),
    )  # fmt: skip
    in_remission = response in (Response.CR, Response.CRI)
    end = assessed + dt.timedelta(days=3)
    reason = EndOfTreatmentReason.COMPLETED if in_remission else EndOfTreatmentReason.PROGRESSION
    end_of_treatment_record(patient=patient, end_date=end, end_reason=reason, by=by, now=_at(end))
    relapsed = end + dt.timedelta(days=rng.randint(60, 420))
    if in_remission and rng.random() < 0.45 and relapsed < today:
        relapse_record(
            patient=patient, relapse_date=relapsed,
            finding=RelapseFinding(bone_marrow=True, marrow_blast_pct=Decimal("22")),
            found_at=RelapseFoundAt.RELAPSE_FORM, by=by, now=_at(relapsed),
        )  # fmt: skip
    return True


@transaction.atomic
def demo_seed_treatment(*, today: dt.date) -> int:
    """Treat the randomised demo patients that have no cycle yet; return how many were."""
    rng = random.Random(20260317)
    treated = 0
    for randomization in Randomization.objects.select_related("patient").order_by(
        "randomized_at", "pk"
    ):
        by = _investigator(randomization.patient.site_id)
        if by is None or randomization.patient.cycles.exists():
            continue
        treated += _treat(randomization, by, rng, today)
    return treated
