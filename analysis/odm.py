"""The full clinical data of the trial as CDISC ODM 1.3.2 XML, optionally with its audit trail.

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
record, or per history table, each compiled once for the whole file), and each SubjectData is
written as soon as it is complete, so the memory used is bounded by a chunk, not by the trial.
The file validates against the CDISC ODM 1.3.2 schema vendored in `schemas/odm1-3-2/`.

Written as text: the metadata and admin data are small element trees serialised by lxml, the
clinical data (nearly all of the file) is joined from strings made once per field, and each
item's line once per distinct value of its column in a chunk, escaped as libxml2 escapes them.
Building an element per item capped the export near 1 MB/s; the file is the same, byte for byte
(tests/analysis/odm_lxml.py keeps the element-tree writer to prove it).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connections, models
from django.db.models import F, Q
from django.db.models.sql.compiler import SQLCompiler
from lxml import etree
from psycopg.types.string import TextLoader

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
from trial.bulk import cycle_collection_paused
from trial.compiled import STAND_INS, bound, stand_ins_check
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
    drafts: Q | None = None  # the records that are drafts: no data, never exported

    def fields(self) -> list[models.Field[Any, Any]]:
        return [f for f in self.model._meta.concrete_fields if not f.primary_key]


DOMAINS = (
    Domain("PATIENT", "Patient (screening log)", Patient, "id"),
    Domain("CONSENT", "Informed consent", Consent, "patient_id"),
    Domain("BASELINE", "Baseline", Baseline, "patient_id", Q(draft=True)),
    Domain(
        "MUTATION",
        "Baseline mutations",
        BaselineMutation,
        "baseline__patient_id",
        Q(baseline__draft=True),
    ),
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


_ESCAPED = re.compile('[&<>"\n\r\t\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]')
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ATTRIBUTE_ENTITIES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\n": "&#10;",
        "\r": "&#13;",
        "\t": "&#9;",
    }
)
_TEXT_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def _escaped(text: str, entities: dict[int, str]) -> str:
    """Text as libxml2 writes it (so the file is the one lxml wrote before it was streamed);
    refused, as lxml refuses it, when XML cannot carry it."""
    if _ESCAPED.search(text) is None:
        return text
    if _NOT_XML.search(text):
        raise ValueError("All strings must be XML compatible: no NULL bytes or control characters")
    return text.translate(entities)


def _attribute(text: str) -> str:
    return text if _ESCAPED.search(text) is None else _escaped(text, _ATTRIBUTE_ENTITIES)


def _text(text: str) -> str:
    return _escaped(text, _TEXT_ENTITIES)


def _json(text: str) -> str:
    """A JSON column's text (the minimisation record) as JSON whatever the database: its keys
    sorted, since PostgreSQL's jsonb orders them its own way."""
    return _attribute(json.dumps(json.loads(text), sort_keys=True))


def _generic(value: object) -> str:
    return _attribute(_value(value) or "")


# PostgreSQL's text of a time stamp in UTC (DateStyle ISO): its fraction of a second without
# the trailing zeros that isoformat() keeps.
_PG_TIMESTAMP = re.compile(r"(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?\+00")


def _timestamp(value: dt.datetime | str) -> str:
    """An aware time stamp as isoformat() writes it in UTC, from a datetime or from
    PostgreSQL's text of it (`_Query`)."""
    if not isinstance(value, str):
        return value.isoformat()
    match = _PG_TIMESTAMP.fullmatch(value)
    if match is None:
        return dt.datetime.fromisoformat(value).isoformat()
    day, time, fraction = match.groups()
    return f"{day}T{time}.{fraction:0<6}+00:00" if fraction else f"{day}T{time}+00:00"


def _date(value: dt.date | str) -> str:
    """A date as isoformat() writes it: PostgreSQL's text of it is that already."""
    return value if isinstance(value, str) else value.isoformat()


