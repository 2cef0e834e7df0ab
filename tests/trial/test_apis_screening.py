"""The screening API from screening to enrolment, and each refusal with its status and message."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.api_errors import error_fields, error_text
from tests.factories import ALL_MET, baseline_data, eligible_patient, screened_patient
from trial.models import Patient, ProtocolVersion, Site, User

API = "/api/v1"


def _json(data: dict[str, Any]) -> dict[str, Any]:
    """Dates and decimals as the API takes them."""
    return {
        k: v.isoformat() if isinstance(v, dt.date) else str(v) if isinstance(v, Decimal) else v
        for k, v in data.items()
    }


def _client(user: User | None = None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def _url(patient: Patient, tail: str = "") -> str:
    return f"{API}/patients/{patient.pk}/{tail}"


class TestScreeningToEnrolment:
    def test_a_patient_goes_from_screening_to_enrolment_through_the_api(
        self, site_a: Site, coordinator: User, investigator: User, protocol: ProtocolVersion
    ) -> None:
        as_coordinator, as_investigator = _client(coordinator), _client(investigator)

        screened = as_coordinator.post(
            f"{API}/patients/",
            {"site": site_a.pk, "screening_date": "2026-10-15", "sex": "F", "age_at_screening": 64},
            format="json",
        )
        patient_url = f"{API}/patients/{screened.json()['id']}/"
        consent = as_coordinator.put(
            f"{patient_url}consent/",
            {
                "consent_date": "2026-10-16",
                "form_version": "ICF v2.1",
                "obtained_by": investigator.username,
            },
            format="json",
        )
        baseline = as_coordinator.put(
            f"{patient_url}baseline/",
            {**_json(baseline_data()), "mutations": {"NPM1": "mutated", "TP53": "not_mutated"}},
            format="json",
        )
        eligibility = as_coordinator.put(
            f"{patient_url}eligibility/", {"answers": ALL_MET}, format="json"
        )
        confirmed = as_investigator.post(f"{patient_url}eligibility/confirm/")
        enrolled = as_coordinator.post(f"{patient_url}enrol/")

        assert screened.status_code == 201, screened.json()
        assert screened.json()["screening_number"] == "S-PAR-0001"
        assert screened.json()["protocol_version"] == "1.0"
        assert consent.status_code == 200, consent.json()
        assert consent.json()["obtained_by"] == investigator.username
        assert baseline.status_code == 200, baseline.json()
        assert {m["gene"]: m["result"] for m in baseline.json()["mutations"]} == {
            "NPM1": "mutated",
            "TP53": "not_mutated",
        }
        assert eligibility.status_code == 200, eligibility.json()
        assert eligibility.json()["eligibility_problems"] == []
        assert all(c["met"] for c in eligibility.json()["criteria"])
        assert confirmed.status_code == 200, confirmed.json()
        assert confirmed.json()["eligibility_confirmed_by"] == investigator.username
        assert enrolled.status_code == 200, enrolled.json()
        assert enrolled.json()["status"] == "enrolled"
        assert enrolled.json()["subject_id"] == "PAR-001"
        assert enrolled.json()["enrolled_by"] == coordinator.username

    def test_each_read_returns_what_was_recorded(
        self, site_a: Site, coordinator: User, investigator: User
    ) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)
        client = _client(coordinator)

        detail = client.get(_url(patient)).json()
        consent = client.get(_url(patient, "consent/")).json()
        baseline = client.get(_url(patient, "baseline/")).json()
        eligibility = client.get(_url(patient, "eligibility/")).json()

        assert detail["screening_number"] == patient.screening_number
        assert consent["form_version"] == "ICF v2.1"
        assert baseline["planned_regimen"] == "IC"
        assert baseline["wbc"] == "4.20"
        assert [c["code"] for c in eligibility["criteria"]] == ["I1", "I2", "I3", "I4", "E1", "E2"]
        assert eligibility["eligibility_confirmed_by"] == investigator.username

    def test_a_screen_failure_closes_screening(
        self, site_a: Site, coordinator: User, protocol: ProtocolVersion
    ) -> None:
        patient = screened_patient(site_a, coordinator)
        client = _client(coordinator)

        failed = client.post(
            _url(patient, "screen-failure/"), {"reason": "consent_refused"}, format="json"
        )
        enrol = client.post(_url(patient, "enrol/"))

        assert failed.status_code == 200
        assert failed.json()["status"] == "screen_failed"
        assert enrol.status_code == 409
        assert "screen failure" in error_text(enrol)

    def test_a_screen_failed_patient_takes_no_consent_or_baseline(
        self, site_a: Site, coordinator: User, investigator: User, protocol: ProtocolVersion
    ) -> None:
        patient = screened_patient(site_a, coordinator)
        client = _client(coordinator)
        client.post(_url(patient, "screen-failure/"), {"reason": "consent_refused"}, format="json")

        consent = client.put(
            _url(patient, "consent/"),
            {
                "consent_date": "2026-10-16",
                "form_version": "ICF v2.1",
                "obtained_by": investigator.username,
            },
            format="json",
        )
        baseline = client.put(
            _url(patient, "baseline/"), {**_json(baseline_data()), "mutations": {}}, format="json"
        )

        assert (consent.status_code, baseline.status_code) == (409, 409)
        assert "closed as a screen failure" in error_text(consent)
        assert "closed as a screen failure" in error_text(baseline)

    def test_the_site_and_status_filters_and_the_search_narrow_the_list(
        self, site_a: Site, coordinator: User, investigator: User
    ) -> None:
        enrolled = eligible_patient(site_a, coordinator, investigator)
        _client(coordinator).post(_url(enrolled, "enrol/"))
        screening = screened_patient(site_a, coordinator)
        client = _client(coordinator)

        by_status = client.get(f"{API}/patients/", {"status": "screening"}).json()
        by_site = client.get(f"{API}/patients/", {"site": site_a.pk}).json()
        by_subject = client.get(f"{API}/patients/", {"search": "PAR-001"}).json()

        assert [p["id"] for p in by_status["results"]] == [screening.pk]
        assert by_site["count"] == 2
        assert [p["id"] for p in by_subject["results"]] == [enrolled.pk]

    def test_the_list_reads_a_fixed_number_of_queries_whatever_its_length(
        self,
        site_a: Site,
        coordinator: User,
        investigator: User,
        django_assert_max_num_queries: Any,
    ) -> None:
        for _ in range(5):
            eligible_patient(site_a, coordinator, investigator)
        client = _client(coordinator)

        # (memberships of the user,) count, one page joining sites, versions and users, and
        # the open data queries of the page's patients
        with django_assert_max_num_queries(4):
            response = client.get(f"{API}/patients/")

        assert response.json()["count"] == 5


class TestRefusals:
    def test_a_screening_date_in_the_future_is_a_400_on_that_field(
        self, site_a: Site, coordinator: User, protocol: ProtocolVersion
    ) -> None:
        tomorrow = timezone.localdate() + dt.timedelta(days=1)

        response = _client(coordinator).post(
            f"{API}/patients/",
            {"site": site_a.pk, "screening_date": tomorrow, "sex": "M", "age_at_screening": 50},
            format="json",
        )

        assert response.status_code == 400
        assert "is in the future" in error_fields(response)["screening_date"][0]

    def test_a_baseline_correction_without_a_reason_is_a_400_on_reason(
        self, site_a: Site, coordinator: User, investigator: User
    ) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)

        response = _client(coordinator).put(
            _url(patient, "baseline/"), _json(baseline_data(ecog=2)), format="json"
        )

        assert response.status_code == 400
        assert error_fields(response)["reason"] == ["Give a reason for changing a recorded value."]

    def test_a_monitor_cannot_screen(
        self, site_a: Site, monitor: User, protocol: ProtocolVersion
    ) -> None:
        response = _client(monitor).post(
            f"{API}/patients/",
            {"site": site_a.pk, "screening_date": "2026-10-15", "sex": "F", "age_at_screening": 64},
            format="json",
        )

        assert response.status_code == 403
        assert error_text(response).startswith("Your role does not allow you to screen")

    def test_a_coordinator_cannot_confirm_eligibility(
        self, site_a: Site, coordinator: User, protocol: ProtocolVersion
    ) -> None:
        patient = screened_patient(site_a, coordinator)

        response = _client(coordinator).post(_url(patient, "eligibility/confirm/"))

        assert response.status_code == 403
        assert "confirm eligibility" in error_text(response)

    def test_a_data_manager_cannot_enrol(
        self, site_a: Site, coordinator: User, investigator: User, data_manager: User
    ) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)

        response = _client(data_manager).post(_url(patient, "enrol/"))

        assert response.status_code == 403
        patient.refresh_from_db()
        assert patient.subject_id is None

    def test_enrolling_twice_is_a_409(
        self, site_a: Site, coordinator: User, investigator: User
    ) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)
        client = _client(coordinator)
        client.post(_url(patient, "enrol/"))

        response = client.post(_url(patient, "enrol/"))

        assert response.status_code == 409
        assert error_text(response) == (
            "Patient PAR-001 is enrolled; this step belongs to screening."
        )

    def test_confirming_an_incomplete_patient_lists_every_problem(
        self, site_a: Site, coordinator: User, investigator: User, protocol: ProtocolVersion
    ) -> None:
        patient = screened_patient(site_a, coordinator)

        response = _client(investigator).post(_url(patient, "eligibility/confirm/"))

        assert response.status_code == 400
        problems = error_fields(response)["non_field_errors"]
        assert "Informed consent is not recorded." in problems
        assert "Criterion I1 is not answered." in problems

    def test_an_unknown_criterion_code_is_a_400_on_answers(
        self, site_a: Site, coordinator: User, protocol: ProtocolVersion
    ) -> None:
        patient = screened_patient(site_a, coordinator)

        response = _client(coordinator).put(
            _url(patient, "eligibility/"), {"answers": {"X9": True}}, format="json"
        )

        assert response.status_code == 400
        assert "X9" in error_fields(response)["answers"][0]

    def test_a_missing_consent_is_a_404(
        self, site_a: Site, coordinator: User, protocol: ProtocolVersion
    ) -> None:
        patient = screened_patient(site_a, coordinator)

        response = _client(coordinator).get(_url(patient, "consent/"))

        assert response.status_code == 404

    def test_nothing_can_be_deleted(
        self, site_a: Site, coordinator: User, investigator: User
    ) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)
        client = _client(coordinator)

        statuses = {client.delete(_url(patient, tail)).status_code for tail in ("", "consent/")}

        assert statuses == {405}


class TestAuthentication:
    def test_a_token_from_username_and_password_authenticates(self, coordinator: User) -> None:
        client = APIClient()

        token = client.post(
            f"{API}/auth/token/",
            {"username": coordinator.username, "password": "pass-word-123"},
            format="json",
        )
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
        me = client.get(f"{API}/me/")

        assert token.status_code == 200
        assert me.status_code == 200
        assert me.json()["username"] == coordinator.username
        assert me.json()["roles"] == ["Site coordinator"]
        assert me.json()["sites"] == ["PAR"]

    def test_a_wrong_password_gets_no_token(self, coordinator: User) -> None:
        response = APIClient().post(
            f"{API}/auth/token/",
            {"username": coordinator.username, "password": "wrong"},
            format="json",
        )

        assert response.status_code == 400

    @pytest.mark.parametrize("path", ["/patients/", "/me/", "/sites/", "/protocol-versions/"])
    def test_an_anonymous_request_is_refused(self, db: None, path: str) -> None:
        response = APIClient().get(f"{API}{path}")

        assert response.status_code in {401, 403}
        assert error_text(response) == "Authentication credentials were not provided."


class TestHistory:
    def test_a_correction_shows_who_old_new_and_reason(
        self, site_a: Site, coordinator: User, protocol: ProtocolVersion
    ) -> None:
        patient = screened_patient(site_a, coordinator)
        client = _client(coordinator)

        corrected = client.patch(
            _url(patient),
            {"age_at_screening": 65, "reason": "Transcription error"},
            format="json",
        )
        history = client.get(_url(patient, "history/")).json()

        assert corrected.status_code == 200, corrected.json()
        latest = history[0]
        assert latest["who"] == coordinator.username
        assert latest["kind"] == "changed"
        assert latest["reason"] == "Transcription error"
        assert latest["changes"] == [
            {
                "field": "age_at_screening",
                "label": "age at screening",
                "old": "64",
                "new": "65",
            }
        ]
        assert history[-1]["kind"] == "created"

    def test_a_patient_correction_without_reason_is_a_400(
        self, site_a: Site, coordinator: User, protocol: ProtocolVersion
    ) -> None:
        patient = screened_patient(site_a, coordinator)

        response = _client(coordinator).patch(_url(patient), {"sex": "M"}, format="json")

        assert response.status_code == 400
        assert "reason" in error_fields(response)

    def test_the_baseline_history_includes_its_mutations(
        self, site_a: Site, coordinator: User, investigator: User
    ) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)
        client = _client(coordinator)
        client.put(
            _url(patient, "baseline/"),
            {**_json(baseline_data(ecog=2)), "reason": "Source document checked"},
            format="json",
        )

        history = client.get(_url(patient, "baseline/history/")).json()

        assert history[0]["record"] == "Baseline"
        assert history[0]["reason"] == "Source document checked"
        assert {"field": "ecog", "label": "ECOG performance status", "old": "1", "new": "2"} in (
            history[0]["changes"]
        )
        assert {e["record"] for e in history} >= {"Baseline", "Mutation NPM1", "Mutation FLT3-ITD"}

    def test_the_eligibility_history_merges_every_answer_newest_first(
        self, site_a: Site, coordinator: User, investigator: User
    ) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)
        client = _client(coordinator)
        client.put(
            _url(patient, "eligibility/"),
            {"answers": {"E2": True}, "reason": "Steroid allergy found in notes"},
            format="json",
        )

        history = client.get(_url(patient, "eligibility/history/")).json()
        detail = client.get(_url(patient)).json()

        assert len(history) == 7
        assert history[0]["record"] == "Criterion E2"
        assert history[0]["reason"] == "Steroid allergy found in notes"
        assert detail["eligibility_confirmed_by"] is None  # to be confirmed again

    def test_a_consent_marked_entered_in_error_stays_with_the_reason_in_its_history(
        self, site_a: Site, coordinator: User, investigator: User
    ) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)
        client = _client(coordinator)

        marked = client.post(
            _url(patient, "consent/entered-in-error/"), {"reason": "Wrong patient"}, format="json"
        )
        again = client.post(
            _url(patient, "consent/entered-in-error/"), {"reason": "Wrong patient"}, format="json"
        )
        history = client.get(_url(patient, "consent/history/")).json()

        assert marked.status_code == 200
        assert marked.json()["entered_in_error"] is True
        assert again.status_code == 409
        assert history[0]["reason"] == "Entered in error: Wrong patient"
        assert history[0]["record"] == "Consent"

    def test_entered_in_error_needs_a_reason(
        self, site_a: Site, coordinator: User, investigator: User
    ) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)

        response = _client(coordinator).post(_url(patient, "baseline/entered-in-error/"))

        assert response.status_code == 400
        assert "reason" in error_fields(response)
