"""The treatment pages and the SAE alert in the reader's language."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import translation

from tests.factories import randomized_patient, user_with_role
from tests.treatment.test_builders import NOW, STARTS, record_cycle
from treatment.models import SAE_ALERT, CtcaeTerm
from treatment.services import adverse_event_record
from trial.models import OutboundMessage, Regimen, Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_language():
    """A page asked for in French leaves French active in the thread: back to the default."""
    yield
    translation.deactivate()


@pytest.fixture
def patient(site_a, coordinator, investigator):
    patient = randomized_patient(site_a, coordinator, investigator)
    record_cycle(patient, investigator, STARTS[0])
    return patient


def _serious_event(patient, by):
    return adverse_event_record(
        patient=patient,
        by=by,
        now=NOW,
        term=CtcaeTerm.objects.get(term="Febrile neutropenia"),
        term_text="",
        grade=3,
        start_date=dt.date(2026, 11, 12),
        end_date=None,
        relation_dexamethasone="unlikely",
        relation_salvage="probable",
        serious=True,
        awareness_at=NOW - dt.timedelta(hours=2),
    )


class TestTimelineInFrench:
    def test_the_timeline_speaks_french_and_shows_labels(self, patient, investigator) -> None:
        client = Client()
        client.force_login(investigator)

        page = client.get(
            f"/patients/{patient.pk}/treatment/", HTTP_ACCEPT_LANGUAGE="fr"
        ).content.decode()

        assert "Chronologie du traitement" in page and "Cycles" in page
        with translation.override("fr"):
            planned = str(Regimen.IC.label)
        assert f"<strong>{planned}</strong>" in page


class TestSaeAlertLanguage:
    def test_a_french_sponsor_desk_gets_french_and_the_site_time(
        self, patient, investigator, settings
    ) -> None:
        desk = user_with_role(Role.SPONSOR_ADMIN, None, "pv")
        desk.email = settings.TRIAL_TREATMENT["SPONSOR_SAFETY_EMAIL"]
        desk.language = "fr"
        desk.save()

        event = _serious_event(patient, investigator)

        alert = OutboundMessage.objects.get(kind=SAE_ALERT)
        assert alert.dedup_key == f"{SAE_ALERT}:{event.pk}:1:fr"
        assert "grade 3" in alert.subject
        assert "Un événement indésirable grave a été enregistré" in alert.body
        # Aware 07:00 UTC: 09:00 in Paris (summer time), the site's zone, named.
        assert "2027-09-01 09:00 CEST" in alert.body

    def test_without_a_chosen_language_the_alert_is_english(self, patient, investigator) -> None:
        event = _serious_event(patient, investigator)

        alert = OutboundMessage.objects.get(kind=SAE_ALERT)
        assert alert.dedup_key == f"{SAE_ALERT}:{event.pk}:1"
        assert "A serious adverse event was recorded" in alert.body
        assert "2027-09-01 09:00 CEST" in alert.body
