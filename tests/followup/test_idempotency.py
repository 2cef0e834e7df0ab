"""Follow-up entries that a repeat does not make twice: a visit recorded (or not done) and a
contact attempt, through the API's `Idempotency-Key` and the pages' form token."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from followup.models import ContactAttempt, Visit, VisitStatus

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()  # pages and API read the clock: the visit is due today
KEY = "visit-1-first-try"


def _api(user, key: str = KEY) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    client.credentials(HTTP_IDEMPOTENCY_KEY=key)
    return client


def _visit_body(**extra):
    return {
        "contact_date": TODAY.isoformat(),
        "vital_status": "alive",
        "disease_status": "remission",
        **extra,
    }


def _history(visit: Visit) -> int:
    return Visit.history.filter(id=visit.pk).count()


class TestVisitRecordApi:
    def test_a_repeated_record_answers_the_first_response_and_changes_nothing(
        self, due_visit, coordinator
    ) -> None:
        url = f"/api/v1/patients/{due_visit.patient_id}/followup/visits/{due_visit.pk}/record/"

        first = _api(coordinator).post(url, _visit_body(), format="json")
        entries = _history(due_visit)
        again = _api(coordinator).post(url, _visit_body(), format="json")

        assert (first.status_code, again.status_code) == (200, 200)
        assert again.content == first.content and again["Idempotent-Replayed"] == "true"
        assert _history(due_visit) == entries  # no second entry, no "reason required" error

    def test_without_a_key_the_repeat_is_a_correction_that_needs_a_reason(
        self, due_visit, coordinator
    ) -> None:
        url = f"/api/v1/patients/{due_visit.patient_id}/followup/visits/{due_visit.pk}/record/"
        client = APIClient()
        client.force_authenticate(coordinator)

        client.post(url, _visit_body(), format="json")
        again = client.post(url, _visit_body(), format="json")

        assert again.status_code == 400 and "reason" in again.json()

    def test_the_same_key_with_another_body_is_refused(self, due_visit, coordinator) -> None:
        url = f"/api/v1/patients/{due_visit.patient_id}/followup/visits/{due_visit.pk}/record/"
        _api(coordinator).post(url, _visit_body(), format="json")

        other = _api(coordinator).post(url, _visit_body(disease_status="relapse"), format="json")

        assert other.status_code == 422
        due_visit.refresh_from_db()
        assert due_visit.disease_status == "remission"


class TestVisitNotDoneApi:
    def test_a_repeated_not_done_answers_the_first_response(self, due_visit, coordinator) -> None:
        url = f"/api/v1/patients/{due_visit.patient_id}/followup/visits/{due_visit.pk}/not-done/"
        body = {"not_done_reason": "Patient abroad"}

        first = _api(coordinator).post(url, body, format="json")
        again = _api(coordinator).post(url, body, format="json")

        assert (first.status_code, again.status_code) == (200, 200)
        assert again.json() == first.json()
        assert again.json()["status"] == VisitStatus.NOT_DONE


class TestContactAttemptApi:
    def test_a_repeated_attempt_is_recorded_once(self, due_visit, coordinator) -> None:
        url = f"/api/v1/patients/{due_visit.patient_id}/followup/contact-attempts/"
        body = {"attempted_on": TODAY.isoformat(), "method": "phone", "outcome": "no_answer"}

        first = _api(coordinator).post(url, body, format="json")
        again = _api(coordinator).post(url, body, format="json")

        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json()
        assert ContactAttempt.objects.filter(patient_id=due_visit.patient_id).count() == 1


def _token(html: str) -> str:
    match = re.search(r'name="form_token" value="([0-9a-f]{32})"', html)
    assert match, "the form carries no token"
    return match.group(1)


class TestPagesSubmittedTwice:
    def test_the_same_visit_form_submitted_twice_records_once_and_says_so(
        self, client: Client, due_visit, coordinator
    ) -> None:
        client.force_login(coordinator)
        url = f"/followup/patients/{due_visit.patient_id}/visits/{due_visit.pk}/record/"
        post = {**_visit_body(), "form_token": _token(client.get(url).text)}

        first = client.post(url, post)
        entries = _history(due_visit)
        second = client.post(url, post, follow=True)

        assert first.status_code == 302
        assert second.redirect_chain[0][0] == first["Location"]
        assert "already submitted and saved" in second.text
        assert _history(due_visit) == entries

    def test_the_same_contact_attempt_form_submitted_twice_records_once(
        self, client: Client, due_visit, coordinator
    ) -> None:
        client.force_login(coordinator)
        url = f"/followup/patients/{due_visit.patient_id}/contact-attempts/new/"
        post = {
            "attempted_on": TODAY.isoformat(),
            "method": "phone",
            "outcome": "no_answer",
            "form_token": _token(client.get(url).text),
        }

        for _ in range(2):
            client.post(url, post)

        assert ContactAttempt.objects.filter(patient_id=due_visit.patient_id).count() == 1
