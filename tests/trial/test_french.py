"""The screening pages in French (issue 18): a browser that asks for French reads the labels,
the choices, the refusals and the history in French, with codes shown as their labels and times
with their zone; without the request English stays the default."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import eligible_patient, screened_patient
from trial.services import screening

pytestmark = pytest.mark.django_db

FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr"}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_the_screening_page_is_in_french(site_a, coordinator) -> None:
    page = _page(_client(coordinator).get(reverse("trial:patient_screen"), **FRENCH))

    assert "Pré-inclure un nouveau patient" in page
    assert "Date de pré-inclusion" in page
    assert "Âge à la pré-inclusion" in page
    assert 'placeholder="AAAA-MM-JJ"' in page
    assert re.search(r'<option value="F"[^>]*>Féminin</option>', page)
    assert "Ajouter au registre de pré-inclusion" in page
    assert "Screening date" not in page


def test_english_stays_the_default(site_a, coordinator) -> None:
    page = _page(_client(coordinator).get(reverse("trial:patient_screen")))

    assert "Screen a new patient" in page
    assert re.search(r'<option value="F"[^>]*>Female</option>', page)


def test_the_consent_page_is_in_french(site_a, coordinator, investigator) -> None:
    patient = eligible_patient(site_a, coordinator, investigator)
    url = reverse("trial:consent_edit", kwargs={"patient_id": patient.pk})

    page = _page(_client(coordinator).get(url, **FRENCH))

    assert "Consentement éclairé" in page
    assert "Date du consentement" in page
    assert "Consentement recueilli par" in page
    assert "Motif de la modification" in page  # a correction: the reason is asked
    assert "Historique de cette fiche" in page
    assert "Enregistrer le consentement" in page


def test_a_refusal_is_in_french(site_a, coordinator) -> None:
    patient = screened_patient(site_a, coordinator)
    url = reverse("trial:screen_fail", kwargs={"patient_id": patient.pk})

    page = _page(_client(coordinator).post(url, {"reason": "other"}, **FRENCH))

    assert "Précisez le motif lorsqu’il s’agit de « Autre »." in page
    assert re.search(r'<option value="consent_refused"[^>]*>Consentement refusé</option>', page)


def test_the_history_shows_labels_and_zoned_times_in_french(site_a, coordinator) -> None:
    patient = screened_patient(site_a, coordinator)
    screening.patient_screen_fail(
        patient=patient, reason="consent_refused", reason_detail="", by=coordinator
    )
    url = reverse("trial:patient_history", kwargs={"patient_id": patient.pk})

    page = _page(_client(coordinator).get(url, **FRENCH))

    assert "Historique : Entrée du registre de pré-inclusion" in page
    text = " ".join(re.sub(r"<[^>]+>", "", page).split())
    assert "Pré-inclusion → Échec de pré-inclusion" in text
    assert "Consentement refusé" in page
    assert "consent_refused" not in page
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} (CET|CEST|UTC)", page)
    # the history's stored reason stays the text the system wrote
    assert "Screen failure: Consent refused" in page