def _decimal(value: Decimal | str) -> str:
    """A decimal in fixed notation: PostgreSQL's text of a numeric is that already."""
    return value if isinstance(value, str) else format(value, "f")


def _converter(f: models.Field[Any, Any]) -> Callable[[Any], str]:
    """The item's value as an escaped attribute, chosen once per field (what `_value` gives).

    Built-in callables where one exists: this runs for every distinct value of the file."""
    if isinstance(f, models.BooleanField):
        return {True: "true", False: "false"}.__getitem__
    if isinstance(f, models.DateTimeField):
        return _timestamp
    if isinstance(f, models.DateField):
        return _date
    if isinstance(f, models.DecimalField):
        return _decimal
    if isinstance(f, models.IntegerField | models.ForeignKey):
        return str
    if isinstance(f, models.CharField | models.TextField):
        return _attribute
    if isinstance(f, models.JSONField):
        return _json
    return _generic


def _kept(f: models.Field[Any, Any]) -> bool:
    """Whether equal values of the field are always written alike, so that a column's line can
    be made once per value: booleans, dates, integers and text. Not time stamps (the same
    instant in two zones), decimals (1.0 == 1.00) or floats (0.0 == -0.0), whose values are
    mostly distinct anyway."""
    if isinstance(f, models.DateTimeField):  # a DateField too
        return False
    kept = models.BooleanField | models.DateField | models.IntegerField | models.ForeignKey
    return isinstance(f, kept | models.CharField | models.TextField)


class _Lines(dict[Any, str]):
    """A column's ItemData lines by value: none for no value, and each line made once per
    distinct value (of a chunk) where equal values are written alike. A column holds a few
    hundred distinct dates, codes and counts in thousands of rows, and a dictionary look-up is
    a third of the time of making the line."""

    __slots__ = ("convert", "item", "keep")

    def __init__(self, item: str, convert: Callable[[Any], str], keep: bool) -> None:
        super().__init__({None: ""})
        self.item, self.convert, self.keep = item, convert, keep

    def __missing__(self, value: Any) -> str:
        line = f'{self.item}{self.convert(value)}"/>\n'
        if self.keep:
            self[value] = line
        return line


_line = dict.__getitem__  # a column's line of a value, as map() can call it


# Read as PostgreSQL's text: the file wants them as text, and parsing them into Python objects
# to write them back was half of the export's time.
_AS_TEXT = ("date", "timestamptz", "numeric")


# Stand-ins for the range of patients' ids in a query compiled once for the whole file
_FIRST, _LAST = STAND_INS[:2]


@dataclass(frozen=True)
class _Query:
    """A domain's query for a range of patients, compiled once: building and compiling it
    through the ORM took more time than PostgreSQL took to run it."""

    sql: str
    params: tuple[Any, ...]
    using: str
    compiler: SQLCompiler
    converters: dict[int, Any]  # the ORM's conversions of columns (SQLite's), as it applies them
    as_text: bool  # dates, time stamps and decimals read as PostgreSQL's text (`_text_readable`)

    @classmethod
    def of(cls, queryset: models.QuerySet[Any, tuple[Any, ...]], as_text: bool) -> _Query:
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        converters = {  # JSON stays the database's text, for `_json` to write
            i: converter
            for i, converter in compiler.get_converters([c for c, _, _ in compiler.select]).items()
            if not isinstance(converter[1].output_field, models.JSONField)
        }
        stand_ins_check(params, _FIRST, _LAST)
        # A converted column would get text where the ORM expects its own kind of value.
        return cls(
            sql, tuple(params), queryset.db, compiler, converters, as_text and not converters
        )

    def rows(self, first: int, last: int) -> Iterator[Sequence[Any]]:
        """The rows of the patients whose ids are `first` to `last`."""
        params = bound(self.params, {_FIRST: first, _LAST: last})
        with connections[self.using].cursor() as cursor:
            if self.as_text:
                adapters = cursor.cursor.adapters  # psycopg's, of this cursor only
                for name in _AS_TEXT:
                    adapters.register_loader(name, TextLoader)
            cursor.execute(self.sql, params)
            while rows := cursor.fetchmany(2000):
                if self.converters:
                    yield from self.compiler.apply_converters(rows, self.converters)
                else:
                    yield from rows


