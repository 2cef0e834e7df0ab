"""The API's edges: one error shape, bounded inputs, 503 when the database cannot be reached."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.test import Client
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from tests.api_errors import error_fields
from tests.factories import eligible_patient, randomized_patient, screened_patient
from trial.api_inputs import BIGINT_MAX, BoundedLimitOffsetPagination
from trial.audit import REASON_MAX_LENGTH, record_save
from trial.models import Patient, User

API = "/api/v1"
LONG_REASON = "x" * (REASON_MAX_LENGTH + 1)


def _client(user: User, **options: Any) -> APIClient:
    client = APIClient(**options)
    client.force_authenticate(user)
    return client


def _shape(response: Any) -> tuple[str, list[str | None]]:
    body = response.json()
    assert set(body) == {"type", "errors"}
    assert all(set(e) == {"code", "detail", "attr"} for e in body["errors"])
    return body["type"], [e["attr"] for e in body["errors"]]


class TestErrorShape:
    def test_field_errors_name_their_field(self, coordinator, site_a, protocol) -> None:
        response = _client(coordinator).post(f"{API}/patients/", {"site": site_a.pk}, format="json")

        assert response.status_code == 400
        kind, attrs = _shape(response)
        assert kind == "validation_error"
        assert {"screening_date", "sex", "age_at_screening"} <= set(attrs)

    def test_a_conflict_a_refusal_and_a_missing_record_have_the_same_shape(
        self, site_a, coordinator, investigator, monitor
    ) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)
        _client(coordinator).post(f"{API}/patients/{patient.pk}/enrol/")

        conflict = _client(coordinator).post(f"{API}/patients/{patient.pk}/enrol/")
        refused = _client(monitor).post(f"{API}/patients/{patient.pk}/enrol/")
        missing = _client(coordinator).get(f"{API}/patients/{patient.pk + 1000}/")

        assert [r.status_code for r in (conflict, refused, missing)] == [409, 403, 404]
        assert [_shape(r) for r in (conflict, refused, missing)] == [("client_error", [None])] * 3
        assert [r.json()["errors"][0]["code"] for r in (conflict, refused, missing)] == [
            "conflict",
            "permission_denied",
            "not_found",
        ]

    def test_an_unknown_api_url_is_a_json_404_and_a_page_an_html_one(self, coordinator) -> None:
        client = Client()
        client.force_login(coordinator)

        api = client.get(f"{API}/patients/not-a-number/")
        page = client.get("/no-such-page/")

        assert api.status_code == 404 and _shape(api) == ("client_error", [None])
        assert page.status_code == 404 and page["Content-Type"].startswith("text/html")

    def test_every_operation_documents_the_error_shape(self, coordinator) -> None:
        client = _client(coordinator)
        schema = yaml.safe_load(client.get("/api/schema/").content)
        undocumented = []
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                codes = set(operation["responses"])
                expected = {"503", "405"} | ({"409", "400"} if method != "get" else set())
                if "{" in path:
                    expected.add("404")
                if not expected <= codes:
                    undocumented.append((method, path, sorted(expected - codes)))
                for code in {c for c in codes if not c.startswith("2")}:
                    ref = operation["responses"][code]["content"]["application/json"]["schema"]
                    assert ref == {"$ref": "#/components/schemas/ErrorResponse"}, (path, code)

        assert undocumented == []


class TestReasonLength:
    """The history's change-reason column holds 100 characters: longer is a field error."""

    def test_record_save_refuses_a_reason_longer_than_its_column(self, site_a, coordinator):
        patient = screened_patient(site_a, coordinator)
        patient.age_at_screening = 66

        with pytest.raises(ValidationError) as refused:
            record_save(instance=patient, by=coordinator, reason=LONG_REASON)

        assert "reason" in refused.value.message_dict

    def test_every_history_table_stores_that_many_characters(self) -> None:
        from django.apps import apps

        lengths = [
            field.max_length
            for model in apps.get_models()
            for field in model._meta.fields
            if field.name == "history_change_reason"
        ]

        assert len(lengths) > 20
        assert set(lengths) == {REASON_MAX_LENGTH}

    @pytest.mark.parametrize(
        ("method", "tail", "body"),
        [
            ("patch", "", {"sex": "M"}),
            ("put", "consent/", {"consent_date": "2026-01-10", "form_version": "ICF v3"}),
            ("post", "consent/entered-in-error/", {}),
        ],
    )
    def test_the_api_answers_400_on_reason(
        self, site_a, coordinator, investigator, method, tail, body
    ) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)

        response = getattr(_client(coordinator), method)(
            f"{API}/patients/{patient.pk}/{tail}", {**body, "reason": LONG_REASON}, format="json"
        )

        assert response.status_code == 400
        assert "reason" in error_fields(response)

    def test_a_prefixed_reason_leaves_room_for_its_prefix(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)
        fits = "y" * (REASON_MAX_LENGTH - len("Entered in error: "))

        too_long = _client(coordinator).post(
            f"{API}/patients/{patient.pk}/consent/entered-in-error/",
            {"reason": fits + "y"},
            format="json",
        )
        accepted = _client(coordinator).post(
            f"{API}/patients/{patient.pk}/consent/entered-in-error/",
            {"reason": fits},
            format="json",
        )

        assert too_long.status_code == 400 and "reason" in error_fields(too_long)
        assert accepted.status_code == 200

    def test_a_page_shows_a_field_error(self, site_a, coordinator, investigator, client) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)
        client.force_login(coordinator)
        data = {
            "consent_date": "2026-01-10",
            "form_version": "ICF v3",
            "obtained_by": investigator.pk,
            "reason": LONG_REASON,
        }

        response = client.post(f"/patients/{patient.pk}/consent/", data)

        assert response.status_code == 200
        assert "reason" in response.context["form"].errors
        assert patient.consent.history.count() == 1


