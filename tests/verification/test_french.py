"""The verification pages in French: the catalogue's words, and labels rather than codes."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


class TestVerificationInFrench:
    def test_the_form_status_matrix_speaks_french_and_shows_status_labels(
        self, patient, monitor
    ) -> None:
        url = reverse("verification:patient_forms", kwargs={"patient_id": patient.pk})

        page = _client(monitor).get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()

        assert "Fiches et vérification des données source (SDV)" in page
        assert "Consentement éclairé" in page
        assert 'data-testid="form-status">Complète<' in page  # "complete" as its label
        assert 'data-testid="form-status">complete<' not in page

    def test_the_locks_page_speaks_french_and_english_stays_the_default(self, data_manager) -> None:
        url = reverse("verification:locks")

        french = _client(data_manager).get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
        english = _client(data_manager).get(url).content.decode()

        assert "Geler la base à une date de point" in french
        assert "Aucun verrouillage pour l'instant." in french
        assert "Lock the database at a cut-off" in english
