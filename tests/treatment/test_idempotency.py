"""Creates of the treatment period that a repeat does not make twice: the `Idempotency-Key`
header on the API, the form token on the pages (trial/idempotency.py)."""

from __future__ import annotations

import re
import threading

import pytest
import yaml
from django.contrib.messages import get_messages
from django.db import connections
from django.test import Client
from rest_framework.test import APIClient

from tests.api_errors import error_fields, error_text
from tests.factories import randomized_patient, user_with_role
from tests.treatment.test_apis import _cycle_body
from tests.treatment.test_builders import STARTS, record_cycle
from tests.treatment.test_pages import _cycle_post
from treatment.models import SAE_ALERT, AdverseEvent, CtcaeTerm, Cycle
from trial.models import IdempotentRequest, OutboundMessage, Role
from trial.pages import ALREADY_SAVED

KEY = "0b6f7c1e-6a58-4d0c-a2f5-1c7d3f0e9a41"


def _api(user, key: str | None = KEY) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    if key is not None:
        client.credentials(HTTP_IDEMPOTENCY_KEY=key)
    return client


def _sae_body(**extra):
    body = {  # free text: the seeded CTCAE list is gone after a transactional test's flush
        "term_text": "Septic shock",
        "grade": 4,
        "start_date": STARTS[0].isoformat(),
        "relation_dexamethasone": "possible",
        "relation_salvage": "probable",
        "serious": True,
    }
    body.update(extra)
    return body


@pytest.fixture
def patient(site_a, coordinator, investigator):
    patient = randomized_patient(site_a, coordinator, investigator)
    record_cycle(patient, investigator, STARTS[0])
    return patient


class TestAdverseEventCreateWithAKey:
    def test_the_same_post_again_answers_the_first_response_and_creates_nothing(
        self, patient, investigator
    ) -> None:
        url = f"/api/v1/patients/{patient.pk}/adverse-events/"

        first = _api(investigator).post(url, _sae_body(), format="json")
        again = _api(investigator).post(url, _sae_body(), format="json")

        assert (first.status_code, again.status_code) == (201, 201)
        assert again.content == first.content
        assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
        assert AdverseEvent.objects.filter(patient=patient).count() == 1
        assert OutboundMessage.objects.filter(kind=SAE_ALERT).count() == 1

    def test_the_same_key_with_another_body_is_refused_and_creates_nothing(
        self, patient, investigator
    ) -> None:
        url = f"/api/v1/patients/{patient.pk}/adverse-events/"
        _api(investigator).post(url, _sae_body(), format="json")

        other = _api(investigator).post(url, _sae_body(grade=3), format="json")

        assert other.status_code == 422
        assert "already used for a different request" in error_text(other)
        assert AdverseEvent.objects.filter(patient=patient).count() == 1

    def test_the_same_key_for_another_patient_is_another_request(
        self, patient, site_a, coordinator, investigator
    ) -> None:
        other_patient = randomized_patient(site_a, coordinator, investigator)
        record_cycle(other_patient, investigator, STARTS[0])
        _api(investigator).post(
            f"/api/v1/patients/{patient.pk}/adverse-events/", _sae_body(), format="json"
        )

        other = _api(investigator).post(
            f"/api/v1/patients/{other_patient.pk}/adverse-events/", _sae_body(), format="json"
        )

        assert other.status_code == 422
        assert not AdverseEvent.objects.filter(patient=other_patient).exists()

    def test_a_refused_request_keeps_no_key_so_the_corrected_one_creates(
        self, patient, investigator
    ) -> None:
        url = f"/api/v1/patients/{patient.pk}/adverse-events/"

        refused = _api(investigator).post(url, _sae_body(grade=7), format="json")
        corrected = _api(investigator).post(url, _sae_body(), format="json")

        assert (refused.status_code, corrected.status_code) == (400, 201)
        assert AdverseEvent.objects.filter(patient=patient).count() == 1

    def test_keys_are_per_user(self, patient, investigator, site_a) -> None:
        colleague = user_with_role(Role.INVESTIGATOR, site_a, "inv_a2")
        url = f"/api/v1/patients/{patient.pk}/adverse-events/"

        _api(investigator).post(url, _sae_body(), format="json")
        theirs = _api(colleague).post(url, _sae_body(), format="json")

        assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs
        assert AdverseEvent.objects.filter(patient=patient).count() == 2

    def test_a_malformed_key_is_a_field_error(self, patient, investigator) -> None:
        response = _api(investigator, key="ü" * 3).post(
            f"/api/v1/patients/{patient.pk}/adverse-events/", _sae_body(), format="json"
        )

        assert response.status_code == 400
        assert "Idempotency-Key" in error_fields(response)
        assert not AdverseEvent.objects.exists()

    def test_without_a_key_each_post_creates(self, patient, investigator) -> None:
        url = f"/api/v1/patients/{patient.pk}/adverse-events/"

        for _ in range(2):
            _api(investigator, key=None).post(url, _sae_body(), format="json")

        assert AdverseEvent.objects.filter(patient=patient).count() == 2
        assert not IdempotentRequest.objects.exists()


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
class TestConcurrentRepeats:
    def test_two_simultaneous_posts_with_one_key_create_one_event(
        self, patient, investigator
    ) -> None:
        url = f"/api/v1/patients/{patient.pk}/adverse-events/"
        barrier, responses = threading.Barrier(4), []

        def post() -> None:
            try:
                barrier.wait()
                responses.append(_api(investigator).post(url, _sae_body(), format="json"))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=post) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert sorted(r.status_code for r in responses) == [201] * 4
        assert len({r.content for r in responses}) == 1
        assert sum(r.has_header("Idempotent-Replayed") for r in responses) == 3
        assert AdverseEvent.objects.filter(patient=patient).count() == 1
        assert OutboundMessage.objects.filter(kind=SAE_ALERT).count() == 1


