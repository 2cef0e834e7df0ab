"""The ODM writer as it was before it wrote text itself: element trees serialised by lxml.

Kept for the tests only, as the reference the streamed writer of analysis/odm.py must
match byte for byte. What follows is the description it had:

The full clinical data of the trial as CDISC ODM 1.3.2 XML, optionally with its audit trail.

Every clinical record (patients, consent, baseline and mutations, eligibility answers,
randomisation, cycles and drugs, responses, relapse, adverse events, transplants, end of
treatment, follow-up visits, contact attempts, loss to follow-up, withdrawal, death) becomes an
ItemGroupData of its form, in one study event, under its patient's SubjectData. The
metadata (MetaDataVersion) is derived from the models, so a new field appears by itself.

- Snapshot (default): the current version of each record; records entered in error are
  kept, flagged by their ENTERED_IN_ERROR item, as the audit trail requires.
- With the audit trail: a Transactional file where each history row of a record is one
  ItemGroupData (Insert / Update / Remove) carrying an AuditRecord: UserRef, LocationRef
  (the patient's site), DateTimeStamp and ReasonForChange.

Streamed: patients are read a chunk at a time (one query for the chunk, then one per kind of
record, or per history table), and each SubjectData is written as soon as it is complete, so
the memory used is bounded by a chunk, not by the trial. The file validates against the CDISC ODM 1.3.2 schema vendored in `schemas/odm1-3-2/`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import models
from django.db.models import F
from lxml import etree

from analysis.gather import STUDYID
from followup.models import ContactAttempt, Visit
from randomization.models import Randomization
from treatment.models import (
    AdverseEvent,
    Cycle,
    DrugAdministration,
    EndOfTreatment,
    Relapse,
    ResponseAssessment,
    Transplant,
)
from trial.models import (
    Baseline,
    BaselineMutation,
    Consent,
    Death,
    EligibilityAnswer,
    LossToFollowUp,
    Patient,
    Site,
    User,
    Withdrawal,
)

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
STUDY_OID = f"ST.{STUDYID}"
MDV_OID = f"MDV.{STUDYID}.1"
EVENT_OID = "SE.TRIAL"
SCHEMA = Path(__file__).parent / "schemas" / "odm1-3-2" / "ODM1-3-2-foundation.xsd"
TRANSACTIONS = {"+": "Insert", "~": "Update", "-": "Remove"}
CHUNK_SIZE = 500  # patients read at a time: the memory used is that of one chunk


@dataclass(frozen=True)
class Domain:
    """One kind of clinical record: its form code, model and path to the patient."""

    code: str
    name: str
    model: type[models.Model]
    patient: str  # ORM path to the patient's id

    def fields(self) -> list[models.Field[Any, Any]]:
        return [f for f in self.model._meta.concrete_fields if not f.primary_key]


DOMAINS = (
    Domain("PATIENT", "Patient (screening log)", Patient, "id"),
    Domain("CONSENT", "Informed consent", Consent, "patient_id"),
    Domain("BASELINE", "Baseline", Baseline, "patient_id"),
    Domain("MUTATION", "Baseline mutations", BaselineMutation, "baseline__patient_id"),
    Domain("ELIGIBILITY", "Eligibility answers", EligibilityAnswer, "patient_id"),
    Domain("RANDOMISATION", "Randomisation", Randomization, "patient_id"),
    Domain("CYCLE", "Treatment cycles", Cycle, "patient_id"),
    Domain("DRUG", "Drug administrations", DrugAdministration, "cycle__patient_id"),
    Domain("RESPONSE", "Response assessments", ResponseAssessment, "patient_id"),
    Domain("RELAPSE", "Relapse after CR/CRi", Relapse, "patient_id"),
    Domain("AE", "Adverse events", AdverseEvent, "patient_id"),
    Domain("TRANSPLANT", "Transplants", Transplant, "patient_id"),
    Domain("EOT", "End of treatment", EndOfTreatment, "patient_id"),
    Domain("VISIT", "Follow-up visits", Visit, "patient_id"),
    Domain("CONTACT", "Contact attempts", ContactAttempt, "patient_id"),
    Domain("LTFU", "Loss to follow-up", LossToFollowUp, "patient_id"),
    Domain("WITHDRAWAL", "Withdrawal", Withdrawal, "patient_id"),
    Domain("DEATH", "Death", Death, "patient_id"),
)


def _data_type(f: models.Field[Any, Any]) -> str:
    if isinstance(f, models.DateTimeField):
        return "datetime"
    if isinstance(f, models.DateField):
        return "date"
    if isinstance(f, models.BooleanField):
        return "boolean"
    if isinstance(f, models.DecimalField | models.FloatField):
        return "float"
    if isinstance(f, models.IntegerField | models.ForeignKey):
        return "integer"
    return "text"


def _value(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _item_oid(domain: Domain, f: models.Field[Any, Any]) -> str:
    return f"IT.{domain.code}.{f.attname.upper()}"


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> Any:
    element = etree.SubElement(parent, f"{{{ODM_NS}}}{tag}", {k: v for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _translated(parent: etree._Element, tag: str, text: str) -> None:
    _sub(_sub(parent, tag), "TranslatedText", text, **{XML_LANG: "en"})


def _metadata(study: etree._Element) -> None:
    mdv = _sub(study, "MetaDataVersion", OID=MDV_OID, Name="DEXAML-03 EDC")
    event = _sub(mdv, "StudyEventDef", OID=EVENT_OID, Name="Trial", Repeating="No", Type="Common")
    for i, d in enumerate(DOMAINS, 1):
        _sub(event, "FormRef", FormOID=f"F.{d.code}", OrderNumber=str(i), Mandatory="No")
    for d in DOMAINS:
        form = _sub(mdv, "FormDef", OID=f"F.{d.code}", Name=d.name, Repeating="No")
        _sub(form, "ItemGroupRef", ItemGroupOID=f"IG.{d.code}", Mandatory="Yes")
    for d in DOMAINS:
        group = _sub(mdv, "ItemGroupDef", OID=f"IG.{d.code}", Name=d.name, Repeating="Yes")
        for i, f in enumerate(d.fields(), 1):
            _sub(group, "ItemRef", ItemOID=_item_oid(d, f), OrderNumber=str(i), Mandatory="No")
    for d in DOMAINS:
        for f in d.fields():
            item = _sub(mdv, "ItemDef", OID=_item_oid(d, f), Name=f.attname, DataType=_data_type(f))
            _translated(item, "Description", str(f.verbose_name))


def _admin(sites: list[tuple[str, str]], users: list[str]) -> etree._Element:
    admin = _element("AdminData", StudyOID=STUDY_OID)
    for username in users:
        user = _sub(admin, "User", OID=f"USR.{username}")
        _sub(user, "LoginName", username)
    for code, name in sites:
        location = _sub(
            admin, "Location", OID=f"LOC.{code}", Name=name or code, LocationType="Site"
        )
        _sub(
            location,
            "MetaDataVersionRef",
            StudyOID=STUDY_OID,
            MetaDataVersionOID=MDV_OID,
            EffectiveDate="2019-01-01",
        )
    return admin


@dataclass
class _Row:
    """One version of one record: its values, and for the audit trail who, when and why."""

    domain: Domain
    pk: int
    values: dict[str, object]
    transaction: str | None = None
    user: str | None = None
    when: dt.datetime | None = None
    reason: str | None = None


def _patient_chunks(chunk_size: int) -> Iterator[list[tuple[int, str | None, str, str]]]:
    """The patients in order of pk, chunk by chunk (keyset pagination: one query a chunk)."""
    last = 0
    while True:
        chunk = list(
            Patient._default_manager.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "subject_id", "screening_number", "site__code")[:chunk_size]
        )
        if chunk:
            yield chunk
        if len(chunk) < chunk_size:
            return
        last = chunk[-1][0]


def _rows(domain: Domain, with_audit: bool, patient_ids: list[int]) -> Iterable[tuple[int, _Row]]:
    """The rows of one domain for some patients, in one query, in the order of the file."""
    names = [f.attname for f in domain.fields()]
    among = {f"{domain.patient}__in": patient_ids}
    if not with_audit:
        rows = domain.model._default_manager.filter(**among).annotate(odm_patient=F(domain.patient))
        for r in rows.order_by("pk").values("pk", "odm_patient", *names):
            yield r["odm_patient"], _Row(domain, r["pk"], r)
        return
    history = domain.model.history.filter(**among).annotate(odm_patient=F(domain.patient))
    extra = ("history_type", "history_user__username", "history_date", "history_change_reason")
    for r in history.order_by("history_date", "history_id").values(
        "id", "odm_patient", *names, *extra
    ):
        yield (
            r["odm_patient"],
            _Row(
                domain,
                r["id"],
                r,
                TRANSACTIONS[r["history_type"]],
                r["history_user__username"],
                r["history_date"],
                r["history_change_reason"],
            ),
        )


def _item_group(form: etree._Element, row: _Row, location: str) -> None:
    attrs = {"ItemGroupOID": f"IG.{row.domain.code}", "ItemGroupRepeatKey": str(row.pk)}
    if row.transaction:
        attrs["TransactionType"] = row.transaction
    group = _sub(form, "ItemGroupData", **attrs)
    if row.when is not None:
        audit = _sub(group, "AuditRecord")
        _sub(audit, "UserRef", UserOID=f"USR.{row.user or 'system'}")
        _sub(audit, "LocationRef", LocationOID=location)
        _sub(audit, "DateTimeStamp", row.when.isoformat())
        if row.reason:
            _sub(audit, "ReasonForChange", row.reason)
    for f in row.domain.fields():
        value = row.values.get(f.attname)
        if isinstance(f, models.JSONField) and value is not None:
            value = json.dumps(value, sort_keys=True)  # JSON, not Python's repr of it
        else:
            value = _value(value)
        if value is not None:
            _sub(group, "ItemData", ItemOID=_item_oid(row.domain, f), Value=value)


def _element(tag: str, **attrs: str) -> Any:
    return etree.Element(f"{{{ODM_NS}}}{tag}", attrs, nsmap={None: ODM_NS})


def _study() -> etree._Element:
    study = _element("Study", OID=STUDY_OID)
    variables = _sub(study, "GlobalVariables")
    _sub(variables, "StudyName", STUDYID)
    _sub(variables, "StudyDescription", "Dexamethasone added to salvage in R/R AML")
    _sub(variables, "ProtocolName", STUDYID)
    _metadata(study)
    return study


def _subjects(with_audit: bool, chunk_size: int) -> Iterator[etree._Element]:
    """One SubjectData per patient, reading the records of a chunk of patients at a time."""
    for chunk in _patient_chunks(chunk_size):
        by_patient: dict[int, dict[str, list[_Row]]] = defaultdict(lambda: defaultdict(list))
        for domain in DOMAINS:
            for pid, row in _rows(domain, with_audit, [p[0] for p in chunk]):
                by_patient[pid][domain.code].append(row)
        for pid, subject_id, screening_number, site in chunk:
            subject = _element("SubjectData", SubjectKey=subject_id or f"{site}/{screening_number}")
            _sub(subject, "SiteRef", LocationOID=f"LOC.{site}")
            event = _sub(subject, "StudyEventData", StudyEventOID=EVENT_OID)
            for domain in DOMAINS:
                rows = by_patient[pid].get(domain.code, [])
                if rows:
                    form = _sub(event, "FormData", FormOID=f"F.{domain.code}")
                    for row in rows:
                        _item_group(form, row, f"LOC.{site}")
            yield subject


def odm_write(
    *,
    out_path: Path,
    cutoff: dt.date,
    with_audit: bool,
    created_at: dt.datetime,
    chunk_size: int = CHUNK_SIZE,
) -> Path:
    """Write the ODM file of the clinical data (the cut-off names the export it belongs to).

    Streamed: the metadata first, then one SubjectData per patient as soon as it is complete,
    so the memory used is that of a chunk of patients, whatever the size of the trial.
    """
    out_path.parent.mkdir(parents=True, exist_ok=True)
    root = {
        "FileType": "Transactional" if with_audit else "Snapshot",
        "FileOID": f"{STUDYID}.{created_at:%Y%m%dT%H%M%S}{'.AUDIT' if with_audit else ''}",
        "CreationDateTime": created_at.isoformat(),
        "AsOfDateTime": created_at.isoformat(),
        "ODMVersion": "1.3.2",
        "Originator": STUDYID,
        "SourceSystem": "DEXAML-03 EDC",
        "Granularity": "All",
    }
    sites = list(Site.objects.order_by("code").values_list("code", "name"))
    # The users of the history rows are users (a foreign key), so all of them are listed here.
    users = sorted(User.objects.values_list("username", flat=True))
    with etree.xmlfile(str(out_path), encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(f"{{{ODM_NS}}}ODM", root, nsmap={None: ODM_NS}):
            xf.write("\n")
            xf.write(_study(), pretty_print=True)
            xf.write(_admin(sites, [*users, "system"] if with_audit else users), pretty_print=True)
            clinical = {"StudyOID": STUDY_OID, "MetaDataVersionOID": MDV_OID}
            with xf.element(f"{{{ODM_NS}}}ClinicalData", clinical):
                xf.write("\n")
                for subject in _subjects(with_audit, chunk_size):
                    xf.write(subject, pretty_print=True)
            xf.write("\n")
    return out_path


def odm_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))
