"""A locked cut-off: its exports are the files of its lock, byte for byte, whatever is entered
or corrected later; an unlocked one's exports say they are provisional."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from analysis.models import DataCutoff, DatasetExport
from analysis.services import cutoff_freeze, cutoff_lock, cutoff_unlock, export_create, export_path
from analysis.tasks import export_build_task
from tests.analysis.test_interfaces import NOW, RANDOMIZED_AT
from tests.factories import randomized_patient
from tests.treatment.test_builders import record_cycle
from treatment.services import response_record
from trial.audit import record_save
from trial.exceptions import PermissionDenied, StateConflict
from trial.models import Death, DeathCause, Patient, Site, User

EVERYTHING = ["csv", "xpt", "dta", "sav", "parquet", "odm_audit"]
LATER = NOW + dt.timedelta(days=3)


def exported(cutoff: DataCutoff, by: User, formats: list[str] | None = None) -> DatasetExport:
    export = export_create(by=by, cutoff=cutoff, formats=formats or EVERYTHING, now=NOW)
    export_build_task(export_id=export.pk)
    export.refresh_from_db()
    return export


def file_bytes(export: DatasetExport) -> dict[str, bytes]:
    return {f["name"]: (export_path(export) / f["name"]).read_bytes() for f in export.files}


def manifest(export: DatasetExport) -> dict:
    return json.loads((export_path(export) / "manifest.json").read_text())


def later_data(site: Site, coordinator: User, investigator: User, dead: Patient) -> None:
    """A response dated before the cut-off entered after the lock, and a death corrected."""
    alive = randomized_patient(site, coordinator, investigator, randomized_at=RANDOMIZED_AT)
    record_cycle(alive, investigator, dt.date(2024, 1, 2), now=NOW)
    response_record(
        patient=alive,
        assessment_date=dt.date(2024, 2, 15),
        response="CR",
        marrow_blast_pct=Decimal("2"),
        by=investigator,
        now=NOW,
    )
    death = Death.objects.get(patient=dead)
    death.death_date = dt.date(2024, 3, 20)
    record_save(instance=death, by=investigator, reason="Date from the death certificate")


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def dead(site_a: Site, coordinator: User, investigator: User) -> Patient:
    patient = randomized_patient(site_a, coordinator, investigator, randomized_at=RANDOMIZED_AT)
    death = Death(patient=patient, death_date=dt.date(2024, 3, 1), cause=DeathCause.LEUKAEMIA)
    record_save(instance=death, by=investigator)
    return patient


@pytest.fixture
def frozen(data_manager: User) -> DataCutoff:
    return cutoff_freeze(
        by=data_manager, cutoff_date=dt.date(2025, 6, 30), reason="Final analysis", now=NOW
    )


class TestCutoffLock:
    def test_the_lock_is_in_the_history_with_who_and_why(self, frozen, data_manager) -> None:
        cutoff_lock(cutoff=frozen, by=data_manager, reason="Database lock for the DSMB", now=LATER)

        frozen.refresh_from_db()
        last = frozen.history.order_by("-history_id").first()
        assert (frozen.locked_at, frozen.locked_by, frozen.lock_number) == (LATER, data_manager, 1)
        assert (last.history_user, last.history_change_reason) == (
            data_manager,
            "Locked: Database lock for the DSMB",
        )

    def test_a_locked_cut_off_exports_the_same_bytes_after_new_data_and_corrections(
        self, dead, frozen, data_manager, site_a, coordinator, investigator
    ) -> None:
        cutoff_lock(cutoff=frozen, by=data_manager, reason="Final analysis", now=LATER)
        first = exported(frozen, data_manager)

        later_data(site_a, coordinator, investigator, dead)
        second = exported(frozen, data_manager)

        assert (first.checksum, first.files) == (second.checksum, second.files)
        assert file_bytes(first) == file_bytes(second)
        assert "clinical_data.odm.xml" in file_bytes(second)
        assert (second.provisional, manifest(second)["status"]) == (False, "locked")

    def test_an_unlocked_cut_off_exports_the_database_as_it_is_and_says_provisional(
        self, dead, frozen, data_manager, site_a, coordinator, investigator
    ) -> None:
        first = exported(frozen, data_manager)

        later_data(site_a, coordinator, investigator, dead)
        second = exported(frozen, data_manager)

        assert first.checksum != second.checksum
        assert (second.provisional, manifest(second)["status"]) == (True, "provisional")
        assert "may differ" in manifest(second)["note"]

    def test_unlocking_reopens_and_the_next_lock_takes_a_new_snapshot(
        self, dead, frozen, data_manager, site_a, coordinator, investigator
    ) -> None:
        cutoff_lock(cutoff=frozen, by=data_manager, reason="Interim", now=LATER)
        locked = exported(frozen, data_manager)
        later_data(site_a, coordinator, investigator, dead)

        cutoff_unlock(cutoff=frozen, by=data_manager, reason="Late responses to include")
        reopened = exported(frozen, data_manager)
        cutoff_lock(cutoff=frozen, by=data_manager, reason="Interim, corrected", now=LATER)
        relocked = exported(frozen, data_manager)

        assert reopened.provisional and not relocked.provisional
        assert relocked.checksum != locked.checksum
        # the same data as the provisional export just before (the ODM names when it was made)
        stamped = {"manifest.json": b"", "clinical_data.odm.xml": b""}
        assert file_bytes(relocked) | stamped == file_bytes(reopened) | stamped
        assert (relocked.lock_number, manifest(relocked)["lock"]) == (2, 2)

    def test_the_export_carries_only_the_chosen_formats_of_the_snapshot(
        self, dead, frozen, data_manager
    ) -> None:
        cutoff_lock(cutoff=frozen, by=data_manager, reason="Final", now=LATER)

        export = exported(frozen, data_manager, formats=["csv"])

        names = [f["name"] for f in export.files]
        assert "adtte.csv" in names and "data_dictionary.csv" in names
        assert not [n for n in names if n.endswith((".xpt", ".xml", ".parquet"))]
        assert [f["name"] for f in manifest(export)["files"]] == names[:-1]

    @pytest.mark.parametrize("reason", ["", "  "])
    def test_a_lock_needs_a_reason(self, frozen, data_manager, reason: str) -> None:
        with pytest.raises(ValidationError):
            cutoff_lock(cutoff=frozen, by=data_manager, reason=reason, now=LATER)

    def test_only_a_data_manager_locks(self, frozen, statistician) -> None:
        with pytest.raises(PermissionDenied):
            cutoff_lock(cutoff=frozen, by=statistician, reason="x", now=LATER)

    def test_a_locked_cut_off_is_not_locked_twice_nor_an_open_one_unlocked(
        self, frozen, data_manager
    ) -> None:
        with pytest.raises(StateConflict):
            cutoff_unlock(cutoff=frozen, by=data_manager, reason="x")
        cutoff_lock(cutoff=frozen, by=data_manager, reason="x", now=LATER)
        with pytest.raises(StateConflict):
            cutoff_lock(cutoff=frozen, by=data_manager, reason="again", now=LATER)


class TestLockInterfaces:
    def test_the_page_locks_and_shows_it(self, frozen, data_manager) -> None:
        client = Client()
        client.force_login(data_manager)

        response = client.post(
            f"/analysis/cutoffs/{frozen.pk}/lock/", {"reason": "Final analysis"}, follow=True
        )

        frozen.refresh_from_db()
        assert frozen.locked
        assert "locked: its exports are final" in response.content.decode()

    def test_the_page_refuses_a_lock_without_reason(self, frozen, data_manager) -> None:
        client = Client()
        client.force_login(data_manager)

        response = client.post(f"/analysis/cutoffs/{frozen.pk}/lock/", {"reason": ""}, follow=True)

        frozen.refresh_from_db()
        assert not frozen.locked
        assert "Give a reason." in response.content.decode()

    def test_the_export_page_says_provisional(self, dead, frozen, data_manager) -> None:
        export = exported(frozen, data_manager, formats=["csv"])
        client = Client()
        client.force_login(data_manager)

        page = client.get(f"/analysis/exports/{export.pk}/").content.decode()

        assert "Provisional:" in page

    def test_the_api_locks_and_unlocks_with_a_reason(self, frozen, data_manager) -> None:
        api = APIClient()
        api.force_authenticate(data_manager)
        url = f"/api/v1/analysis/cutoffs/{frozen.pk}"

        refused = api.post(f"{url}/lock/", {}, format="json")
        locked = api.post(f"{url}/lock/", {"reason": "Final"}, format="json")
        again = api.post(f"{url}/lock/", {"reason": "Final"}, format="json")
        unlocked = api.post(f"{url}/unlock/", {"reason": "Late data"}, format="json")

        assert (refused.status_code, locked.status_code, again.status_code) == (400, 200, 409)
        assert (locked.json()["lock_number"], unlocked.json()["locked_at"]) == (1, None)
