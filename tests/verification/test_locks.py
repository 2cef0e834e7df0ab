"""Locks: a record, a patient, the database at a cut-off; every write path refuses while locked,
and unlocking (with a reason) lets corrections through again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from tests.api_errors import error_text
from tests.factories import randomized_patient, user_with_role
from tests.treatment.test_builders import STARTS, record_cycle
from tests.verification.conftest import CUTOFF, NOW, correct_weight
from treatment.models import Cycle
from treatment.services import response_record
from trial.exceptions import PermissionDenied, StateConflict
from trial.models import Consent, Role
from verification.models import Lock
from verification.selectors import _facts, patient_form_matrix
from verification.services.locks import database_lock, lock_release, patient_lock, record_lock

PAGE_CORRECTION = {
    "start_date": "2026-11-03",
    "regimen": "IC",
    "height_cm": "170",
    "weight_kg": "90",
    "delay_days": "0",
    "amsacrine_planned": "120",
    "amsacrine_given": "120",
    "amsacrine_unit": "mg/m2",
    "cytarabine_planned": "6000",
    "cytarabine_given": "6000",
    "cytarabine_unit": "mg/m2",
    "dexamethasone_planned": "160",
    "dexamethasone_given": "160",
    "dexamethasone_unit": "mg",
    "reason": "Weighed again",
}


def _api_body(start: dt.date, weight: str) -> dict:
    return {
        "start_date": start.isoformat(),
        "regimen": "IC",
        "height_cm": "170",
        "weight_kg": weight,
        "reason": "Weighed again",
        "drugs": [
            {"drug": "amsacrine", "planned_dose": "120", "given_dose": "120", "unit": "mg/m2"},
            {"drug": "cytarabine", "planned_dose": "6000", "given_dose": "6000", "unit": "mg/m2"},
            {"drug": "dexamethasone", "planned_dose": "160", "given_dose": "160", "unit": "mg"},
        ],
    }


def _page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.usefixtures("lock_needs_nothing")
class TestPatientLock:
    def test_a_locked_patient_refuses_a_correction_on_the_page_and_the_api(
        self, cycles, investigator, data_manager
    ):
        cycle = cycles[0]
        patient_lock(patient=cycle.patient, by=data_manager, now=NOW, reason="Ready")
        base = f"/patients/{cycle.patient.pk}/treatment/cycles/{cycle.pk}/edit/"
        api = f"/api/v1/patients/{cycle.patient.pk}/cycles/{cycle.pk}/"

        page = _page(investigator).post(base, PAGE_CORRECTION)
        answer = _api(investigator).put(api, _api_body(STARTS[0], "90"), format="json")

        assert page.status_code == 200
        assert "is locked" in page.content.decode()
        assert answer.status_code == 409
        assert "is locked" in error_text(answer)
        assert Cycle.objects.get(pk=cycle.pk).weight_kg == 70

    def test_unlocked_with_a_reason_the_correction_is_allowed(
        self, cycles, investigator, data_manager
    ):
        cycle = cycles[0]
        lock = patient_lock(patient=cycle.patient, by=data_manager, now=NOW)

        lock_release(lock=lock, by=data_manager, now=NOW, reason="Query answered late")
        answer = _api(investigator).put(
            f"/api/v1/patients/{cycle.patient.pk}/cycles/{cycle.pk}/",
            _api_body(STARTS[0], "90"),
            format="json",
        )

        assert answer.status_code == 200, answer.json()
        assert Cycle.objects.get(pk=cycle.pk).weight_kg == 90
        reasons = list(
            lock.history.order_by("history_id").values_list("history_change_reason", flat=True)
        )
        assert reasons[0].startswith("Locked patient")
        assert reasons[-1] == "Unlocked: Query answered late"

    def test_unlocking_needs_a_reason(self, patient, data_manager):
        lock = patient_lock(patient=patient, by=data_manager, now=NOW)

        with pytest.raises(ValidationError):
            lock_release(lock=lock, by=data_manager, now=NOW, reason="  ")

        assert Lock.objects.get(pk=lock.pk).in_force

    def test_only_a_data_manager_locks(self, patient, coordinator, monitor):
        for user in (coordinator, monitor):
            with pytest.raises(PermissionDenied):
                patient_lock(patient=patient, by=user, now=NOW)


class TestLockRequirements:
    def test_the_refusal_lists_what_is_missing(self, cycles, data_manager, settings):
        settings.TRIAL_VERIFICATION = {
            **settings.TRIAL_VERIFICATION,
            "LOCK_PATIENT_REQUIRES": ["complete", "verified", "signed"],
        }

        with pytest.raises(StateConflict) as error:
            patient_lock(patient=cycles[0].patient, by=data_manager, now=NOW)

        message = error.value.message
        assert "Informed consent not verified" in message
        assert "End of treatment not started" in message
        assert "not signed by the investigator" in message
        assert not Lock.objects.exists()


class TestRecordLock:
    def test_a_locked_record_refuses_and_its_neighbour_does_not(
        self, cycles, investigator, data_manager
    ):
        first, second = cycles
        record_lock(record=first, by=data_manager, now=NOW)

        with pytest.raises(StateConflict, match="This record is locked"):
            correct_weight(first, investigator, "90")
        correct_weight(second, investigator, "91")

        assert Cycle.objects.get(pk=second.pk).weight_kg == 91


class TestDatabaseLock:
    def test_data_dated_on_or_before_the_cutoff_are_refused_after_it_allowed(
        self, cycles, investigator, data_manager
    ):
        before, after = cycles
        database_lock(cutoff_date=CUTOFF, by=data_manager, now=NOW, reason="Interim analysis")

        with pytest.raises(StateConflict, match="2026-11-30 cut-off"):
            correct_weight(before, investigator, "90")
        correct_weight(after, investigator, "91")

        assert Cycle.objects.get(pk=before.pk).weight_kg == 70
        assert Cycle.objects.get(pk=after.pk).weight_kg == 91

    def test_new_data_dated_before_the_cutoff_are_refused(self, cycles, investigator, data_manager):
        database_lock(cutoff_date=CUTOFF, by=data_manager, now=NOW)

        with pytest.raises(StateConflict):
            response_record(
                patient=cycles[0].patient,
                assessment_date=dt.date(2026, 11, 28),
                response="CR",
                marrow_blast_pct=Decimal("2"),
                by=investigator,
                now=NOW,
            )

    def test_the_coordinators_page_correction_shows_the_message_and_unlocking_allows_it(
        self, patient, coordinator, data_manager
    ):
        lock = database_lock(cutoff_date=CUTOFF, by=data_manager, now=NOW)
        url = f"/patients/{patient.pk}/consent/"
        body = {
            "consent_date": "2026-10-16",
            "form_version": "ICF v2.2",
            "obtained_by": Consent.objects.get(patient=patient).obtained_by_id,
            "reason": "Version misread",
        }

        refused = _page(coordinator).post(url, body)
        lock_release(lock=lock, by=data_manager, now=NOW, reason="Consent version query")
        allowed = _page(coordinator).post(url, body)

        assert refused.status_code == 200
        assert "The database is locked at the 2026-11-30 cut-off" in refused.content.decode()
        assert allowed.status_code == 302
        assert Consent.objects.get(patient=patient).form_version == "ICF v2.2"

    def test_a_site_data_manager_may_not_lock_the_database(self, site_a, patient):
        site_dm = user_with_role(Role.DATA_MANAGER, site_a, "dm_a")

        with pytest.raises(StateConflict):
            database_lock(cutoff_date=CUTOFF, by=site_dm, now=NOW)


@pytest.mark.usefixtures("lock_needs_nothing")
class TestLocksOfTheFormMatrix:
    def test_a_patients_forms_read_only_the_locks_that_can_cover_them(
        self, cycles, site_a, coordinator, investigator, data_manager
    ):
        """Not every lock of the trial, whose number grows with its data."""
        patient = cycles[0].patient
        other = randomized_patient(site_a, coordinator, investigator)
        record_lock(record=record_cycle(other, investigator, STARTS[0]), by=data_manager, now=NOW)
        patient_lock(patient=other, by=data_manager, now=NOW)
        mine = record_lock(record=cycles[1], by=data_manager, now=NOW)
        everyone = database_lock(cutoff_date=CUTOFF, by=data_manager, now=NOW)

        assert {lock.pk for lock in _facts(patient).locks} == {mine.pk, everyone.pk}
        rows = {row.key: row for row in patient_form_matrix(patient)}
        first, second = rows[f"cycle-{cycles[0].pk}"], rows[f"cycle-{cycles[1].pk}"]
        assert first.locked  # dated before the cut-off: the database lock
        # after it: the cycle by its own lock, not its drugs
        assert [r.locked for r in second.records] == [True] + [False] * (len(second.records) - 1)
        assert Lock.objects.filter(unlocked_at=None).count() == 4
