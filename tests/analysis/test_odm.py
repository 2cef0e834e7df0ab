"""The clinical data as CDISC ODM 1.3.2, validated against the official schema."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from lxml import etree

from analysis.odm import (
    DOMAINS,
    ODM_NS,
    _converter,
    _date,
    _decimal,
    _kept,
    _Lines,
    _text_readable,
    _timestamp,
    odm_schema,
    odm_write,
)
from analysis.services import cutoff_freeze, export_create
from analysis.tasks import export_build_task
from randomization.models import Randomization
from tests.analysis import odm_lxml
from tests.factories import randomized_patient, screened_patient
from tests.treatment.test_builders import STARTS, record_cycle
from treatment.services import RelapseFinding, relapse_record, response_record
from trial.audit import record_save
from trial.models import Death, DeathCause, Patient, Site, User

NOW = timezone.make_aware(dt.datetime(2027, 7, 1, 12, 0))
NS = {"odm": ODM_NS}


@pytest.fixture
def trial(site_a: Site, coordinator: User, investigator: User) -> Patient:
    screened_patient(site_a, coordinator)
    patient = randomized_patient(site_a, coordinator, investigator)
    death = Death(patient=patient, death_date=dt.date(2027, 1, 10), cause=DeathCause.LEUKAEMIA)
    record_save(instance=death, by=investigator)
    death.death_date = dt.date(2027, 1, 11)
    record_save(instance=death, by=investigator, reason="Date corrected from the death certificate")
    return patient


def odm_document(tmp_path: Path, *, with_audit: bool, chunk_size: int = 500) -> etree._ElementTree:
    """Write the ODM file and read it back as a tree."""
    path = odm_write(
        out_path=tmp_path / f"odm-{with_audit}-{chunk_size}.xml",
        cutoff=dt.date(2027, 6, 30),
        with_audit=with_audit,
        created_at=NOW,
        chunk_size=chunk_size,
    )
    return etree.parse(str(path))


class TestOdmDocument:
    def test_the_snapshot_validates_against_the_odm_1_3_2_schema(
        self, trial: Patient, tmp_path: Path
    ) -> None:
        tree = odm_document(tmp_path, with_audit=False)

        odm_schema().assertValid(tree)
        root = tree.getroot()
        assert root.get("FileType") == "Snapshot"
        assert len(root.findall(".//odm:SubjectData", NS)) == 2
        (death,) = root.findall(".//odm:FormData[@FormOID='F.DEATH']/odm:ItemGroupData", NS)
        values = {i.get("ItemOID"): i.get("Value") for i in death.findall("odm:ItemData", NS)}
        assert values["IT.DEATH.DEATH_DATE"] == "2027-01-11"
        forms = {f.get("FormOID") for f in root.iterfind(".//odm:FormData", NS)}
        assert {"F.PATIENT", "F.CONSENT", "F.BASELINE", "F.MUTATION", "F.RANDOMISATION"} <= forms

    def test_the_audit_trail_has_one_audit_record_per_history_row(
        self, trial: Patient, tmp_path: Path
    ) -> None:
        tree = odm_document(tmp_path, with_audit=True)

        odm_schema().assertValid(tree)
        groups = tree.getroot().findall(".//odm:FormData[@FormOID='F.DEATH']/odm:ItemGroupData", NS)
        assert [g.get("TransactionType") for g in groups] == ["Insert", "Update"]
        audit = groups[1].find("odm:AuditRecord", NS)
        assert audit.find("odm:UserRef", NS).get("UserOID") == "USR.inv_a"
        assert audit.findtext("odm:ReasonForChange", namespaces=NS) == (
            "Date corrected from the death certificate"
        )
        assert audit.findtext("odm:DateTimeStamp", namespaces=NS)

    @pytest.mark.parametrize("with_audit", [False, True])
    def test_a_minimisation_record_is_written_as_json(
        self, trial: Patient, tmp_path: Path, with_audit: bool
    ) -> None:
        decision = {"imbalance": {"A": 2, "B": 3}, "preferred": "A", "draw": 0.25, "followed": True}
        Randomization.objects.filter(patient=trial).update(minimization=decision)
        Randomization.history.filter(patient=trial).update(minimization=decision)

        root = odm_document(tmp_path, with_audit=with_audit).getroot()

        items = root.findall(".//odm:ItemData[@ItemOID='IT.RANDOMISATION.MINIMIZATION']", NS)
        assert items
        assert [json.loads(i.get("Value")) for i in items] == [decision] * len(items)

    def test_a_document_missing_a_required_attribute_is_refused_by_the_schema(
        self, trial: Patient, tmp_path: Path
    ) -> None:
        root = odm_document(tmp_path, with_audit=False).getroot()
        del root.find(".//odm:SubjectData", NS).attrib["SubjectKey"]

        assert not odm_schema().validate(etree.ElementTree(root))


class TestOdmRelapse:
    def test_the_relapse_record_is_a_form_of_its_own_with_its_audit_trail(
        self, trial: Patient, investigator: User, tmp_path: Path
    ) -> None:
        record_cycle(trial, investigator, STARTS[0])
        response_record(
            patient=trial,
            assessment_date=dt.date(2026, 11, 28),
            response="CR",
            marrow_blast_pct=Decimal("2"),
            by=investigator,
            now=NOW,
        )
        finding = RelapseFinding(bone_marrow=True, marrow_blast_pct=Decimal("30"))
        relapse = relapse_record(
            patient=trial,
            relapse_date=dt.date(2027, 1, 5),
            finding=finding,
            found_at="relapse_form",
            by=investigator,
            now=NOW,
        )
        relapse_record(
            patient=trial,
            relapse=relapse,
            relapse_date=dt.date(2027, 1, 4),
            finding=finding,
            found_at="relapse_form",
            by=investigator,
            now=NOW,
            reason="Marrow aspirate was taken the day before",
        )

        snapshot = odm_document(tmp_path, with_audit=False)
        audit = odm_document(tmp_path, with_audit=True)

        odm_schema().assertValid(snapshot)
        odm_schema().assertValid(audit)
        (group,) = snapshot.getroot().findall(".//odm:FormData[@FormOID='F.RELAPSE']/*", NS)
        values = {i.get("ItemOID"): i.get("Value") for i in group.findall("odm:ItemData", NS)}
        assert values["IT.RELAPSE.RELAPSE_DATE"] == "2027-01-04"
        assert values["IT.RELAPSE.MARROW_BLAST_PCT"] == "30.0"
        groups = audit.getroot().findall(".//odm:FormData[@FormOID='F.RELAPSE']/*", NS)
        assert [g.get("TransactionType") for g in groups] == ["Insert", "Update"]
        assert groups[1].findtext("odm:AuditRecord/odm:ReasonForChange", namespaces=NS) == (
            "Marrow aspirate was taken the day before"
        )


class TestValuesAsText:
    """On PostgreSQL the export reads dates, time stamps and decimals as PostgreSQL's text
    and writes them as the Python objects' isoformat() and fixed notation would."""

    @pytest.mark.parametrize(
        ("value", "text"),
        [
            (dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC), "2026-06-30 12:00:00+00"),
            (dt.datetime(2026, 6, 30, 12, 0, 1, 500000, tzinfo=dt.UTC), "2026-06-30 12:00:01.5+00"),
            (
                dt.datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC),
                "2026-01-02 03:04:05.123456+00",
            ),
            (dt.datetime(2026, 1, 2, 3, 4, 5, 10, tzinfo=dt.UTC), "2026-01-02 03:04:05.00001+00"),
        ],
    )
    def test_a_time_stamp_reads_as_isoformat_writes_it(self, value: dt.datetime, text: str) -> None:
        assert _timestamp(text) == value.isoformat() == _timestamp(value)

    def test_another_zone_is_parsed_rather_than_guessed(self) -> None:
        value = dt.datetime(2026, 6, 30, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
        assert _timestamp("2026-06-30 14:00:00+02") == value.isoformat()

    def test_dates_and_decimals_keep_their_text(self) -> None:
        assert _date("2026-06-30") == _date(dt.date(2026, 6, 30)) == "2026-06-30"
        assert _decimal("30.50") == _decimal(Decimal("30.50")) == "30.50"

    def test_postgresql_sessions_are_read_as_text(self, db: None) -> None:
        assert _text_readable() is (connection.vendor == "postgresql")


class TestItemLines:
    """A column's ItemData lines are made once per value only where equal values are written
    alike."""

    @staticmethod
    def lines(field: models.Field[Any, Any]) -> _Lines:
        return _Lines('<I V="', _converter(field), _kept(field))

    def test_a_code_is_made_once_and_no_value_has_no_line(self) -> None:
        lines = self.lines(models.CharField(max_length=5))

        written = [lines[v] for v in ("done", None, "done", "a&b")]

        assert written == ['<I V="done"/>\n', "", '<I V="done"/>\n', '<I V="a&amp;b"/>\n']
        assert set(lines) == {None, "done", "a&b"}

    def test_equal_decimals_keep_their_own_text(self) -> None:
        lines = self.lines(models.DecimalField(max_digits=5, decimal_places=2))

        assert lines[Decimal("1.0")] == '<I V="1.0"/>\n'
        assert lines[Decimal("1.00")] == '<I V="1.00"/>\n'  # equal to 1.0, not written alike

    def test_one_instant_in_two_zones_keeps_its_own_text(self) -> None:
        lines = self.lines(models.DateTimeField())
        utc = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)

        assert lines[utc] == '<I V="2026-06-30T12:00:00+00:00"/>\n'
        paris = utc.astimezone(dt.timezone(dt.timedelta(hours=2)))
        assert lines[paris] == '<I V="2026-06-30T14:00:00+02:00"/>\n'


