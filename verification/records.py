"""The forms the protocol expects of a patient, the records behind each, and the date that
places a record before or after a cut-off (docs/protocol.md "Data cleaning and locking").

One catalogue read by the SDV plan, the form status matrix, the locks and the casebook.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from followup.models import Visit, VisitStatus
from randomization.models import Randomization, RandomizationCorrection
from treatment.models import (
    AdverseEvent,
    Cycle,
    DrugAdministration,
    EndOfTreatment,
    ProtocolDeviation,
    Relapse,
    ResponseAssessment,
    Transplant,
)
from trial.compiled import Compiled
from trial.models import (
    Baseline,
    BaselineMutation,
    Consent,
    Death,
    EligibilityAnswer,
    LossToFollowUp,
    Patient,
    PatientStatus,
    Withdrawal,
)


def _day(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value if isinstance(value, dt.date) else None


def _path(*steps: str) -> Callable[[Any], dt.date | None]:
    def read(values: Any) -> dt.date | None:
        owner = values
        for step in steps:
            owner = owner.get(step) if isinstance(owner, dict) else getattr(owner, step, None)
            if owner is None:
                return None
        return _day(owner)

    return read


# model label → where a record's clinical date is read; a record without one (a planned visit)
# is covered by a database lock only through its patient's other data, never by its own date
RECORD_DATES: dict[str, Callable[[Any], dt.date | None]] = {
    "trial.patient": _path("screening_date"),
    "trial.consent": _path("consent_date"),
    "trial.baseline": _path("assessment_date"),
    "trial.baselinemutation": _path("baseline", "assessment_date"),
    "trial.eligibilityanswer": _path("patient", "screening_date"),
    "trial.death": _path("death_date"),
    "trial.withdrawal": _path("withdrawal_date"),
    "trial.losstofollowup": _path("declared_on"),
    "randomization.randomization": _path("randomized_at"),
    "randomization.randomizationcorrection": _path("recorded_at"),
    "treatment.cycle": _path("start_date"),
    "treatment.drugadministration": _path("cycle", "start_date"),
    "treatment.responseassessment": _path("assessment_date"),
    "treatment.relapse": _path("relapse_date"),
    "treatment.adverseevent": _path("start_date"),
    "treatment.transplant": _path("transplant_date"),
    "treatment.protocoldeviation": _path("detected_at"),
    "treatment.endoftreatment": _path("end_date"),
    "followup.visit": _path("contact_date"),
}

# the records an investigator's signature covers (treatment/services/signing.py)
SIGNED_KINDS = frozenset(
    {
        "treatment.cycle",
        "treatment.drugadministration",
        "treatment.responseassessment",
        "treatment.relapse",
        "treatment.adverseevent",
        "treatment.transplant",
        "treatment.protocoldeviation",
        "treatment.endoftreatment",
    }
)


def record_date(record: models.Model, values: dict[str, Any] | None = None) -> dt.date | None:
    """The clinical date of a record (from `values`, the stored {attname: value}, if given).

    Stored values hold ids, not related records, so a date read through a relation comes from
    the record as it is.
    """
    read = RECORD_DATES.get(record._meta.label_lower)
    if read is None:
        return None
    if values is not None:
        own = read(values)
        if own is not None:
            return own
    return read(record)


@dataclass
class FormRecords:
    """One form of a patient's casebook: what it is, and the records that hold it."""

    key: str
    title: str
    records: list[models.Model]
    started: bool

    @property
    def labels(self) -> set[str]:
        return {r._meta.label_lower for r in self.records}


@functools.cache
def _live(model: type[models.Model], owner: str, related: tuple[str, ...]) -> Compiled[Any]:
    """The live records of `model` of a patient, in the order they were entered: the patient's
    own, or through their live `owner` (the drugs of the patient's cycles). Compiled once: a
    patient page reads a dozen kinds of records, and building and compiling their querysets
    took longer than running them."""

    def build(patient_id: int) -> models.QuerySet[Any]:
        path = f"{owner}__patient_id" if owner else "patient_id"
        records = model._default_manager.filter(**{path: patient_id}, entered_in_error=False)
        if owner:
            records = records.filter(**{f"{owner}__entered_in_error": False})
        if related:  # select_related() of nothing would follow every foreign key, several deep
            records = records.select_related(*related)
        return records.order_by("pk")

    return Compiled(build)


