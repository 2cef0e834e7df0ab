"""The follow-up pages in French (issue 18): a browser asking for French reads the worklist, a
patient's schedule and the services' refusals in French, statuses as labels, never as codes."""

from __future__ import annotations

import pytest

from followup.models import Visit

pytestmark = pytest.mark.django_db


class TestFollowupPagesInFrench:
    def test_the_worklist_reads_in_french_with_the_status_as_its_label(
        self, client, due_visit: Visit, coordinator
    ) -> None:
        client.force_login(coordinator)

        page = client.get("/followup/", HTTP_ACCEPT_LANGUAGE="fr").text

        assert "Liste de travail du suivi" in page
        assert "À faire (dans la fenêtre)" in page
        assert ">due<" not in page and "Due (in window)" not in page

    def test_a_patients_schedule_reads_in_french(
        self, client, due_visit: Visit, coordinator
    ) -> None:
        client.force_login(coordinator)

        page = client.get(f"/followup/patients/{due_visit.patient_id}/", HTTP_ACCEPT_LANGUAGE="fr")

        assert "Déclarer perdu de vue" in page.text
        assert "Visite" in page.text and "Fenêtre" in page.text
        assert "(mois 3)" in page.text

    def test_a_refused_declaration_of_loss_says_why_in_french(
        self, client, due_visit: Visit, coordinator
    ) -> None:
        client.force_login(coordinator)

        response = client.post(
            f"/followup/patients/{due_visit.patient_id}/lost-to-follow-up/",
            {},
            HTTP_ACCEPT_LANGUAGE="fr",
        )

        assert response.status_code == 200
        assert "visites manquées sont nécessaires" in response.text

    def test_english_stays_the_default(self, client, due_visit: Visit, coordinator) -> None:
        client.force_login(coordinator)

        page = client.get("/followup/").text

        assert "Follow-up worklist" in page and "Due (in window)" in page
