"""The treatment-period API: records under their patient, site isolation, roles, OpenAPI."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from rest_framework.test import APIClient

from tests.factories import randomized_patient
from tests.treatment.test_builders import STARTS, record_cycle
from treatment.models import AdverseEvent, CtcaeTerm
from trial.outbox import delivery as delivery_module


def _refuse(*args: object, **kwargs: object) -> None:
    raise ConnectionRefusedError(111, "Connection refused")


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _cycle_body(start: dt.date, **extra):
    body = {
        "start_date": start.isoformat(),
        "regimen": "IC",
        "height_cm": "170",
        "weight_kg": "70",
        "drugs": [
            {"drug": "amsacrine", "planned_dose": "120", "given_dose": "120", "unit": "mg/m2"},
            {"drug": "cytarabine", "planned_dose": "6000", "given_dose": "6000", "unit": "mg/m2"},
            {"drug": "dexamethasone", "planned_dose": "160", "given_dose": "160", "unit": "mg"},
        ],
    }
    body.update(extra)
    return body


@pytest.fixture
def patient(site_a, coordinator, investigator):
    return randomized_patient(site_a, coordinator, investigator)


class TestCycleApi:
    def test_an_investigator_records_a_cycle_and_sees_its_bsa(self, patient, investigator) -> None:
        url = f"/api/v1/patients/{patient.pk}/cycles/"

        response = _client(investigator).post(url, _cycle_body(STARTS[0]), format="json")

        assert response.status_code == 201, response.json()
        assert response.json()["bsa_m2"] == "1.82"
        assert response.json()["kind"] == "induction"
        assert len(response.json()["drugs"]) == 3

    def test_a_fifth_ic_cycle_is_refused_with_its_message(self, patient, investigator) -> None:
        for start in STARTS[:4]:
            record_cycle(patient, investigator, start)

        response = _client(investigator).post(
            f"/api/v1/patients/{patient.pk}/cycles/", _cycle_body(STARTS[4]), format="json"
        )

        assert response.status_code == 400
        assert "cycle 5 cannot be recorded" in response.json()["detail"]

    def test_a_correction_without_a_reason_is_refused(self, patient, investigator) -> None:
        cycle = record_cycle(patient, investigator, STARTS[0])
        url = f"/api/v1/patients/{patient.pk}/cycles/{cycle.pk}/"

        refused = _client(investigator).put(
            url, _cycle_body(STARTS[0], weight_kg="80"), format="json"
        )
        accepted = _client(investigator).put(
            url, _cycle_body(STARTS[0], weight_kg="80", reason="Weighed again"), format="json"
        )

        assert refused.status_code == 400 and "reason" in refused.json()
        assert accepted.status_code == 200 and accepted.json()["bsa_m2"] == "1.94"

    def test_a_coordinator_may_read_but_not_record(self, patient, coordinator) -> None:
        url = f"/api/v1/patients/{patient.pk}/cycles/"

        assert _client(coordinator).get(url).status_code == 200
        assert (
            _client(coordinator).post(url, _cycle_body(STARTS[0]), format="json").status_code == 403
        )

    def test_another_sites_user_gets_404(self, patient, investigator, investigator_b) -> None:
        cycle = record_cycle(patient, investigator, STARTS[0])

        client = _client(investigator_b)

        assert client.get(f"/api/v1/patients/{patient.pk}/cycles/").status_code == 404
        assert client.get(f"/api/v1/patients/{patient.pk}/cycles/{cycle.pk}/").status_code == 404

    def test_a_record_is_found_only_under_its_own_patient(
        self, patient, site_a, coordinator, investigator
    ) -> None:
        cycle = record_cycle(patient, investigator, STARTS[0])
        other = randomized_patient(site_a, coordinator, investigator)

        response = _client(investigator).get(f"/api/v1/patients/{other.pk}/cycles/{cycle.pk}/")

        assert response.status_code == 404


class TestAdverseEventApi:
    def test_a_serious_event_notifies_the_sponsor_and_shows_its_deadline(
        self, patient, investigator, data_manager, django_capture_on_commit_callbacks
    ) -> None:
        record_cycle(patient, investigator, STARTS[0])
        body = {
            "term": CtcaeTerm.objects.get(term="Sepsis").pk,
            "grade": 4,
            "start_date": "2026-11-10",
            "relation_dexamethasone": "possible",
            "relation_salvage": "probable",
            "serious": True,
            "awareness_at": "2026-11-10T08:00:00Z",
        }

        with django_capture_on_commit_callbacks(execute=True):
            response = _client(investigator).post(
                f"/api/v1/patients/{patient.pk}/adverse-events/", body, format="json"
            )

        assert response.status_code == 201, response.json()
        assert response.json()["report_due_at"].startswith("2026-11-11T")
        assert len(mail.outbox) == 1
        overdue = _client(data_manager).get("/api/v1/adverse-events/overdue/").json()
        assert [e["id"] for e in overdue] == [response.json()["id"]]

    def test_an_alert_not_delivered_yet_is_listed_with_its_attempts(
        self, patient, investigator, data_manager, monkeypatch, django_capture_on_commit_callbacks
    ) -> None:
        record_cycle(patient, investigator, STARTS[0])
        monkeypatch.setattr(delivery_module.EmailMessage, "send", _refuse)
        body = {
            "term": CtcaeTerm.objects.get(term="Sepsis").pk,
            "grade": 4,
            "start_date": "2026-11-10",
            "relation_dexamethasone": "possible",
            "relation_salvage": "probable",
            "serious": True,
        }

        with django_capture_on_commit_callbacks(execute=True):
            response = _client(investigator).post(
                f"/api/v1/patients/{patient.pk}/adverse-events/", body, format="json"
            )
        listed = _client(data_manager).get("/api/v1/adverse-events/alerts-undelivered/").json()

        assert response.status_code == 201
        assert response.json()["sponsor_notified_at"] is None
        assert [(e["id"], e["alert_attempts"]) for e in listed] == [(response.json()["id"], 1)]
        assert "Connection refused" in listed[0]["alert_last_error"]

    def test_recording_the_report_takes_it_off_the_overdue_list(
        self, patient, investigator, data_manager
    ) -> None:
        record_cycle(patient, investigator, STARTS[0])
        event = AdverseEvent.objects.create(
            patient=patient,
            term_text="Pneumonia",
            grade=3,
            start_date=dt.date(2026, 11, 10),
            relation_dexamethasone="unlikely",
            relation_salvage="possible",
            serious=True,
            awareness_at=dt.datetime(2026, 11, 10, 8, tzinfo=dt.UTC),
            report_due_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        )
        url = f"/api/v1/patients/{patient.pk}/adverse-events/{event.pk}/report/"

        response = _client(investigator).post(url, {"reported_at": "2026-11-10T12:00:00Z"})

        assert response.status_code == 200
        assert response.json()["reported_at"].startswith("2026-11-10")

    def test_the_ctcae_list_is_served(self, investigator) -> None:
        terms = _client(investigator).get("/api/v1/ctcae-terms/").json()

        assert {"term": "Febrile neutropenia"}.items() <= next(
            t for t in terms if t["term"] == "Febrile neutropenia"
        ).items()


class TestSignatureApi:
    def test_signing_needs_the_password_and_a_change_breaks_it(self, patient, investigator) -> None:
        cycle = record_cycle(patient, investigator, STARTS[0])
        client = _client(investigator)
        url = f"/api/v1/patients/{patient.pk}/signatures/"

        wrong = client.post(url, {"password": "nope", "meaning": "approval"})
        signed = client.post(url, {"password": "pass-word-123", "meaning": "approval"})
        client.put(
            f"/api/v1/patients/{patient.pk}/cycles/{cycle.pk}/",
            _cycle_body(STARTS[0], height_cm="172", reason="Height re-measured"),
            format="json",
        )
        summary = client.get(f"/api/v1/patients/{patient.pk}/treatment/").json()

        assert wrong.status_code == 400 and "password" in wrong.json()
        assert signed.status_code == 201 and signed.json()["valid"] is True
        assert summary["signature"]["valid"] is False
        assert "Cycle 1 changed" in summary["signature"]["broken_reason"]


class TestTreatmentSummaryApi:
    def test_it_gives_arm_regimen_and_flags(self, site_a, coordinator, investigator) -> None:
        aza = randomized_patient(site_a, coordinator, investigator, arm="CTRL", regimen="AZA")
        for start in STARTS[:3]:
            record_cycle(aza, investigator, start, regimen="AZA", drugs=None)

        summary = _client(investigator).get(f"/api/v1/patients/{aza.pk}/treatment/").json()
        deviations = _client(investigator).get(f"/api/v1/patients/{aza.pk}/deviations/").json()

        assert (summary["arm"], summary["planned_regimen"]) == ("CTRL", "AZA")
        assert any("due after azacitidine cycle 3" in f for f in summary["flags"])
        assert {d["kind"] for d in deviations} == {"dex_in_control"}