class TestOdmStreaming:
    @pytest.mark.parametrize("with_audit", [False, True])
    def test_patients_are_read_a_chunk_at_a_time_with_one_query_per_kind_of_record(
        self, trial: Patient, site_a: Site, coordinator: User, tmp_path: Path, with_audit: bool
    ) -> None:
        for _ in range(3):
            screened_patient(site_a, coordinator)  # 5 patients: chunks of 2, 2 and 1

        with CaptureQueriesContext(connection) as queries:
            tree = odm_document(tmp_path, with_audit=with_audit, chunk_size=2)

        sites_and_users = 2
        # PostgreSQL: whether its text of dates and time stamps can be written as it is
        session = 1 if connection.vendor == "postgresql" else 0
        per_chunk = 1 + len(DOMAINS)  # the chunk's patients, then each kind of record
        assert len(queries) == sites_and_users + session + 3 * per_chunk
        odm_schema().assertValid(tree)
        assert len(tree.getroot().findall(".//odm:SubjectData", NS)) == 5

    @pytest.mark.parametrize("with_audit", [False, True])
    def test_the_file_is_the_same_whatever_the_size_of_the_chunks(
        self, trial: Patient, site_a: Site, coordinator: User, tmp_path: Path, with_audit: bool
    ) -> None:
        screened_patient(site_a, coordinator)

        files = [
            odm_write(
                out_path=tmp_path / f"odm-{size}.xml",
                cutoff=dt.date(2027, 6, 30),
                with_audit=with_audit,
                created_at=NOW,
                chunk_size=size,
            ).read_bytes()
            for size in (1, 2, 500)
        ]

        assert files[0] == files[1] == files[2]