def _owned(records: list[Any], owner: str, owners: dict[int, Any]) -> list[Any]:
    """The records with their owner set from those already read: their titles, dates and
    statuses read it (`str(record)`, `record_date`), which was one query per record."""
    for record in records:
        setattr(record, owner, owners[getattr(record, f"{owner}_id")])
    return records


def _one(model: type[models.Model], patient: Patient, *related: str) -> list[Any]:
    """The patient's live records of `model`, with their `related` records."""
    return _owned(_live(model, "", related)(patient.pk), "patient", {patient.pk: patient})


def _of(
    model: type[models.Model], patient: Patient, owner: str, owners: list[Any], *related: str
) -> list[Any]:
    """The live records of `model` of the patient's live `owners` (no query without any)."""
    if not owners:
        return []
    return _owned(_live(model, owner, related)(patient.pk), owner, {o.pk: o for o in owners})


def _cycle_forms(patient: Patient) -> Iterator[FormRecords]:
    cycles = _one(Cycle, patient)
    drugs: dict[int, list[Any]] = {}
    for drug in _of(DrugAdministration, patient, "cycle", cycles):
        drugs.setdefault(drug.cycle_id, []).append(drug)
    for cycle in cycles:
        yield FormRecords(f"cycle-{cycle.pk}", str(cycle), [cycle, *drugs.get(cycle.pk, [])], True)


def _each(
    model: type[models.Model], patient: Patient, prefix: str, *related: str
) -> Iterator[FormRecords]:
    """A form per record; `related`: what the record's title reads (`str(record)`)."""
    for record in _one(model, patient, *related):
        title = str(record)
        if prefix == "response":
            title = _("Response %(response)s on %(day)s") % {
                "response": record.get_response_display(),
                "day": record.assessment_date,
            }
        if prefix == "ae":
            title = (
                _("Adverse event: %(event)s (serious)")
                if record.serious
                else _("Adverse event: %(event)s")
            ) % {"event": record}
        yield FormRecords(f"{prefix}-{record.pk}", title, [record], True)


def _visit_forms(patient: Patient) -> Iterator[FormRecords]:
    for visit in _one(Visit, patient):
        started = visit.status != VisitStatus.PLANNED
        title = _("Follow-up visit %(number)s (month %(month)s)") % {
            "number": visit.number,
            "month": visit.month,
        }
        yield FormRecords(f"visit-{visit.pk}", title, [visit], started)


def patient_forms(patient: Patient) -> list[FormRecords]:
    """The forms the protocol expects of the patient so far, in the order of the patient's path.

    Screening, consent, baseline and eligibility from screening on; randomisation and end of
    treatment once enrolled; each cycle, response, adverse event, transplant, relapse and
    deviation recorded; each follow-up visit planned; death, withdrawal or loss if recorded.
    Records entered in error are not forms any more (the casebook still prints them).
    """
    baseline = _one(Baseline, patient)
    mutations = _of(BaselineMutation, patient, "baseline", baseline, "gene")
    forms = [
        FormRecords("screening", _("Screening"), [patient], True),
        FormRecords("consent", _("Informed consent"), _one(Consent, patient), False),
        FormRecords("baseline", _("Baseline"), [*baseline, *mutations], False),
        FormRecords(
            "eligibility",
            _("Eligibility"),
            _one(EligibilityAnswer, patient, "criterion"),
            False,
        ),
    ]
    if patient.status == PatientStatus.ENROLLED or patient.enrolled_at is not None:
        randomization = _one(Randomization, patient)
        corrections = _of(RandomizationCorrection, patient, "randomization", randomization)
        forms.append(
            FormRecords("randomization", _("Randomisation"), [*randomization, *corrections], False)
        )
    forms += list(_cycle_forms(patient))
    forms += list(_each(ResponseAssessment, patient, "response"))
    forms += list(_each(AdverseEvent, patient, "ae", "term"))
    forms += list(_each(Transplant, patient, "transplant"))
    forms += list(_each(Relapse, patient, "relapse"))
    forms += list(_each(ProtocolDeviation, patient, "deviation", "cycle"))
    if any(f.key == "randomization" and f.records for f in forms):
        forms.append(
            FormRecords("eot", _("End of treatment"), _one(EndOfTreatment, patient), False)
        )
    forms += list(_visit_forms(patient))
    forms += list(_each(Death, patient, "death"))
    forms += list(_each(Withdrawal, patient, "withdrawal"))
    forms += list(_each(LossToFollowUp, patient, "loss"))
    for form in forms:
        form.started = form.started or bool(form.records)
    return forms