@dataclass(frozen=True)
class _Form:
    """A domain's pieces of text, made once: the file is then written by joining strings."""

    domain: Domain
    names: list[str]
    # Each field's ItemData up to its value, its converter, whether equal values are written alike
    items: list[tuple[str, Callable[[Any], str], bool]]
    group: str  # the ItemGroupData's opening tag up to its repeat key

    @classmethod
    def of(cls, domain: Domain) -> _Form:
        fields = domain.fields()
        items = [
            (f'        <ItemData ItemOID="{_item_oid(domain, f)}" Value="', _converter(f), _kept(f))
            for f in fields
        ]
        group = f'      <ItemGroupData ItemGroupOID="IG.{domain.code}" ItemGroupRepeatKey="'
        return cls(domain, [f.attname for f in fields], items, group)

    def lines(self) -> list[_Lines]:
        """Each column's lines, new for each chunk: memory bounded by a chunk."""
        return [_Lines(*item) for item in self.items]

    def query(self, with_audit: bool, as_text: bool = False) -> _Query:
        """(patient, pk, *values[, transaction, user, when, reason]) of a range of patients, in
        the order of the file, in one query.

        A range, not the list of the chunk's ids: the chunk is every patient in it (keyset
        pagination), and hundreds of ids cost more to send, bind and plan than a range."""
        d = self.domain
        among = {f"{d.patient}__gte": _FIRST, f"{d.patient}__lte": _LAST}
        records = d.model._default_manager.filter(**among)
        if d.drafts is not None:
            records = records.exclude(d.drafts)
        if not with_audit:
            rows = records.annotate(odm_patient=F(d.patient))
            return _Query.of(
                rows.order_by("pk").values_list("odm_patient", "pk", *self.names), as_text
            )
        history = d.model.history.filter(**among)  # type: ignore[attr-defined]
        if d.drafts is not None:  # a draft's history too waits until it is completed
            history = history.filter(id__in=records.values("pk"))
        history = history.annotate(odm_patient=F(d.patient))
        extra = ("history_type", "history_user__username", "history_date", "history_change_reason")
        return _Query.of(
            history.order_by("history_date", "history_id").values_list(
                "odm_patient", "id", *self.names, *extra
            ),
            as_text,
        )

    def write(
        self, out: list[str], rows: list[Sequence[Any]], location: str, lines: list[_Lines]
    ) -> None:
        """The FormData of one patient's rows."""
        out.append(f'    <FormData FormOID="F.{self.domain.code}">\n')
        group = self.group
        audited = len(rows[0]) > 2 + len(lines)
        for row in rows:
            values = "".join(map(_line, lines, row[2:]))  # stops at the audit's columns
            if audited:
                audit = _audit_record(row[-4:], location)
                out.append(f"{group}{row[1]}{audit}{values}      </ItemGroupData>\n")
            elif values:
                out.append(f'{group}{row[1]}">\n{values}      </ItemGroupData>\n')
            else:
                out.append(f'{group}{row[1]}"/>\n')
        out.append("    </FormData>\n")


def _text_readable() -> bool:
    """PostgreSQL whose session writes dates as ISO and time stamps in UTC (as Django sets)."""
    connection = connections[Patient._default_manager.db]
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('DateStyle'), current_setting('TimeZone')")
        datestyle, zone = cursor.fetchone()
    return bool(datestyle.startswith("ISO") and zone in ("UTC", "Etc/UTC"))


