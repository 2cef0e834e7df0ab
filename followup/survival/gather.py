"""Bulk reads of the database into the plain facts that `derive.py` works on.

A constant number of queries whatever the number of patients (one per kind of record, plus
one per source of `last_known_alive_bulk`). Records entered in error never count.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
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


def _by_patient(rows: object) -> dict[int, list[tuple[dt.date, str]]]:
    grouped: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    for pid, day, value in rows:  # type: ignore[attr-defined]
        grouped[pid].append((day, value))
    return grouped


def _randomizations(cutoff: dt.date) -> list[dict[str, object]]:
    rows = (
        Randomization.objects.filter(entered_in_error=False, patient__entered_in_error=False)
        .order_by("patient__subject_id", "patient_id")
        .values(
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
    out = []
    for row in rows:
        row["randomized_on"] = timezone.localdate(row["randomized_at"])
        if row["randomized_on"] <= cutoff:
            out.append(row)
    return out


def trial_facts_gather(*, cutoff: dt.date) -> TrialFacts:
    """Every patient randomised on or before the cut-off, with the dated facts of the endpoints."""
    rand = _randomizations(cutoff)
    ids = [int(r["patient_id"]) for r in rand]  # type: ignore[call-overload]
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
        .values_list("patient_id", "relapse_date", "disease_status")
    )
    transplants = _by_patient(
        Transplant.objects.filter(live).values_list("patient_id", "transplant_date", "donor_type")
    )
    for pid, day in (
        Visit.objects.filter(live, transplant=True)
        .exclude(transplant_date=None)
        .values_list("patient_id", "transplant_date")
    ):
        transplants[pid].append((day, "visit"))
    patients = [
        PatientFacts(
            patient_id=int(r["patient_id"]),  # type: ignore[call-overload]
            usubjid=f"{STUDYID}-{r['patient__subject_id']}",
            siteid=str(r["patient__site__code"]),
            arm=str(r["arm"]),
            strat_regimen=str(r["stratum_regimen"]),
            strat_disease_status=str(r["stratum_disease_status"]),
            randomized_on=r["randomized_on"],  # type: ignore[arg-type]
            last_known_alive=alive.get(r["patient_id"]),  # type: ignore[call-overload]
            death_date=deaths.get(r["patient_id"]),
            responses=tuple(responses.get(r["patient_id"], [])),  # type: ignore[call-overload]
            relapse_dates=tuple(sorted(d for d, _ in relapses.get(r["patient_id"], []))),  # type: ignore[call-overload]
            transplant_dates=tuple(sorted(d for d, _ in transplants.get(r["patient_id"], []))),  # type: ignore[call-overload]
            end_of_treatment_date=eot.get(r["patient_id"]),
            sex=str(r["patient__sex"]),
            age=r["patient__age_at_screening"],  # type: ignore[arg-type]
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