class TestPagination:
    def _limit_offset(self, query: str) -> tuple[int | None, int]:
        paginator = BoundedLimitOffsetPagination()
        request = Request(APIRequestFactory().get(f"/{query}"))
        return paginator.get_limit(request), paginator.get_offset(request)

    def test_a_large_limit_is_capped(self) -> None:
        assert self._limit_offset("?limit=100000") == (200, 0)

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            (f"?offset={BIGINT_MAX + 1}", "offset"),
            ("?offset=99999999999999999999999", "offset"),
            ("?limit=99999999999999999999999", "limit"),
            ("?limit=0", "limit"),
            ("?offset=-1", "offset"),
            ("?limit=abc", "limit"),
        ],
    )
    def test_a_value_out_of_range_is_a_400_naming_the_parameter(
        self, coordinator, query, field
    ) -> None:
        response = _client(coordinator).get(f"{API}/patients/{query}")

        assert response.status_code == 400
        assert field in error_fields(response)

    def test_the_largest_offset_is_an_empty_page(self, coordinator) -> None:
        response = _client(coordinator).get(f"{API}/patients/?offset={BIGINT_MAX}")

        assert response.status_code == 200
        assert response.json()["results"] == []


class TestDateTimes:
    @pytest.fixture
    def patient(self, site_a, coordinator, investigator) -> Patient:
        return randomized_patient(site_a, coordinator, investigator)

    def _event(self, investigator: User, patient: Patient, awareness_at: str) -> Any:
        from treatment.models import CtcaeTerm

        body = {
            "term": CtcaeTerm.objects.get(term="Sepsis").pk,
            "grade": 2,
            "start_date": "2026-11-10",
            "relation_dexamethasone": "possible",
            "relation_salvage": "possible",
            "serious": True,
            "awareness_at": awareness_at,
        }
        return _client(investigator).post(
            f"{API}/patients/{patient.pk}/adverse-events/", body, format="json"
        )

    @pytest.mark.parametrize(
        "value", ["0001-01-01T00:00:00", "2026-11-10T08:00:00", "0001-01-01T00:00:00+05:00"]
    )
    def test_a_naive_or_out_of_range_date_time_is_a_400(self, patient, investigator, value) -> None:
        response = self._event(investigator, patient, value)

        assert response.status_code == 400
        assert "awareness_at" in error_fields(response)

    def test_a_date_time_with_its_offset_is_taken(self, patient, investigator) -> None:
        response = self._event(investigator, patient, "2026-11-10T08:00:00+01:00")

        assert response.status_code == 201, response.json()
        assert response.json()["awareness_at"].startswith("2026-11-10T08:00:00+01:00")


