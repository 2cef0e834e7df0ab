"""What an automatic edit check is, and the patients' data it reads.

A check is declared once (cleaning/checks/registry.py) with an id, the records it flags, a
message, a severity and the models whose saves re-run it. It reads a `PatientData` (the live
records of a batch of patients, each table loaded once for the whole batch on first use) and
yields, for one patient, a `Finding` per record and field that breaks it, or `Pending` where it
cannot tell without the clock. The same code serves the save of one record (a batch of one
patient) and the nightly run over the whole database (batches of hundreds).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cleaning.models import QueryCategory
from cleaning.rules import CleaningRules
from followup.models import Visit, VisitStatus
from treatment.models import (
    AdverseEvent,
    CtcaeTerm,
    Cycle,
    DrugAdministration,
    ResponseAssessment,
)
from trial.bulk import record_loaded
from trial.models import Baseline, BaselineMutation, Consent, Death, Patient


class Severity(models.TextChoices):
    HARD = "hard", _("Hard: the save is refused")
    SOFT = "soft", _("Soft: the save goes through and a query opens")


@dataclass(frozen=True)
class Finding:
    """A record and field that break a check, with what is wrong.

    `other` is a second record the finding rests on, with its field and how the finding reads
    from there: saving either record with a hard finding is refused.
    """

    record: models.Model
    field: str
    message: str
    other: tuple[models.Model, str, str] | None = None


@dataclass(frozen=True)
class Pending:
    """The check cannot tell yet without the clock (a deadline not passed at a save)."""

    record: models.Model
    field: str


Outcome = Finding | Pending


@dataclass(frozen=True)
class EditCheck:
    id: str
    title: str | Promise
    applies_to: str | Promise  # the record and field it flags, as people read it
    severity: Severity
    category: QueryCategory
    models: tuple[type[models.Model], ...]  # saving one of these re-runs it for the patient
    evaluate: Callable[[PatientData, int, CleaningRules], Iterable[Outcome]]
    setting: str = ""  # where its numbers are configured, if anywhere

    def outcomes(self, data: PatientData, patient_id: int, rules: CleaningRules) -> list[Outcome]:
        return list(self.evaluate(data, patient_id, rules))


_M = TypeVar("_M", bound=models.Model)


def _grouped(rows: Iterable[_M], key: Callable[[_M], int]) -> dict[int, list[_M]]:
    groups: dict[int, list[_M]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return groups


# Columns of every clinical record that no check reads (left out of the records loaded).
_UNREAD = ("created_at", "entered_in_error_reason")


class PatientData:
    """The live (not entered in error) records of a batch of patients, one query per table.

    `now` is the moment of a nightly run; a save passes None: a check that depends on the
    clock then reports `Pending` and leaves any open query as it is.
    """

    def __init__(self, patient_ids: Sequence[int], *, now: dt.datetime | None) -> None:
        self.patient_ids = list(patient_ids)
        self._wanted = frozenset(self.patient_ids)
        self.now = now

    def _range(self, patient: str) -> dict[str, int]:
        return {f"{patient}__gte": min(self._wanted), f"{patient}__lte": max(self._wanted)}

    def _of(self, queryset: models.QuerySet[_M], patient: str = "patient_id") -> list[_M]:
        """The live records of the queryset that belong to the batch's patients, in its order.

        The batch is selected by the range of its patient ids (one pair of parameters instead
        of hundreds: the nightly run's batches are consecutive ids) and any patient between
        them that is not in the batch is dropped here. No check reads when a record was
        created or why it was entered in error: those columns are left out.
        """
        if not self._wanted:
            return []
        model = queryset.model
        names = [f.attname for f in model._meta.concrete_fields if f.attname not in _UNREAD]
        rows = queryset.filter(entered_in_error=False, **self._range(patient)).values_list(
            patient, *names
        )
        wanted, alias = self._wanted, rows.db
        return [
            record_loaded(model, names, values, alias)
            for patient_id, *values in rows
            if patient_id in wanted
        ]

    @cached_property
    def patients(self) -> dict[int, Patient]:
        return {p.pk: p for p in self._of(Patient.objects.all(), patient="pk")}

    @cached_property
    def consents(self) -> dict[int, Consent]:
        return {c.patient_id: c for c in self._of(Consent.objects.all())}

    @cached_property
    def baselines(self) -> dict[int, Baseline]:
        # a draft counts as no data: no check raises a query on what it leaves empty
        return {b.patient_id: b for b in self._of(Baseline.objects.filter(draft=False))}

    @cached_property
    def tested_genes(self) -> dict[int, set[str]]:
        """The codes of the genes with a mutation result on each patient's live baseline (as
        pairs: a record per result would be built only to read one column)."""
        if not self._wanted:
            return {}
        rows = BaselineMutation.objects.filter(
            **self._range("baseline__patient_id"),
            baseline__entered_in_error=False,
            baseline__draft=False,
            entered_in_error=False,
        ).values_list("baseline__patient_id", "gene__code")
        genes: dict[int, set[str]] = defaultdict(set)
        for patient_id, code in rows:
            if patient_id in self._wanted:
                genes[patient_id].add(code)
        return genes

    @cached_property
    def cycles(self) -> dict[int, list[Cycle]]:
        rows = self._of(Cycle.objects.order_by("patient_id", "number"))
        return _grouped(rows, lambda c: c.patient_id)

    @cached_property
    def drugs(self) -> dict[int, list[DrugAdministration]]:
        # Each dose gets the cycle already loaded in `cycles`, not a second copy of it per dose.
        cycles = {c.pk: c for rows in self.cycles.values() for c in rows}
        rows = self._of(
            DrugAdministration.objects.filter(cycle__entered_in_error=False).order_by(
                "cycle__number", "drug"
            ),
            patient="cycle__patient_id",
        )
        doses: dict[int, list[DrugAdministration]] = defaultdict(list)
        for dose in rows:
            dose.cycle = cycles[dose.cycle_id]
            doses[dose.cycle.patient_id].append(dose)
        return doses

    @cached_property
    def responses(self) -> dict[int, list[ResponseAssessment]]:
        rows = self._of(ResponseAssessment.objects.order_by("assessment_date", "pk"))
        return _grouped(rows, lambda r: r.patient_id)

    @cached_property
    def adverse_events(self) -> dict[int, list[AdverseEvent]]:
        rows = self._of(AdverseEvent.objects.order_by("start_date", "pk"))
        # The dictionary terms they name: one query for the batch whatever it holds (a list of
        # ids would skip the query when empty, and the batch's number of queries would vary).
        named = AdverseEvent.objects.filter(entered_in_error=False, **self._range("patient_id"))
        terms = {t.pk: t for t in CtcaeTerm.objects.filter(pk__in=named.values("term_id"))}
        for event in rows:
            if event.term_id is not None:
                event.term = terms[event.term_id]
        return _grouped(rows, lambda e: e.patient_id)

    @cached_property
    def deaths(self) -> dict[int, Death]:
        return {d.patient_id: d for d in self._of(Death.objects.all())}

    @cached_property
    def visits_done(self) -> dict[int, list[Visit]]:
        rows = self._of(Visit.objects.filter(status=VisitStatus.DONE).order_by("number"))
        return _grouped(rows, lambda v: v.patient_id)


def each(mapping: dict[int, list[_M]], patient_id: int) -> Iterator[_M]:
    yield from mapping.get(patient_id, [])


def fmt(value: Any) -> str:
    """A value as a message shows it (dates as YYYY-MM-DD)."""
    if isinstance(value, dt.datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    return str(value)