def _audit_record(audit: Sequence[Any], location: str) -> str:
    kind, user, when, reason = audit
    reason_line = (
        f"          <ReasonForChange>{_text(reason)}</ReasonForChange>\n" if reason else ""
    )
    return (
        f'" TransactionType="{TRANSACTIONS[kind]}">\n'
        "        <AuditRecord>\n"
        f'          <UserRef UserOID="USR.{_attribute(user or "system")}"/>\n'
        f'          <LocationRef LocationOID="{location}"/>\n'
        f"          <DateTimeStamp>{_timestamp(when)}</DateTimeStamp>\n"
        f"{reason_line}"
        "        </AuditRecord>\n"
    )


def _study() -> etree._Element:
    study = _element("Study", OID=STUDY_OID)
    variables = _sub(study, "GlobalVariables")
    _sub(variables, "StudyName", STUDYID)
    _sub(variables, "StudyDescription", "Dexamethasone added to salvage in R/R AML")
    _sub(variables, "ProtocolName", STUDYID)
    _metadata(study)
    return study


def _element(tag: str, **attrs: str) -> Any:
    return etree.Element(f"{{{ODM_NS}}}{tag}", attrs, nsmap={None: ODM_NS})


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


def _subjects(with_audit: bool, chunk_size: int) -> Iterator[str]:
    """Each patient's SubjectData, reading a chunk of patients at a time with one query per kind
    of record."""
    forms = [_Form.of(d) for d in DOMAINS]
    as_text = _text_readable()
    queries = [form.query(with_audit, as_text) for form in forms]
    for chunk in _patient_chunks(chunk_size):
        ids = [p[0] for p in chunk]
        by_patient: dict[int, list[list[Sequence[Any]]]] = {pid: [[] for _ in forms] for pid in ids}
        for i, query in enumerate(queries):
            for row in query.rows(ids[0], ids[-1]):
                if row[0] in by_patient:  # not the history of a patient since deleted
                    by_patient[row[0]][i].append(row)
        lines = [form.lines() for form in forms]
        for pid, subject_id, screening_number, site in chunk:
            key = _attribute(subject_id or f"{site}/{screening_number}")
            location = f"LOC.{_attribute(site)}"
            out = [
                f'<SubjectData xmlns="{ODM_NS}" SubjectKey="{key}">\n'
                f'  <SiteRef LocationOID="{location}"/>\n'
                f'  <StudyEventData StudyEventOID="{EVENT_OID}">\n'
            ]
            for form, form_lines, rows in zip(forms, lines, by_patient.pop(pid), strict=True):
                if rows:
                    form.write(out, rows, location, form_lines)
            out.append("  </StudyEventData>\n</SubjectData>\n")
            yield "".join(out)  # a patient's text at a time: a chunk's would be 1,000s of strings


def _tag(element: etree._Element) -> str:
    return etree.tostring(element, encoding="unicode", pretty_print=True)


@cycle_collection_paused()
def odm_write(
    *,
    out_path: Path,
    cutoff: dt.date,
    with_audit: bool,
    created_at: dt.datetime,
    chunk_size: int = CHUNK_SIZE,
) -> Path:
    """Write the ODM file of the clinical data (the cut-off names the export it belongs to).

    Streamed: the metadata first, then the SubjectData of a chunk of patients as soon as the
    chunk is read, written as text, so the memory used is that of a chunk of patients,
    whatever the size of the trial.
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
    attributes = "".join(f' {name}="{_attribute(value)}"' for name, value in root.items())
    with out_path.open("w", encoding="utf-8", newline="\n", buffering=1 << 20) as out:
        out.write(f"<?xml version='1.0' encoding='UTF-8'?>\n<ODM xmlns=\"{ODM_NS}\"{attributes}>\n")
        out.write(_tag(_study()))
        out.write(_tag(_admin(sites, [*users, "system"] if with_audit else users)))
        out.write(f'<ClinicalData StudyOID="{STUDY_OID}" MetaDataVersionOID="{MDV_OID}">\n')
        for subject in _subjects(with_audit, chunk_size):
            out.write(subject)
        out.write("</ClinicalData>\n</ODM>")
    return out_path


def odm_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))
