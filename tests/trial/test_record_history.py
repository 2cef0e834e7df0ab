"""Any clinical record's history, in a page and through the API, for the patient's site only."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import TODAY, randomized_patient
from tests.page_text import raw_codes_in, visible_text
from tests.treatment.test_builders import STARTS, record_cycle
from trial.selectors.history import clinical_record_types, record_history
from trial.services.screening import baseline_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def patient(site_a, coordinator, investigator):
    return randomized_patient(site_a, coordinator, investigator)


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


class TestRecordHistory:
    def test_every_clinical_record_type_of_every_app_is_reachable(self) -> None:
        types = clinical_record_types()

        assert {
            "patient",
            "consent",
            "baseline",
            "cycle",
            "adverseevent",
            "randomization",
            "visit",
            "death",
        } <= set(types)

    def test_a_correction_shows_who_old_new_and_why_in_the_api(
        self, patient, coordinator, monitor
    ) -> None:
        baseline_record(
            patient=patient,
            data={"ecog": 2},
            mutations={},
            by=coordinator,
            today=TODAY,
            reason="Source verified: ECOG 2",
        )

        response = _api(monitor).get(
            f"/api/v1/patients/{patient.pk}/records/baseline/{patient.baseline.pk}/history/"
        )

        assert response.status_code == 200
        latest = response.json()[0]
        assert latest["who"] == "coord_a" and latest["reason"] == "Source verified: ECOG 2"
        assert {
            "field": "ecog",
            "label": "ECOG performance status",
            "old": "1",
            "new": "2",
        } in latest["changes"]

    def test_the_page_of_a_treatment_record_shows_its_history(
        self, client, patient, investigator
    ) -> None:
        cycle = record_cycle(patient, investigator, STARTS[0])
        client.force_login(investigator)

        url = Template("{% load record_history %}{% history_url cycle %}").render(
            Context({"cycle": cycle})
        )
        response = client.get(url)

        assert url == f"/patients/{patient.pk}/records/cycle/{cycle.pk}/history/"
        assert response.status_code == 200
        assert "inv_a" in response.content.decode()

    def test_another_sites_user_gets_404(self, patient, coordinator_b) -> None:
        response = _api(coordinator_b).get(
            f"/api/v1/patients/{patient.pk}/records/patient/{patient.pk}/history/"
        )

        assert response.status_code == 404

    def test_a_record_of_another_patient_is_not_found_under_this_patient(
        self, patient, site_a, coordinator, investigator
    ) -> None:
        other = randomized_patient(site_a, coordinator, investigator)

        response = _api(coordinator).get(
            f"/api/v1/patients/{patient.pk}/records/consent/{other.consent.pk}/history/"
        )

        assert response.status_code == 404

    def test_an_unknown_or_configuration_record_type_is_not_found(
        self, patient, coordinator
    ) -> None:
        for record_type in ("site", "user", "nosuchthing"):
            response = _api(coordinator).get(
                f"/api/v1/patients/{patient.pk}/records/{record_type}/1/history/"
            )

            assert response.status_code == 404


class TestHistoryAsTheReaderReadsIt:
    def test_a_french_reader_sees_labels_yes_no_and_the_zone_not_codes(
        self, client, patient, investigator
    ) -> None:
        cycle = record_cycle(patient, investigator, STARTS[0])
        investigator.language = "fr"
        investigator.save()
        client.force_login(investigator)

        response = client.get(f"/patients/{patient.pk}/records/cycle/{cycle.pk}/history/")

        page = visible_text(response.content.decode())
        assert "Saisie erronée : Non" in page.replace("\n: ", " : ")
        assert "Entered in error" not in page and "False" not in page
        assert raw_codes_in(page, allowed={"DEX", "CTRL"}) == []
        when = timezone.localtime(cycle.history.earliest("history_date").history_date)
        assert f"{when:%Y-%m-%d %H:%M} {when.tzname()}" in page

    def test_values_are_shown_as_read_in_english_too(self, patient) -> None:
        created = record_history(patient.consent)[-1]

        values = {c.field: c.new for c in created.changes}
        assert values["entered_in_error"] == "No"
        assert values["consent_date"] == patient.consent.consent_date.isoformat()
