"""API of data queries: list, read, raise, answer, close, re-open and history, with the role
and site boundaries; and the open queries shown with each record of the clinical APIs."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from cleaning.models import DataQuery
from trial.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("genes_recorded_by_the_factories")]

API = "/api/v1"


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _raise(client: APIClient, visit, **data):
    body = {"field": "contact_date", "category": "inconsistent", "text": "Which day?", **data}
    url = f"{API}/patients/{visit.patient_id}/records/visit/{visit.pk}/queries/"
    return client.post(url, body, format="json")


class TestTheQueryLifecycle:
    def test_raise_answer_close_and_reopen(self, recent_visit, monitor, coordinator) -> None:
        raised = _raise(_api(monitor), recent_visit)
        query_id = raised.json()["id"]
        answered = _api(coordinator).post(
            f"{API}/queries/{query_id}/answer/", {"text": "It was the day before."}, format="json"
        )
        closed = _api(monitor).post(f"{API}/queries/{query_id}/close/", {}, format="json")
        reopened = _api(monitor).post(
            f"{API}/queries/{query_id}/reopen/", {"text": "Source differs."}, format="json"
        )

        assert raised.status_code == 201 and raised.json()["state"] == "open"
        assert answered.json()["state"] == "answered"
        assert closed.json()["state"] == "closed"
        body = reopened.json()
        assert body["state"] == "open"
        assert [m["kind"] for m in body["messages"]] == ["raised", "answer", "reopen"]
        assert [(t["from_state"], t["to_state"]) for t in body["transitions"]] == [
            ("", "open"),
            ("open", "answered"),
            ("answered", "closed"),
            ("closed", "open"),
        ]

    def test_the_history_of_a_query_has_who_and_why(
        self, recent_visit, monitor, coordinator
    ) -> None:
        query_id = _raise(_api(monitor), recent_visit).json()["id"]
        _api(coordinator).post(f"{API}/queries/{query_id}/answer/", {"text": "Ok"}, format="json")

        history = _api(monitor).get(f"{API}/queries/{query_id}/history/").json()

        assert [h["who"] for h in history] == ["coord_a", "monitor_a"]
        assert history[0]["reason"] == "Query answered by the site"

    def test_refusals_are_403_400_404_and_409(
        self, recent_visit, monitor, coordinator, coordinator_b
    ) -> None:
        assert _raise(_api(coordinator), recent_visit).status_code == 403
        assert _raise(_api(monitor), recent_visit, category="gossip").status_code == 400
        assert _raise(_api(coordinator_b), recent_visit).status_code == 404
        query_id = _raise(_api(monitor), recent_visit).json()["id"]
        assert _api(coordinator_b).get(f"{API}/queries/{query_id}/").status_code == 404
        assert (
            _api(monitor).post(f"{API}/queries/{query_id}/answer/", {"text": "x"}).status_code
            == 403
        )
        empty = _api(coordinator).post(f"{API}/queries/{query_id}/answer/", {"text": ""})
        assert empty.status_code == 400 and "text" in empty.json()
        again = _api(monitor).post(f"{API}/queries/{query_id}/reopen/", {"text": "x"})
        assert again.status_code == 409


class TestListsAndRecords:
    def test_the_list_filters_and_carries_the_ageing(self, recent_visit, data_manager) -> None:
        query_id = _raise(_api(data_manager), recent_visit).json()["id"]

        rows = _api(data_manager).get(f"{API}/queries/", {"site": "PAR", "origin": "manual"})
        none = _api(data_manager).get(f"{API}/queries/", {"site": "LYO", "origin": "manual"})
        bad = _api(data_manager).get(f"{API}/queries/", {"state": "dormant"})

        [row] = rows.json()["results"]
        assert row["id"] == query_id and row["days_open"] >= 0
        assert row["days_to_answer"] is None and row["record_type"] == "visit"
        assert none.json()["count"] == 0
        assert bad.status_code == 400

    def test_a_records_api_output_lists_its_open_queries(
        self, recent_visit, monitor, coordinator
    ) -> None:
        query_id = _raise(_api(monitor), recent_visit).json()["id"]

        visits = _api(coordinator).get(f"{API}/patients/{recent_visit.patient_id}/followup/visits/")

        [visit] = [v for v in visits.json() if v["id"] == recent_visit.pk]
        assert [(q["id"], q["field"], q["state"]) for q in visit["open_queries"]] == [
            (query_id, "contact_date", "open")
        ]

    def test_a_closed_query_leaves_the_records_output(self, recent_visit, monitor) -> None:
        query_id = _raise(_api(monitor), recent_visit).json()["id"]
        _api(monitor).post(f"{API}/queries/{query_id}/close/", {}, format="json")

        visits = _api(monitor).get(f"{API}/patients/{recent_visit.patient_id}/followup/visits/")

        assert all(v["open_queries"] == [] for v in visits.json())

    def test_the_patients_output_shows_an_edit_check_query(
        self, site_a, coordinator, protocol
    ) -> None:
        created = _api(coordinator).post(
            f"{API}/patients/",
            {"site": site_a.pk, "screening_date": "2026-10-01", "sex": "F", "age_at_screening": 12},
            format="json",
        )

        [query] = created.json()["open_queries"]
        assert (query["field"], query["origin"], query["rule"]) == (
            "age_at_screening",
            "system",
            "SCR-AGE",
        )
        assert DataQuery.objects.get(pk=query["id"]).state == "open"

    def test_a_confirmation_through_the_api_opens_the_query_answered(
        self, site_a, coordinator, protocol
    ) -> None:
        created = _api(coordinator).post(
            f"{API}/patients/",
            {
                "site": site_a.pk,
                "screening_date": "2026-10-01",
                "sex": "F",
                "age_at_screening": 17,
                "confirmation": "17 on the screening date; 18 before enrolment.",
            },
            format="json",
        )

        [query] = created.json()["open_queries"]
        assert query["state"] == "answered"

    def test_the_edit_checks_are_listed(self, data_manager) -> None:
        checks = _api(data_manager).get(f"{API}/edit-checks/").json()

        by_id = {c["id"]: c for c in checks}
        assert by_id["FU-VISIT-WINDOW"]["severity"] == "soft"
        assert by_id["TRT-AE-FATAL"]["severity"] == "hard"
        assert "followup.visit" in by_id["FU-VISIT-WINDOW"]["models"]
