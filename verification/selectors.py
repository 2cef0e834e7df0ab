"""Reads of verification: the form status matrix of a patient, SDV progress and the monitor's
worklist (what the SDV plan still requires), and what a patient lock still misses."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cleaning.models import UNRESOLVED, DataQuery
from treatment.models import Signature
from trial.compiled import Compiled
from trial.models import Patient, Site, User
from trial.services import drafts
from verification.models import Lock, LockScope, SdvMark
from verification.records import SIGNED_KINDS, FormRecords, patient_forms, record_date
from verification.rules import VerificationRules

# columns that are not data a monitor compares with the source
_NOT_VERIFIED = frozenset(
    {"id", "created_at", "entered_in_error", "entered_in_error_reason", "draft"}
)


class FormStatus(models.TextChoices):
    NOT_STARTED = "not started", gettext_lazy("Not started")
    INCOMPLETE = "incomplete", gettext_lazy("Incomplete")  # a draft: required fields missing
    COMPLETE = "complete", gettext_lazy("Complete")
    VERIFIED = "verified", gettext_lazy("Verified")
    SIGNED = "signed", gettext_lazy("Signed")
    LOCKED = "locked", gettext_lazy("Locked")


def sdv_fields(model: type[models.Model]) -> list[str]:
    """The fields of a record a monitor may verify one by one."""
    return [
        f.name
        for f in model._meta.concrete_fields
        if f.name not in _NOT_VERIFIED and not f.primary_key and f.editable
    ]


def _key(record: models.Model) -> tuple[int, int]:
    return ContentType.objects.get_for_model(record).pk, int(record.pk)


@dataclass
class RecordStatus:
    record: models.Model
    label: str
    title: str
    required: bool
    verified: bool
    verified_fields: list[str]
    locked: bool
    open_queries: int
    draft: bool = False
    missing: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """How a page names the record: "<model name>:<id>" (the record URL's type and id)."""
        return f"{self.record._meta.model_name}:{self.record.pk}"

    @property
    def record_type(self) -> str:
        return str(self.record._meta.model_name)


@dataclass
class FormRow:
    key: str
    title: str
    status: str
    started: bool
    verified: bool
    signed: bool
    locked: bool
    sdv_required: bool
    open_queries: int
    records: list[RecordStatus] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # of a draft: the required fields empty

    @property
    def status_label(self) -> str:
        return str(FormStatus(self.status).label)


@dataclass
class _Facts:
    marks: dict[tuple[int, int], set[str]]
    queries: Counter[tuple[int, int]]
    locks: list[Lock]
    signed: bool


# A patient's valid SDV marks, unresolved data queries and valid signatures, compiled once
_MARKS = Compiled(
    lambda patient_id: (
        SdvMark.objects.filter(patient_id=patient_id, unverified_at=None)
        .order_by()
        .values_list("content_type_id", "object_id", "field_name")
    )
)
_QUERIED = Compiled(
    lambda patient_id: (
        DataQuery.objects.filter(patient_id=patient_id, state__in=UNRESOLVED)
        .order_by()
        .values_list("content_type_id", "object_id")
    )
)
_LOCKS = Compiled(
    lambda patient_id: (
        Lock.objects.filter(unlocked_at=None)
        .filter(Q(patient_id=patient_id) | Q(scope=LockScope.DATABASE))
        .select_related("locked_by")
        .order_by("pk")
    )
)


def locks_over(patient_id: int | None) -> list[Lock]:
    """The locks in force that can cover a patient's records: the patient's own (of the patient
    or of a record) and a database lock; not every lock of the trial, which grows with its
    data. Only a database lock can cover a patient not yet saved (`patient_id` None)."""
    if patient_id is None:
        return list(
            Lock.objects.filter(unlocked_at=None, scope=LockScope.DATABASE)
            .select_related("locked_by")
            .order_by("pk")
        )
    return _LOCKS(patient_id)


def lock_over(
    locks: list[Lock],
    *,
    key: tuple[int, Any],
    patient_id: int | None,
    dates: Iterable[dt.date],
) -> Lock | None:
    """The first of `locks` that covers a record of the patient: one on the record (`key`: its
    content type's id and its id), on its patient, or a database lock at a cut-off on or after
    one of the record's `dates`."""
    dates = list(dates)
    for lock in locks:
        if lock.scope == LockScope.RECORD:
            covers = patient_id is not None and (lock.content_type_id, lock.object_id) == key
        elif lock.scope == LockScope.PATIENT:
            covers = lock.patient_id == patient_id
        else:
            cutoff = lock.cutoff_date
            covers = cutoff is not None and any(day <= cutoff for day in dates)
        if covers:
            return lock
    return None


_SIGNED = Compiled(
    lambda patient_id: (
        Signature.objects.filter(patient_id=patient_id, broken_at=None)
        .order_by()
        .values_list("pk", flat=True)[:1]
    )
)


def _facts(patient: Patient) -> _Facts:
    marks: dict[tuple[int, int], set[str]] = {}
    for ct, oid, name in _MARKS(patient.pk):
        marks.setdefault((ct, oid), set()).add(name)
    queries = Counter((ct, oid) for ct, oid in _QUERIED(patient.pk))
    return _Facts(marks, queries, locks_over(patient.pk), signed=bool(_SIGNED(patient.pk)))


def _locked(record: models.Model, patient: Patient, locks: list[Lock]) -> bool:
    day = record_date(record)
    dates = [] if day is None else [day]
    return lock_over(locks, key=_key(record), patient_id=patient.pk, dates=dates) is not None


def _record_status(
    record: models.Model, patient: Patient, facts: _Facts, rules: VerificationRules
) -> RecordStatus:
    key = _key(record)
    marked = facts.marks.get(key, set())
    fields = sdv_fields(type(record))
    verified = "" in marked or (bool(fields) and set(fields) <= marked)
    label = record._meta.label_lower
    draft = drafts.is_draft(record)  # no data yet: nothing to compare with the source
    return RecordStatus(
        record=record,
        label=label,
        title=f"{str(record._meta.verbose_name).capitalize()}: {record}",
        required=not draft
        and rules.sdv_required(
            label=label,
            pk=int(record.pk),
            site_id=patient.site_id,
            serious=bool(getattr(record, "serious", False)),
        ),
        draft=draft,
        missing=drafts.missing_labels(record) if draft else [],
        verified=verified,
        verified_fields=sorted(n for n in marked if n),
        locked=_locked(record, patient, facts.locks),
        open_queries=facts.queries.get(key, 0),
    )


def _form_row(
    form: FormRecords, patient: Patient, facts: _Facts, rules: VerificationRules
) -> FormRow:
    records = [_record_status(r, patient, facts, rules) for r in form.records]
    started = form.started
    verified = bool(records) and all(r.verified for r in records)
    signed = facts.signed and bool(records) and form.labels <= SIGNED_KINDS
    locked = bool(records) and all(r.locked for r in records)
    incomplete = any(r.draft for r in records)
    status = FormStatus.NOT_STARTED
    if started:
        status = FormStatus.INCOMPLETE if incomplete else FormStatus.COMPLETE
    if started and verified and not incomplete:
        status = FormStatus.VERIFIED
    if started and signed and not incomplete:
        status = FormStatus.SIGNED
    if started and locked:
        status = FormStatus.LOCKED
    return FormRow(
        key=form.key,
        title=form.title,
        status=status,
        started=started,
        verified=verified,
        signed=signed,
        locked=locked,
        sdv_required=any(r.required for r in records),
        open_queries=sum(r.open_queries for r in records),
        records=records,
        missing=[name for r in records for name in r.missing],
    )


def patient_form_matrix(patient: Patient) -> list[FormRow]:
    """Every form the protocol expects of the patient so far, with its status (not started,
    incomplete (a draft, with the required fields it misses), complete, verified, signed,
    locked), its SDV and its open data queries."""
    rules = VerificationRules.from_settings()
    facts = _facts(patient)
    return [_form_row(form, patient, facts, rules) for form in patient_forms(patient)]


def patient_lock_missing(patient: Patient) -> list[str]:
    """What the patient's forms still miss before the patient may be locked, as sentences."""
    requires = VerificationRules.from_settings().lock_patient_requires
    rows = patient_form_matrix(patient)
    missing: list[str] = []
    if "complete" in requires:
        missing += [_("%(form)s not started") % {"form": r.title} for r in rows if not r.started]
        missing += [
            _("%(form)s incomplete (a draft; missing: %(fields)s)")
            % {"form": r.title, "fields": ", ".join(r.missing)}
            for r in rows
            if r.status == FormStatus.INCOMPLETE
        ]
    if "verified" in requires:
        for row in rows:
            todo = [r for r in row.records if r.required and not r.verified]
            if todo:
                missing.append(
                    ngettext(
                        "%(form)s not verified (%(count)d record)",
                        "%(form)s not verified (%(count)d records)",
                        len(todo),
                    )
                    % {"form": row.title, "count": len(todo)}
                )
    if "signed" in requires:
        unsigned = [
            r.title
            for r in rows
            if r.records and r.records[0].label in SIGNED_KINDS and not r.signed
        ]
        if unsigned:
            missing.append(
                _("not signed by the investigator: %(forms)s") % {"forms": ", ".join(unsigned)}
            )
    if "no_open_queries" in requires:
        open_rows = [f"{r.title} ({r.open_queries})" for r in rows if r.open_queries]
        if open_rows:
            missing.append(_("open data queries on %(forms)s") % {"forms": ", ".join(open_rows)})
    return missing


@dataclass(frozen=True)
class SdvProgress:
    required: int
    verified: int

    @property
    def to_verify(self) -> int:
        return self.required - self.verified

    @property
    def percent(self) -> int:
        return 100 if not self.required else round(100 * self.verified / self.required)


def patient_sdv_progress(rows: list[FormRow]) -> SdvProgress:
    """Of the records the SDV plan requires, how many are verified."""
    required = [r for row in rows for r in row.records if r.required]
    return SdvProgress(len(required), sum(1 for r in required if r.verified))


@dataclass(frozen=True)
class WorkItem:
    patient: Patient
    form: str
    record: RecordStatus


@dataclass
class SiteProgress:
    site: Site
    progress: SdvProgress
    patients: list[tuple[Patient, SdvProgress]]
    worklist: list[WorkItem]


def _site_progress(site: Site, patients: list[Patient]) -> SiteProgress:
    per_patient, work = [], []
    for patient in patients:
        rows = patient_form_matrix(patient)
        per_patient.append((patient, patient_sdv_progress(rows)))
        work += [
            WorkItem(patient, row.title, r)
            for row in rows
            for r in row.records
            if r.required and not r.verified
        ]
    total = SdvProgress(
        sum(p.required for _, p in per_patient), sum(p.verified for _, p in per_patient)
    )
    return SiteProgress(site, total, per_patient, work)


def sdv_progress_by_site(user: User) -> list[SiteProgress]:
    """SDV progress of every site the user sees, per patient, with what the plan still
    requires (the monitor's worklist)."""
    patients = list(Patient.objects.for_user(user).select_related("site").order_by("pk"))
    sites: dict[int, tuple[Site, list[Patient]]] = {}
    for patient in patients:
        sites.setdefault(patient.site_id, (patient.site, []))[1].append(patient)
    return [_site_progress(site, group) for site, group in sites.values()]


def locks_in_force() -> list[Lock]:
    return list(
        Lock.objects.filter(unlocked_at=None)
        .select_related("patient", "locked_by")
        .order_by("-locked_at")
    )


def locks_for_user(user: User) -> Any:
    """Locks the user may see: database locks, and those of patients of the user's sites."""
    visible = Patient.objects.for_user(user).values("pk")
    return (
        Lock.objects.filter(models.Q(patient__isnull=True) | models.Q(patient__in=visible))
        .select_related("patient", "locked_by", "unlocked_by")
        .order_by("-locked_at")
    )


def record_marks(record: models.Model) -> list[SdvMark]:
    """Every SDV mark of a record, valid and ended, oldest first."""
    return list(
        SdvMark.objects.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk
        )
        .select_related("verified_by")
        .order_by("verified_at", "pk")
    )