class TestCycleCreateWithAKey:
    def test_a_repeated_cycle_post_creates_one_cycle(self, site_a, coordinator, investigator):
        patient = randomized_patient(site_a, coordinator, investigator)
        url = f"/api/v1/patients/{patient.pk}/cycles/"

        first = _api(investigator).post(url, _cycle_body(STARTS[0]), format="json")
        again = _api(investigator).post(url, _cycle_body(STARTS[0]), format="json")

        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json() and again.json()["number"] == 1
        assert Cycle.objects.filter(patient=patient).count() == 1


def _page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _token(html: str) -> str:
    match = re.search(r'name="form_token" value="([0-9a-f]{32})"', html)
    assert match, "the form carries no token"
    return match.group(1)


class TestPagesSubmittedTwice:
    def test_the_same_rendered_cycle_form_submitted_twice_creates_one_cycle(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = randomized_patient(site_a, coordinator, investigator, arm="DEX", regimen="IC")
        client, url = _page(investigator), f"/patients/{patient.pk}/treatment/cycles/new/"
        token = _token(client.get(url).content.decode())

        first = client.post(url, {**_cycle_post(), "form_token": token})
        second = client.post(url, {**_cycle_post(), "form_token": token})

        assert first.status_code == second.status_code == 302
        assert second["Location"] == first["Location"]
        assert Cycle.objects.filter(patient=patient).count() == 1
        assert ALREADY_SAVED in [str(m) for m in get_messages(second.wsgi_request)]

    def test_the_same_rendered_adverse_event_form_submitted_twice_creates_one_event(
        self, patient, investigator
    ) -> None:
        client = _page(investigator)
        url = f"/patients/{patient.pk}/treatment/adverse-events/new/"
        token = _token(client.get(url).content.decode())
        post = {
            "term": CtcaeTerm.objects.get(term="Sepsis").pk,
            "grade": "4",
            "start_date": STARTS[0].isoformat(),
            "relation_dexamethasone": "possible",
            "relation_salvage": "probable",
            "serious": "on",
            "form_token": token,
        }

        responses = [client.post(url, post) for _ in range(2)]

        assert [r.status_code for r in responses] == [302, 302]
        assert AdverseEvent.objects.filter(patient=patient).count() == 1
        assert OutboundMessage.objects.filter(kind=SAE_ALERT).count() == 1

    def test_a_form_shown_again_with_errors_keeps_its_token_and_then_saves_once(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = randomized_patient(site_a, coordinator, investigator, arm="DEX", regimen="IC")
        client, url = _page(investigator), f"/patients/{patient.pk}/treatment/cycles/new/"
        token = _token(client.get(url).content.decode())

        refused = client.post(url, {**_cycle_post(start_date="2026-10-01"), "form_token": token})
        saved = client.post(url, {**_cycle_post(), "form_token": token})

        assert refused.status_code == 200 and _token(refused.content.decode()) == token
        assert saved.status_code == 302
        assert Cycle.objects.filter(patient=patient).count() == 1

    def test_a_new_rendering_is_a_new_record(self, site_a, coordinator, investigator) -> None:
        patient = randomized_patient(site_a, coordinator, investigator, arm="DEX", regimen="IC")
        client, url = _page(investigator), f"/patients/{patient.pk}/treatment/cycles/new/"

        for start in ("2026-11-03", "2026-11-20"):
            token = _token(client.get(url).content.decode())
            client.post(url, {**_cycle_post(start_date=start), "form_token": token})

        assert Cycle.objects.filter(patient=patient).count() == 2

    def test_a_correction_form_carries_no_token(self, patient, investigator) -> None:
        cycle = Cycle.objects.get(patient=patient)

        html = (
            _page(investigator)
            .get(f"/patients/{patient.pk}/treatment/cycles/{cycle.pk}/edit/")
            .content.decode()
        )

        assert "form_token" not in html


class TestSchemaDocumentsTheKey:
    def test_every_create_that_takes_the_key_documents_it_and_its_422(self, coordinator) -> None:
        client = APIClient()
        client.force_authenticate(coordinator)
        paths = yaml.safe_load(client.get("/api/schema/").content)["paths"]
        keyed = {
            (path, method)
            for path, operations in paths.items()
            for method, operation in operations.items()
            if any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
        }

        assert keyed == {
            ("/api/v1/patients/{patient_id}/adverse-events/", "post"),
            ("/api/v1/patients/{patient_id}/cycles/", "post"),
            ("/api/v1/patients/{patient_id}/followup/visits/{pk}/record/", "post"),
            ("/api/v1/patients/{patient_id}/followup/visits/{pk}/not-done/", "post"),
            ("/api/v1/patients/{patient_id}/followup/contact-attempts/", "post"),
            ("/api/v1/patients/{patient_id}/records/{record_type}/{pk}/verify/", "post"),
            ("/api/v1/patients/{patient_id}/records/{record_type}/{pk}/lock/", "post"),
            ("/api/v1/patients/{patient_id}/lock/", "post"),
            ("/api/v1/locks/database/", "post"),
        }
        for path, method in keyed:
            operation = paths[path][method]
            header = next(p for p in operation["parameters"] if p["name"] == "Idempotency-Key")
            assert header["in"] == "header" and not header.get("required", False)
            assert header["schema"]["maxLength"] == 255
            assert "422" in operation["responses"]
