"""Randomisation API: status codes, idempotency, site isolation and concealment."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from randomization.models import AllocationList, Randomization
from tests.api_errors import error_fields, error_text
from tests.factories import eligible_patient, enrolled_patient
from tests.randomization.conftest import HAND_MADE_LIST, active_list

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


class TestPatientRandomizeApi:
    def test_first_request_creates_and_a_retry_returns_the_same_allocation(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator)
        url = f"/api/v1/patients/{patient.pk}/randomize/"

        first = _client(coordinator).post(url)
        retry = _client(coordinator).post(url)

        assert first.status_code == 201
        assert retry.status_code == 200
        assert retry.json() == first.json()
        assert first.json()["randomization_number"] == "P1-0001"
        assert "slot" not in first.json() and "sequence" not in first.json()
        assert Randomization.objects.count() == 1

    def test_patient_of_another_site_is_not_found(
        self, site_a, coordinator, investigator, coordinator_b, production_list
    ) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator)

        response = _client(coordinator_b).post(f"/api/v1/patients/{patient.pk}/randomize/")

        assert response.status_code == 404
        assert Randomization.objects.count() == 0

    def test_patient_not_enrolled_gives_409_with_a_message(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)

        response = _client(coordinator).post(f"/api/v1/patients/{patient.pk}/randomize/")

        assert response.status_code == 409
        assert "enrolled" in error_text(response)

    def test_empty_stratum_gives_409_without_counts_or_arms(
        self, site_a, coordinator, investigator, statistician
    ) -> None:
        active_list(statistician, slots=2, block_sizes=(2,))
        for _ in range(2):
            patient = enrolled_patient(site_a, coordinator, investigator)
            _client(coordinator).post(f"/api/v1/patients/{patient.pk}/randomize/")
        patient = enrolled_patient(site_a, coordinator, investigator)

        response = _client(coordinator).post(f"/api/v1/patients/{patient.pk}/randomize/")

        assert response.status_code == 409
        body = response.content.decode()
        assert "no allocation is available" in body
        assert not any(word in body for word in ("DEX", "CTRL", "examethasone", "slot"))


class TestConcealmentApi:
    @pytest.mark.parametrize("who", ["coordinator", "investigator", "monitor", "data_manager"])
    def test_only_statistician_and_sponsor_see_allocation_lists(
        self, request, who, production_list
    ) -> None:
        user = request.getfixturevalue(who)

        listing = _client(user).get("/api/v1/allocation-lists/")
        detail = _client(user).get(f"/api/v1/allocation-lists/{production_list.pk}/")

        assert (listing.status_code, detail.status_code) == (403, 403)

    def test_statistician_sees_lists_and_usage(self, statistician, production_list) -> None:
        listing = _client(statistician).get("/api/v1/allocation-lists/")
        detail = _client(statistician).get(f"/api/v1/allocation-lists/{production_list.pk}/")

        assert [row["code"] for row in listing.json()] == ["P1"]
        assert detail.json()["ok"] is True
        assert {s["key"] for s in detail.json()["strata"]} >= {"IC|first_relapse"}


class TestReportAndCorrectionApi:
    def test_report_counts_allocations_and_consort(
        self, site_a, coordinator, investigator, data_manager, production_list
    ) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator)
        _client(coordinator).post(f"/api/v1/patients/{patient.pk}/randomize/")
        enrolled_patient(site_a, coordinator, investigator)

        response = _client(data_manager).get("/api/v1/randomization/report/")

        (row,) = response.json()["balance"]
        assert (row["regimen"], row["site"], row["total"]) == ("IC", "PAR", 1)
        assert response.json()["consort"]["enrolled_not_randomized"] == 1
        assert _client(coordinator).get("/api/v1/randomization/report/").status_code == 403

    def test_sponsor_admin_records_a_correction(
        self, site_a, coordinator, investigator, sponsor_admin, production_list
    ) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator)
        _client(coordinator).post(f"/api/v1/patients/{patient.pk}/randomize/")
        url = f"/api/v1/patients/{patient.pk}/randomization/corrections/"
        payload = {"kind": "wrong_stratum", "reason": "AZA planned", "correct_regimen": "AZA"}

        by_admin = _client(sponsor_admin).post(url, payload, format="json")
        by_coordinator = _client(coordinator).post(url, payload, format="json")
        without_reason = _client(sponsor_admin).post(url, {"kind": "other"}, format="json")

        assert by_admin.status_code == 201
        assert by_coordinator.status_code == 403
        assert without_reason.status_code == 400
        allocation = _client(coordinator).get(f"/api/v1/patients/{patient.pk}/randomization/")
        assert allocation.json()["stratum_regimen"] == "IC"


class TestAllocationListImportApi:
    URL = "/api/v1/allocation-lists/import/"

    def _payload(self, text: str = HAND_MADE_LIST, **overrides: object) -> dict[str, object]:
        payload: dict[str, object] = {
            "file": SimpleUploadedFile("list.csv", text.encode(), content_type="text/csv"),
            "code": "EXT1",
            "purpose": "production",
            "stated_method": "Permuted blocks of 2 and 4, Stata ralloc",
            "block_sizes": [2, 4],
        }
        payload.update(overrides)
        return payload

    def test_dry_run_reports_then_the_import_is_verified_like_any_list(self, statistician) -> None:
        client = _client(statistician)

        dry_run = client.post(self.URL, self._payload(dry_run=True), format="multipart")
        written_by_dry_run = AllocationList.objects.count()
        imported = client.post(self.URL, self._payload(), format="multipart")
        detail = client.get(f"/api/v1/allocation-lists/{imported.json()['allocation_list']['id']}/")

        assert dry_run.status_code == 200
        assert (dry_run.json()["ok"], dry_run.json()["written"]) == (True, False)
        assert written_by_dry_run == 0
        assert imported.status_code == 201
        body = detail.json()
        assert body["ok"] is True
        assert body["allocation_list"]["source"] == "imported"
        assert body["allocation_list"]["imported_by"] == "stat"
        assert body["allocation_list"]["active"] is False
        assert (
            body["allocation_list"]["file_sha256"]
            == dry_run.json()["allocation_list"]["file_sha256"]
        )
        ic = next(s for s in body["strata"] if s["key"] == "IC|first_relapse")
        assert (ic["used"], ic["unused"], ic["dex"], ic["ctrl"]) == (0, 6, 3, 3)

    def test_a_malformed_list_is_a_400_with_its_rows_under_file_and_nothing_is_written(
        self, statistician
    ) -> None:
        text = HAND_MADE_LIST.replace("AZA,refractory,2,1,2,CTRL", "AZA,refractory,3,1,2,CTRL")

        response = _client(statistician).post(self.URL, self._payload(text), format="multipart")

        assert response.status_code == 400
        assert error_fields(response)["file"] == [
            "row 13: stratum AZA|refractory: position(s) 2 missing before position 3; "
            "positions run 1, 2, 3, … without gaps"
        ]
        assert AllocationList.objects.count() == 0

    def test_missing_parameters_are_400_with_field_errors(self, statistician) -> None:
        payload = self._payload()
        del payload["stated_method"], payload["file"]

        response = _client(statistician).post(self.URL, payload, format="multipart")

        assert response.status_code == 400
        assert {"stated_method", "file"} <= set(error_fields(response))

    @pytest.mark.parametrize("who", ["coordinator", "data_manager"])
    def test_other_roles_are_refused(self, request, who) -> None:
        user = request.getfixturevalue(who)

        response = _client(user).post(self.URL, self._payload(), format="multipart")

        assert response.status_code == 403
        assert AllocationList.objects.count() == 0