class TestOdmInExport:
    def test_an_export_with_odm_carries_a_valid_file(
        self, trial, data_manager, settings, tmp_path: Path
    ) -> None:
        settings.MEDIA_ROOT = tmp_path
        cutoff = cutoff_freeze(
            by=data_manager, cutoff_date=dt.date(2027, 6, 30), reason="Interim", now=NOW
        )
        export = export_create(
            by=data_manager, cutoff=cutoff, formats=["csv", "odm_audit"], now=NOW
        )

        export_build_task(export_id=export.pk)

        export.refresh_from_db()
        assert "clinical_data.odm.xml" in [f["name"] for f in export.files]
        path = tmp_path / export.directory / "clinical_data.odm.xml"
        odm_schema().assertValid(etree.parse(str(path)))

    def test_odm_write_writes_an_xml_declaration(self, trial, tmp_path: Path) -> None:
        path = odm_write(
            out_path=tmp_path / "x.xml",
            cutoff=dt.date(2027, 6, 30),
            with_audit=False,
            created_at=NOW,
        )

        assert path.read_bytes().startswith(b"<?xml version='1.0' encoding='UTF-8'?>")


class TestOdmSameAsTheElementTreeWriter:
    """The streamed text writer writes the very bytes lxml's element trees wrote."""

    @pytest.mark.parametrize("with_audit", [False, True])
    def test_the_demo_trial_gives_the_same_file(
        self, investigator: User, tmp_path: Path, with_audit: bool
    ) -> None:
        call_command("seed_demo", "--today", "2026-11-02", stdout=StringIO())
        death = Death.objects.order_by("pk").first()
        assert death is not None  # free text that needs escaping, in values and in the reason
        death.cause_detail = 'Sepsis & "shock" <48 h>\n\tafter\r\nday 10: été'
        record_save(instance=death, by=investigator, reason='Detail <from> the "report" &\r\nnotes')
        decision = {"preferred": "B", "imbalance": {"B": 1, "A": 0}, "draw": 0.5, "followed": False}
        randomized = Randomization.objects.order_by("pk")[:1].values("pk")
        Randomization.objects.filter(pk__in=randomized).update(minimization=decision)
        Randomization.history.filter(id__in=randomized).update(minimization=decision)
        new, old = [
            writer(
                out_path=tmp_path / f"{writer.__module__}.xml",
                cutoff=dt.date(2026, 11, 2),
                with_audit=with_audit,
                created_at=NOW,
                chunk_size=7,
            ).read_bytes()
            for writer in (odm_write, odm_lxml.odm_write)
        ]

        assert len(new) > 100_000
        assert new == old
