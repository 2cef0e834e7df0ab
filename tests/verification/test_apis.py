"""The verification API: the form status matrix, SDV marks, locks and their release, with each
refusal (403 role, 404 other site, 400 fields, 409 lock requirements) in the one error shape."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.api_errors import error_fields, error_text
from tests.factories import randomized_patient
from treatment.models import Cycle
from trial.models import Patient, User
from verification.models import Lock, LockScope, SdvMark

API = "/api/v1"


def _client(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _record(patient: Patient, cycle: Cycle, tail: str) -> str:
    return f"{API}/patients/{patient.pk}/records/cycle/{cycle.pk}/{tail}"


@pytest.fixture
def other_patient(site_b, coordinator_b, investigator_b) -> Patient:
    return randomized_patient(site_b, coordinator_b, investigator_b)


class TestPatientFormsApi:
    def test_the_matrix_lists_every_form_with_its_status(self, patient, cycles, monitor) -> None:
        response = _client(monitor).get(f"{API}/patients/{patient.pk}/forms/")

        assert response.status_code == 200
        rows = {row["key"]: row for row in response.json()}
        assert rows["baseline"]["status"] == "complete"
        cycle = rows[f"cycle-{cycles[0].pk}"]
        assert cycle["records"][0]["record_type"] == "cycle"
        assert cycle["records"][0]["record_id"] == cycles[0].pk

    def test_another_sites_patient_is_not_found(self, monitor, other_patient) -> None:
        response = _client(monitor).get(f"{API}/patients/{other_patient.pk}/forms/")

        assert response.status_code == 404


class TestRecordVerifyApi:
    def test_a_monitor_verifies_named_fields_then_the_record(
        self, patient, cycles, monitor
    ) -> None:
        client = _client(monitor)
        url = _record(patient, cycles[0], "verify/")

        fields = client.post(url, {"fields": ["weight_kg", "height_cm"]}, format="json")
        whole = client.post(url, {}, format="json")

        assert fields.status_code == 201
        assert sorted(m["field"] for m in fields.json()) == ["height_cm", "weight_kg"]
        assert whole.status_code == 201
        assert sorted(m["field"] for m in whole.json()) == ["", "height_cm", "weight_kg"]
        assert SdvMark.objects.filter(object_id=cycles[0].pk, unverified_at=None).count() == 3

    def test_a_field_the_record_lacks_is_a_field_error(self, patient, cycles, monitor) -> None:
        response = _client(monitor).post(
            _record(patient, cycles[0], "verify/"), {"fields": ["colour"]}, format="json"
        )

        assert response.status_code == 400
        assert "colour" in error_fields(response)["fields"][0]
        assert not SdvMark.objects.exists()

    def test_a_coordinator_may_not_verify(self, patient, cycles, coordinator) -> None:
        response = _client(coordinator).post(_record(patient, cycles[0], "verify/"), {})

        assert response.status_code == 403
        assert not SdvMark.objects.exists()

    def test_a_repeat_with_the_same_key_verifies_once(self, patient, cycles, monitor) -> None:
        client = _client(monitor)
        url = _record(patient, cycles[0], "verify/")

        first = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
        again = client.post(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

        assert first.status_code == again.status_code == 201
        assert again["Idempotent-Replayed"] == "true"
        assert SdvMark.objects.count() == 1


class TestLockApis:
    def test_a_record_lock_is_listed_in_force_then_released_with_a_reason(
        self, patient, cycles, data_manager
    ) -> None:
        client = _client(data_manager)

        created = client.post(_record(patient, cycles[0], "lock/"), {"reason": "Reviewed"})
        listed = client.get(f"{API}/locks/")
        lock_id = created.json()["id"]
        no_reason = client.post(f"{API}/locks/{lock_id}/release/", {})
        released = client.post(f"{API}/locks/{lock_id}/release/", {"reason": "Query answered"})
        after = client.get(f"{API}/locks/")

        assert created.status_code == 201
        assert created.json()["scope"] == LockScope.RECORD
        assert [lock["id"] for lock in listed.json()] == [lock_id]
        assert no_reason.status_code == 400 and "reason" in error_fields(no_reason)
        assert released.status_code == 200
        assert released.json()["in_force"] is False
        assert released.json()["unlock_reason"] == "Query answered"
        assert after.json() == []

    def test_a_patient_lock_is_refused_listing_what_is_missing(
        self, patient, cycles, data_manager
    ) -> None:
        response = _client(data_manager).post(f"{API}/patients/{patient.pk}/lock/", {})

        assert response.status_code == 409
        text = error_text(response)
        assert "cannot be locked yet" in text
        assert "not verified" in text and "not signed by the investigator" in text
        assert not Lock.objects.exists()

    def test_a_patient_lock_is_made_when_nothing_is_required(
        self, patient, data_manager, lock_needs_nothing
    ) -> None:
        response = _client(data_manager).post(f"{API}/patients/{patient.pk}/lock/", {})

        assert response.status_code == 201
        assert Lock.objects.get().patient == patient

    def test_another_sites_patient_and_lock_are_not_found(
        self, site_a, other_patient, data_manager, monitor, lock_needs_nothing
    ) -> None:
        from tests.factories import user_with_role
        from trial.models import Role

        local_manager = user_with_role(Role.DATA_MANAGER, site_a, "dm_a")
        lock = _client(data_manager).post(f"{API}/patients/{other_patient.pk}/lock/", {}).json()

        lock_refused = _client(local_manager).post(f"{API}/patients/{other_patient.pk}/lock/", {})
        release_refused = _client(local_manager).post(
            f"{API}/locks/{lock['id']}/release/", {"reason": "Mine"}
        )
        listed = _client(local_manager).get(f"{API}/locks/")

        assert lock_refused.status_code == 404
        assert release_refused.status_code == 404
        assert listed.json() == []

    def test_the_database_lock_needs_its_cutoff_and_a_trial_wide_data_manager(
        self, data_manager, monitor, db
    ) -> None:
        url = f"{API}/locks/database/"

        missing = _client(data_manager).post(url, {}, format="json")
        wrong_role = _client(monitor).post(url, {"cutoff_date": "2026-11-30"}, format="json")
        made = _client(data_manager).post(url, {"cutoff_date": "2026-11-30"}, format="json")
        twice = _client(data_manager).post(url, {"cutoff_date": "2026-12-31"}, format="json")

        assert missing.status_code == 400 and "cutoff_date" in error_fields(missing)
        assert wrong_role.status_code == 403
        assert made.status_code == 201 and made.json()["cutoff_date"] == "2026-11-30"
        assert twice.status_code == 409
        assert Lock.objects.filter(scope=LockScope.DATABASE).count() == 1
