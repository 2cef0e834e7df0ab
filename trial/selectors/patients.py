"""Reads about one patient that take more than one query: eligibility sheet, merged histories."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from trial.models import Baseline, EligibilityCriterion, Patient
from trial.selectors.history import HistoryEntry, record_history
from trial.services.screening import eligibility_problems


@dataclass(frozen=True)
class CriterionAnswer:
    """One criterion of the patient's protocol version with its answer, if any."""

    code: str
    kind: str
    text: str
    position: int
    answer: bool | None
    note: str
    met: bool | None
    entered_in_error: bool


@dataclass(frozen=True)
class EligibilitySheet:
    patient: Patient
    criteria: list[CriterionAnswer]
    problems: list[str]


@dataclass(frozen=True)
class RecordHistoryEntry:
    """A history entry that says which record it belongs to, for merged histories."""

    record: str
    entry: HistoryEntry


def patient_eligibility_sheet(*, patient: Patient) -> EligibilitySheet:
    """Return every criterion of the patient's protocol version, its answer and what is missing."""
    criteria: list[EligibilityCriterion] = list(
        patient.protocol_version.criteria.order_by("position", "code")
    )
    answers = {a.criterion_id: a for a in patient.eligibility_answers.all()}
    rows = []
    for criterion in criteria:
        answer = answers.get(criterion.pk)
        rows.append(
            CriterionAnswer(
                code=criterion.code,
                kind=criterion.kind,
                text=criterion.text,
                position=criterion.position,
                answer=answer.answer if answer else None,
                note=answer.note if answer else "",
                met=criterion.is_met_by(answer.answer) if answer else None,
                entered_in_error=answer.entered_in_error if answer else False,
            )
        )
    return EligibilitySheet(patient=patient, criteria=rows, problems=eligibility_problems(patient))


def histories_merged(records: list[tuple[str, models.Model]]) -> list[RecordHistoryEntry]:
    """Return the histories of several records, newest first, each entry naming its record."""
    merged = [
        RecordHistoryEntry(record=label, entry=entry)
        for label, record in records
        for entry in record_history(record)
    ]
    merged.sort(key=lambda e: (e.entry.when, e.entry.history_id), reverse=True)
    return merged


def patient_history(*, patient: Patient) -> list[RecordHistoryEntry]:
    return histories_merged([(f"Patient {patient}", patient)])


def eligibility_history(*, patient: Patient) -> list[RecordHistoryEntry]:
    """Return the histories of all the patient's eligibility answers, newest first."""
    answers = patient.eligibility_answers.select_related("criterion").order_by("criterion__code")
    return histories_merged([(f"Criterion {a.criterion.code}", a) for a in answers])


def baseline_history(*, baseline: Baseline) -> list[RecordHistoryEntry]:
    """Return the history of the baseline record and of its mutation results, newest first."""
    mutations = baseline.mutations.select_related("gene").order_by("gene__position", "gene__code")
    return histories_merged(
        [("Baseline", baseline), *((f"Mutation {m.gene.code}", m) for m in mutations)]
    )
