"""The clinical data as CDISC ODM 1.3.2, validated against the official schema."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from lxml import etree

from followup.models import Death, DeathCause
from followup.survival.odm import ODM_NS, odm_document, odm_schema, odm_write
from followup.survival.services import cutoff_freeze, export_create
from followup.survival.tasks import export_build_task
from tests.factories import randomized_patient, screened_patient
from trial.audit import record_save
from trial.models import Patient, Site, User

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


class TestOdmDocument:
    def test_the_snapshot_validates_against_the_odm_1_3_2_schema(self, trial: Patient) -> None:
        tree = odm_document(with_audit=False, created_at=NOW)

        odm_schema().assertValid(tree)
        root = tree.getroot()
        assert root.get("FileType") == "Snapshot"
        assert len(root.findall(".//odm:SubjectData", NS)) == 2
        (death,) = root.findall(".//odm:FormData[@FormOID='F.DEATH']/odm:ItemGroupData", NS)
        values = {i.get("ItemOID"): i.get("Value") for i in death.findall("odm:ItemData", NS)}
        assert values["IT.DEATH.DEATH_DATE"] == "2027-01-11"
        forms = {f.get("FormOID") for f in root.iterfind(".//odm:FormData", NS)}
        assert {"F.PATIENT", "F.CONSENT", "F.BASELINE", "F.MUTATION", "F.RANDOMISATION"} <= forms

    def test_the_audit_trail_has_one_audit_record_per_history_row(self, trial: Patient) -> None:
        tree = odm_document(with_audit=True, created_at=NOW)

        odm_schema().assertValid(tree)
        groups = tree.getroot().findall(".//odm:FormData[@FormOID='F.DEATH']/odm:ItemGroupData", NS)
        assert [g.get("TransactionType") for g in groups] == ["Insert", "Update"]
        audit = groups[1].find("odm:AuditRecord", NS)
        assert audit.find("odm:UserRef", NS).get("UserOID") == "USR.inv_a"
        assert audit.findtext("odm:ReasonForChange", namespaces=NS) == (
            "Date corrected from the death certificate"
        )
        assert audit.findtext("odm:DateTimeStamp", namespaces=NS)

    def test_a_document_missing_a_required_attribute_is_refused_by_the_schema(
        self, trial: Patient
    ) -> None:
        root = odm_document(with_audit=False, created_at=NOW).getroot()
        del root.find(".//odm:SubjectData", NS).attrib["SubjectKey"]

        assert not odm_schema().validate(etree.ElementTree(root))


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
