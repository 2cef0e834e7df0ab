"""Bulk reads of the database into the plain facts that `derive.py` works on.

A constant number of queries whatever the number of patients (one per kind of record, plus
one per source of `last_known_alive_bulk`). Records entered in error never count.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from followup.models import Death, FollowupDiseaseStatus, Visit
from followup.selectors import last_known_alive_bulk
from followup.survival.derive import AdverseEventFact, PatientFacts
from randomization.models import Randomization
from trial.models import AdverseEvent, EndOfTreatment, ResponseAssessment, Transplant

STUDYID = "DEXAML-03"


@dataclass(frozen=True)
class TrialFacts:
    patients: list[PatientFacts]
    adverse_events: list[AdverseEventFact]


def _by_patient(rows: Iterable[tuple[int, dt.date, str]]) -> dict[int, list[tuple[dt.date, str]]]:
    grouped: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    for pid, day, value in rows:
        grouped[pid].append((day, value))
    return grouped


@dataclass(frozen=True)
class _Randomized:
    patient_id: int
    subject_id: str
    site: str
    sex: str
    age: int
    arm: str
    regimen: str
    disease_status: str
    randomized_on: dt.date


def _randomizations(cutoff: dt.date) -> list[_Randomized]:
    rows = (
        Randomization.objects.filter(entered_in_error=False, patient__entered_in_error=False)
        .order_by("patient__subject_id", "patient_id")
        .values_list(
            "patient_id",
            "patient__subject_id",
            "patient__site__code",
            "patient__sex",
            "patient__age_at_screening",
            "arm",
            "stratum_regimen",
            "stratum_disease_status",
            "randomized_at",
        )
    )
    out = [_Randomized(*row[:-1], timezone.localdate(row[-1])) for row in rows]  # type: ignore[arg-type]
    return [r for r in out if r.randomized_on <= cutoff]


def trial_facts_gather(*, cutoff: dt.date) -> TrialFacts:
    """Every patient randomised on or before the cut-off, with the dated facts of the endpoints."""
    rand = _randomizations(cutoff)
    ids = [r.patient_id for r in rand]
    alive = last_known_alive_bulk(ids)
    live = Q(patient_id__in=ids, entered_in_error=False)
    deaths = dict(Death.objects.filter(live).values_list("patient_id", "death_date"))
    eot = dict(EndOfTreatment.objects.filter(live).values_list("patient_id", "end_date"))
    responses = _by_patient(
        ResponseAssessment.objects.filter(live)
        .order_by("assessment_date", "pk")
        .values_list("patient_id", "assessment_date", "response")
    )
    relapses = _by_patient(
        Visit.objects.filter(live, disease_status=FollowupDiseaseStatus.RELAPSE)
        .exclude(relapse_date=None)
        .values_list("patient_id", "relapse_date", "disease_status")  # type: ignore[arg-type]
    )
    transplants = _by_patient(
        Transplant.objects.filter(live).values_list("patient_id", "transplant_date", "donor_type")
    )
    for pid, day in (
        Visit.objects.filter(live, transplant=True)
        .exclude(transplant_date=None)
        .values_list("patient_id", "transplant_date")
    ):
        if day is not None:
            transplants[pid].append((day, "visit"))
    patients = [
        PatientFacts(
            patient_id=r.patient_id,
            usubjid=f"{STUDYID}-{r.subject_id}",
            siteid=r.site,
            arm=r.arm,
            strat_regimen=r.regimen,
            strat_disease_status=r.disease_status,
            randomized_on=r.randomized_on,
            last_known_alive=alive.get(r.patient_id),
            death_date=deaths.get(r.patient_id),
            responses=tuple(responses.get(r.patient_id, [])),
            relapse_dates=tuple(sorted(d for d, _ in relapses.get(r.patient_id, []))),
            transplant_dates=tuple(sorted(d for d, _ in transplants.get(r.patient_id, []))),
            end_of_treatment_date=eot.get(r.patient_id),
            sex=r.sex,
            age=r.age,
        )
        for r in rand
    ]
    events = [
        AdverseEventFact(pid, term or text, grade, start)
        for pid, term, text, grade, start in AdverseEvent.objects.filter(live)
        .order_by("pk")
        .values_list("patient_id", "term__term", "term_text", "grade", "start_date")
    ]
    return TrialFacts(patients=patients, adverse_events=events)
