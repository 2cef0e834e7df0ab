"""The follow-up pages in French (issue 18): a browser asking for French reads the worklist, a
patient's schedule and the services' refusals in French, statuses as labels, never as codes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from followup.models import Visit
from followup.services.notifications import followup_digest_send, followup_reminders_send
from followup.services.refresh import visits_refresh
from tests.factories import user_with_role
from tests.followup.conftest import followup_patient
from trial.models import Role

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


class TestFollowupEmailsInTheRecipientsLanguage:
    """The reminders and the digest go out once per language of their recipients, each in it."""

    def test_a_french_coordinator_gets_the_reminder_in_french_an_english_one_in_english(
        self, site_a, coordinator, investigator, monitor, django_capture_on_commit_callbacks
    ) -> None:
        coordinator.email, coordinator.language = "coord@example.org", "fr"
        coordinator.save()
        other = user_with_role(Role.SITE_COORDINATOR, site_a, "coord_en")
        other.email = "coord_en@example.org"
        other.save()
        followup_patient(site_a, coordinator, investigator)
        visits_refresh(today=dt.date(2027, 4, 1))

        with django_capture_on_commit_callbacks(execute=True):
            sites = followup_reminders_send(day=dt.date(2027, 4, 1), now=timezone.now())
        with django_capture_on_commit_callbacks(execute=True):
            again = followup_reminders_send(day=dt.date(2027, 4, 1), now=timezone.now())

        assert (sites, again) == (1, 0)
        by_address = {m.to[0]: m for m in mail.outbox}
        assert sorted(by_address) == ["coord@example.org", "coord_en@example.org"]
        french, english = by_address["coord@example.org"], by_address["coord_en@example.org"]
        assert french.subject.startswith("Visites de suivi à organiser au centre PAR")
        assert "visit 1" not in french.body
        assert english.subject.startswith("Follow-up visits to arrange at PAR")
        assert "visit 1" in english.body

    def test_a_french_data_manager_gets_the_digest_in_french(
        self, site_a, coordinator, investigator, data_manager, django_capture_on_commit_callbacks
    ) -> None:
        data_manager.email, data_manager.language = "dm@example.org", "fr"
        data_manager.save()
        followup_patient(site_a, coordinator, investigator)
        visits_refresh(today=dt.date(2027, 8, 1))

        with django_capture_on_commit_callbacks(execute=True):
            queued = followup_digest_send(today=dt.date(2027, 8, 1), now=timezone.now())

        assert queued is True
        assert [m.to for m in mail.outbox] == [["dm@example.org"]]
        assert mail.outbox[0].subject == "Récapitulatif du suivi, semaine du 2027-08-01"
        assert "Visites de suivi en retard et manquées par centre :" in mail.outbox[0].body