class TestRequestBodies:
    def test_json_nested_ten_thousand_deep_is_a_400(self, coordinator) -> None:
        body = "[" * 10_000 + "]" * 10_000

        response = _client(coordinator).post(
            f"{API}/patients/", body, content_type="application/json"
        )

        assert response.status_code == 400
        assert response.json()["errors"][0]["code"] == "parse_error"

    def test_brackets_inside_strings_do_not_count(self, coordinator, site_a) -> None:
        body = json.dumps({"site": site_a.pk, "sex": "[" * 100})

        response = _client(coordinator).post(
            f"{API}/patients/", body, content_type="application/json"
        )

        assert response.status_code == 400
        assert "sex" in error_fields(response)

    def test_a_body_over_the_limit_is_a_413(self, coordinator, settings) -> None:
        settings.API_MAX_BODY_BYTES = 1000
        body = json.dumps({"sex": "M" * 2000})

        response = _client(coordinator).post(
            f"{API}/patients/", body, content_type="application/json"
        )

        assert response.status_code == 413
        assert response.json()["errors"][0]["code"] == "request_too_large"

    def test_a_user_name_with_a_nul_character_is_not_found(
        self, site_a, coordinator, investigator
    ) -> None:
        """PostgreSQL cannot compare a text with NUL: the name is refused before any query."""
        patient = eligible_patient(site_a, coordinator, investigator)

        response = _client(coordinator).patch(
            f"{API}/patients/{patient.pk}/consent/",
            "obtained_by=S%00x&reason=Typo",
            content_type="application/x-www-form-urlencoded",
        )

        assert response.status_code == 400
        assert list(error_fields(response)) == ["obtained_by"]


class TestDatabaseUnavailable:
    def test_the_api_answers_503_json_with_retry_after(self, coordinator) -> None:
        with mock.patch.object(Patient.objects, "for_user", side_effect=OperationalError("down")):
            response = _client(coordinator, raise_request_exception=False).get(f"{API}/patients/")

        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assert _shape(response) == ("server_error", [None])

    def test_outside_a_view_the_api_still_answers_json(self, coordinator) -> None:
        client = Client(raise_request_exception=False)
        client.force_login(coordinator)

        with mock.patch(
            "django.contrib.sessions.backends.db.SessionStore.save",
            side_effect=OperationalError("down"),
        ):
            response = client.get(f"{API}/me/")

        assert response.status_code == 503
        assert response["Content-Type"] == "application/json"
        assert response.json()["errors"][0]["code"] == "service_unavailable"

    def test_a_page_is_a_friendly_503(self, coordinator) -> None:
        client = Client(raise_request_exception=False)
        client.force_login(coordinator)

        with mock.patch.object(Patient.objects, "for_user", side_effect=OperationalError("down")):
            response = client.get("/patients/")

        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assert "Temporarily unavailable" in response.content.decode()

    def test_any_other_failure_under_the_api_is_json_not_html(self, coordinator) -> None:
        client = Client(raise_request_exception=False)
        client.force_login(coordinator)

        with mock.patch(
            "django.contrib.sessions.backends.db.SessionStore.save",
            side_effect=RuntimeError("bug"),
        ):
            response = client.get(f"{API}/me/")

        assert response.status_code == 500
        assert response.json()["type"] == "server_error"


class TestScreenFailureDetail:
    """`detail` read like the error body's; the field is `reason_detail`, the old name kept."""

    def _fail(self, user: User, patient: Patient, **body: str) -> Any:
        url = f"{API}/patients/{patient.pk}/screen-failure/"
        return _client(user).post(url, {"reason": "other", **body}, format="json")

    def test_reason_detail_is_recorded_and_its_absence_is_a_field_error(
        self, site_a, coordinator
    ) -> None:
        missing = self._fail(coordinator, screened_patient(site_a, coordinator))
        patient = screened_patient(site_a, coordinator)

        done = self._fail(coordinator, patient, reason_detail="Moved abroad")

        assert missing.status_code == 400 and "reason_detail" in error_fields(missing)
        assert done.status_code == 200
        assert done.json()["screen_failure_detail"] == "Moved abroad"

    def test_the_deprecated_name_is_still_accepted_but_not_both(self, site_a, coordinator) -> None:
        patient = screened_patient(site_a, coordinator)

        both = self._fail(coordinator, patient, detail="a", reason_detail="b")
        legacy = self._fail(coordinator, patient, detail="Moved abroad")

        assert both.status_code == 400 and "detail" in error_fields(both)
        assert legacy.status_code == 200
        assert legacy.json()["screen_failure_detail"] == "Moved abroad"

    def test_the_patient_output_says_blank_and_null_where_it_returns_them(
        self, site_a, coordinator
    ) -> None:
        patient = screened_patient(site_a, coordinator)

        body = _client(coordinator).get(f"{API}/patients/{patient.pk}/").json()
        schema = yaml.safe_load(_client(coordinator).get("/api/schema/").content)
        fields = schema["components"]["schemas"]["Patient"]["properties"]

        assert (body["screen_failure_reason"], body["enrolled_by"]) == ("", None)
        assert {"$ref": "#/components/schemas/BlankEnum"} in fields["screen_failure_reason"][
            "oneOf"
        ]
        assert fields["enrolled_by"]["nullable"] and fields["eligibility_confirmed_by"]["nullable"]
