"""Bulk reads of the database into the plain facts that `derive.py` works on.

A constant number of queries whatever the number of patients (one per kind of record, plus
the two of `last_known_alive_bulk`). Records entered in error never count.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple, cast

from django.conf import settings
from django.db.models import Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from analysis.derive import RELAPSE_TYPES, AdverseEventFact, PatientFacts
from analysis.tables import BaselineFacts, ConsortFacts
from followup.models import Visit
from followup.selectors import last_known_alive_bulk
from randomization.models import AllocationList, Randomization
from treatment.models import (
    AdverseEvent,
    Cycle,
    EndOfTreatment,
    EndOfTreatmentReason,
    Relapse,
    ResponseAssessment,
    Transplant,
)
from trial.bulk import cycle_collection_paused
from trial.models import (
    Baseline,
    BaselineMutation,
    Death,
    LossToFollowUp,
    Patient,
    PatientStatus,
    Withdrawal,
)

STUDYID = "DEXAML-03"


@dataclass(frozen=True)
class TrialFacts:
    patients: list[PatientFacts]
    adverse_events: list[AdverseEventFact]


def _by_patient(
    rows: Iterable[tuple[int, dt.date, str]],
) -> dict[int, tuple[tuple[dt.date, str], ...]]:
    grouped: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    for pid, day, value in rows:
        grouped[pid].append((day, value))
    return {pid: tuple(values) for pid, values in grouped.items()}


class _Randomized(NamedTuple):  # one per patient: a named tuple is made fastest
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
        # The day in the trial's time zone (as `timezone.localdate` gives it), worked out by
        # the database: a date costs far less to read than a time stamp.
        .annotate(randomized_day=TruncDate("randomized_at"))
        .filter(randomized_day__lte=cutoff)
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
            "randomized_day",
        )
    )
    return [_Randomized(*row) for row in rows]  # type: ignore[arg-type]


def _randomized_ids(cutoff: dt.date) -> QuerySet[Randomization, Any]:
    """The ids `_randomizations` returns, as a query (randomised on or before the cut-off in
    the trial's time zone, as `timezone.localdate` gives it)."""
    return Randomization.objects.filter(
        entered_in_error=False, patient__entered_in_error=False, randomized_at__date__lte=cutoff
    ).values("patient_id")


@cycle_collection_paused()
def trial_facts_gather(*, cutoff: dt.date) -> TrialFacts:
    """Every patient randomised on or before the cut-off, with the dated facts of the endpoints."""
    rand = _randomizations(cutoff)
    # Every patient's records are read and those of `rand` kept: nearly every patient of the
    # trial is randomised, and a filter on them in each query (a subquery, or 100,000 ids as
    # parameters) costs more than reading the others' few rows.
    alive = last_known_alive_bulk([r.patient_id for r in rand], read_all=True)
    live = Q(entered_in_error=False)
    deaths = dict(Death.objects.filter(live).values_list("patient_id", "death_date"))
    eot = dict(EndOfTreatment.objects.filter(live).values_list("patient_id", "end_date"))
    responses = _by_patient(
        ResponseAssessment.objects.filter(live)
        .order_by("assessment_date", "pk")
        .values_list("patient_id", "assessment_date", "response")
    )
    relapses = {
        pid: (day, _relapse_type(bm, pb, em))
        for pid, day, bm, pb, em in Relapse.objects.filter(live).values_list(
            "patient_id", "relapse_date", "bone_marrow", "peripheral_blood", "extramedullary"
        )
    }
    risk_label = _labels(Baseline, "cytogenetic_risk")
    risks = {
        pid: risk_label.get(risk, risk)
        for pid, risk in Baseline.objects.filter(live, draft=False).values_list(
            "patient_id", "cytogenetic_risk"
        )
    }
    mutations = {pid: tuple(sorted(genes.items())) for pid, genes in _mutations(None).items()}
    transplants = _transplant_dates(live)
    no_relapse: tuple[dt.date | None, str] = (None, "")
    patients = []
    for r in rand:
        pid = r.patient_id
        relapse_date, relapse_type = relapses.get(pid, no_relapse)
        patients.append(
            PatientFacts(
                patient_id=pid,
                usubjid=f"{STUDYID}-{r.subject_id}",
                siteid=r.site,
                arm=r.arm,
                strat_regimen=r.regimen,
                strat_disease_status=r.disease_status,
                randomized_on=r.randomized_on,
                last_known_alive=alive[pid],
                death_date=deaths.get(pid),
                responses=responses.get(pid, ()),
                relapse_date=relapse_date,
                relapse_type=relapse_type,
                transplant_dates=transplants.get(pid, ()),
                end_of_treatment_date=eot.get(pid),
                sex=r.sex,
                age=r.age,
                cytogenetic_risk=risks.get(pid, ""),
                mutations=mutations.get(pid, ()),
            )
        )
    in_analysis = {r.patient_id for r in rand}
    events = [
        AdverseEventFact(pid, term or text, grade, start)
        for pid, term, text, grade, start in AdverseEvent.objects.filter(live)
        .order_by("pk")
        .values_list("patient_id", "term__term", "term_text", "grade", "start_date")
        if pid in in_analysis
    ]
    return TrialFacts(patients=patients, adverse_events=events)


def _transplant_dates(live: Q) -> dict[int, tuple[dt.date, ...]]:
    """Each patient's transplant dates, sorted: the transplant records and the visits that
    report one."""
    days: dict[int, list[dt.date]] = defaultdict(list)
    for pid, day in Transplant.objects.filter(live).values_list("patient_id", "transplant_date"):
        days[pid].append(day)
    for pid, reported in (
        Visit.objects.filter(live, transplant=True)
        .exclude(transplant_date=None)
        .values_list("patient_id", "transplant_date")
    ):
        days[pid].append(cast(dt.date, reported))  # not None: excluded above
    return {pid: tuple(sorted(listed)) for pid, listed in days.items()}


def _relapse_type(bone_marrow: bool, peripheral_blood: bool, extramedullary: bool) -> str:
    codes = zip(RELAPSE_TYPES, (bone_marrow, peripheral_blood, extramedullary), strict=True)
    return "+".join(code for code, found in codes if found)


def _labels(model: type, field_name: str) -> dict[str, str]:
    """Code → label, in English whatever the interface language: the datasets, the cached
    report and the exports carry these labels as data."""
    choices = model._meta.get_field(field_name).flatchoices  # type: ignore[attr-defined]
    with translation.override("en"):
        return {code: str(label) for code, label in choices}


def _mutations(patient_ids: QuerySet[Any] | None) -> dict[int, dict[str, str]]:
    """gene code → result label, per patient, from the live baselines (not drafts); every
    patient's when `patient_ids` is None."""
    mutations: dict[int, dict[str, str]] = defaultdict(dict)
    result_label = _labels(BaselineMutation, "result")
    among = Q() if patient_ids is None else Q(baseline__patient_id__in=patient_ids)
    for pid, gene, result in BaselineMutation.objects.filter(
        among,
        baseline__entered_in_error=False,
        baseline__draft=False,
        entered_in_error=False,
    ).values_list("baseline__patient_id", "gene__code", "result"):
        mutations[pid][gene] = result_label.get(result, result)
    return mutations


def stratification_factors_gather(*, cutoff: dt.date) -> list[str]:
    """The factors the analysed patients were randomised within (PROTOCOL.md "Randomisation").

    Those of the allocation lists their randomisations used, in the lists' order; the configured
    factors (settings.TRIAL_RANDOMIZATION) when no list is recorded.
    """
    used = Randomization.objects.filter(
        entered_in_error=False,
        patient__entered_in_error=False,
        randomized_at__date__lte=cutoff,
    ).values_list("allocation_list_id", flat=True)
    lists = (
        AllocationList.objects.filter(pk__in=set(used) - {None})
        .order_by("pk")
        .values_list("factors", flat=True)
    )
    factors: list[str] = []
    for listed in lists:
        factors += [f for f in listed if f not in factors]
    return factors or list(settings.TRIAL_RANDOMIZATION["FACTORS"])


def baseline_facts_gather(*, cutoff: dt.date) -> list[BaselineFacts]:
    """The baseline of every patient randomised on or before the cut-off (labels, not codes)."""
    rand = {r.patient_id: r for r in _randomizations(cutoff)}
    among = _randomized_ids(cutoff)  # a subquery, not thousands of ids (trial_facts_gather)
    mutations = _mutations(among)
    label = {
        name: _labels(Baseline, name)
        for name in ("disease_status", "cytogenetic_risk", "planned_regimen")
    }
    sex = _labels(Patient, "sex")
    facts = []
    counted = {"entered_in_error": False, "draft": False}  # a draft counts as no data
    for b in Baseline.objects.filter(patient_id__in=among, **counted).order_by(
        "patient__subject_id"
    ):
        r = rand[b.patient_id]
        facts.append(
            BaselineFacts(
                patient_id=b.patient_id,
                arm=r.arm,
                sex=sex.get(r.sex, r.sex),
                age=r.age,
                disease_status=label["disease_status"].get(b.disease_status, b.disease_status),
                regimen=label["planned_regimen"].get(b.planned_regimen, b.planned_regimen),
                cytogenetic_risk=label["cytogenetic_risk"].get(
                    b.cytogenetic_risk, b.cytogenetic_risk
                ),
                ecog=cast(int, b.ecog),  # complete records only: the database requires it
                wbc=b.wbc,
                blood_blast_pct=b.blood_blast_pct,
                marrow_blast_pct=b.marrow_blast_pct,
                mutations=mutations.get(b.patient_id, {}),
            )
        )
    return facts


def _dated_ids(model: type, date_field: str, cutoff: dt.date) -> set[int]:
    rows = model.objects.filter(  # type: ignore[attr-defined]
        entered_in_error=False, **{f"{date_field}__lte": cutoff}
    ).values_list("patient_id", flat=True)
    return set(rows)


def consort_facts_gather(*, cutoff: dt.date) -> list[ConsortFacts]:
    """Every patient screened on or before the cut-off and what became of them by then."""
    arms = {r.patient_id: r.arm for r in _randomizations(cutoff)}
    cycles: dict[int, int] = defaultdict(int)
    for pid in Cycle.objects.filter(
        entered_in_error=False, start_date__lte=cutoff, patient_id__in=_randomized_ids(cutoff)
    ).values_list("patient_id", flat=True):
        cycles[pid] += 1
    eot = {
        pid: reason
        for pid, reason in EndOfTreatment.objects.filter(
            entered_in_error=False, end_date__lte=cutoff
        ).values_list("patient_id", "reason")
    }
    eot_label = _labels(EndOfTreatment, "reason")
    failure_label = _labels(Patient, "screen_failure_reason")
    lost = _dated_ids(LossToFollowUp, "declared_on", cutoff)
    withdrawn = _dated_ids(Withdrawal, "withdrawal_date", cutoff)
    facts = []
    for pid, status, failure, confirmed in (
        Patient.objects.filter(entered_in_error=False, screening_date__lte=cutoff)
        .order_by("pk")
        .values_list("pk", "status", "screen_failure_reason", "eligibility_confirmed_at")
    ):
        failed = status == PatientStatus.SCREEN_FAILED
        eligible = status == PatientStatus.ENROLLED or (
            confirmed is not None and timezone.localdate(confirmed) <= cutoff
        )
        reason = eot.get(pid)
        facts.append(
            ConsortFacts(
                patient_id=pid,
                screen_failure_reason=failure_label.get(
                    failure, failure or gettext_noop("Not given")
                )
                if failed
                else None,
                arm=arms.get(pid),
                cycles=cycles.get(pid, 0),
                end_of_treatment_reason=eot_label.get(reason, reason) if reason else None,
                completed=reason == EndOfTreatmentReason.COMPLETED,
                lost_to_follow_up=pid in lost,
                withdrawn=pid in withdrawn,
                in_screening=not failed and not eligible,
            )
        )
    return facts
