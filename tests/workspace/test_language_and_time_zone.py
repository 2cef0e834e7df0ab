"""The interface speaks the user's language (their choice, else the browser's) and shows times in
the zone of their site, with the zone named."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests.factories import randomized_patient, screened_patient
from trial.models import Site, User
from workspace.services import LANGUAGE_REASON

pytestmark = pytest.mark.django_db

# 14:30 UTC on a winter day: 09:30 in New York (EST), 15:30 in Paris (CET).
WINTER = dt.datetime(2026, 11, 2, 14, 30, tzinfo=dt.UTC)
SUMMER = dt.datetime(2026, 7, 2, 14, 30, tzinfo=dt.UTC)


def _client(user: User, **headers: str) -> Client:
    client = Client(**headers)
    client.force_login(user)
    return client


class TestLanguage:
    def test_a_browser_asking_for_french_gets_the_sign_in_page_in_french(self) -> None:
        response = Client().get(reverse("login"), HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9")

        assert response.headers["Content-Language"] == "fr"
        assert '<html lang="fr">' in response.text
        assert "Se connecter" in response.text
        assert "Mot de passe" in response.text

    def test_english_stays_the_default(self) -> None:
        response = Client().get(reverse("login"))

        assert response.headers["Content-Language"] == "en"
        assert '<html lang="en">' in response.text
        assert "Sign in" in response.text

    def test_the_users_language_overrides_the_browsers(self, coordinator: User) -> None:
        coordinator.language = "fr"
        coordinator.save()

        response = _client(coordinator).get(reverse("workspace:home"), HTTP_ACCEPT_LANGUAGE="en")

        assert response.headers["Content-Language"] == "fr"
        assert "À faire" in response.text
        assert "Mes préférences" in response.text

    def test_without_a_choice_the_browser_decides(self, coordinator: User) -> None:
        response = _client(coordinator).get(reverse("workspace:home"), HTTP_ACCEPT_LANGUAGE="fr")

        assert "À faire" in response.text

    def test_the_switch_saves_the_users_choice_and_the_cookie(self, coordinator: User) -> None:
        client = _client(coordinator)
        patients = reverse("workspace:patient_list")

        response = client.post(
            reverse("workspace:set_language"), {"language": "fr", "next": patients}
        )

        assert response.status_code == 302
        assert response.url == patients
        assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
        coordinator.refresh_from_db()
        assert coordinator.language == "fr"
        latest = coordinator.history.latest()
        assert (latest.history_user, latest.history_change_reason) == (coordinator, LANGUAGE_REASON)
        page = client.get(patients, HTTP_ACCEPT_LANGUAGE="en")
        assert "Rechercher" in page.text

    def test_before_sign_in_the_switch_sets_the_cookie_only(self) -> None:
        client = Client()

        response = client.post(
            reverse("workspace:set_language"), {"language": "fr", "next": reverse("login")}
        )

        assert response.url == reverse("login")
        assert "Se connecter" in client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").text

    def test_the_switch_never_sends_the_user_to_another_site(self, coordinator: User) -> None:
        response = _client(coordinator).post(
            reverse("workspace:set_language"), {"language": "fr", "next": "https://evil.example/"}
        )

        assert response.url == "/"

    def test_a_language_the_interface_does_not_speak_changes_nothing(
        self, coordinator: User
    ) -> None:
        response = _client(coordinator).post(
            reverse("workspace:set_language"), {"language": "xx", "next": "/"}
        )

        assert response.status_code == 302
        assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
        coordinator.refresh_from_db()
        assert coordinator.language == ""

    def test_my_settings_page_saves_the_language(self, coordinator: User) -> None:
        client = _client(coordinator)
        url = reverse("workspace:user_settings")

        assert "Language of the interface" in client.get(url).text
        response = client.post(url, {"language": "fr"}, follow=True)

        coordinator.refresh_from_db()
        assert coordinator.language == "fr"
        assert "Vos préférences ont été enregistrées." in response.text
        assert "Langue de l’interface" in response.text

    def test_my_settings_page_refuses_an_unknown_language(self, coordinator: User) -> None:
        response = _client(coordinator).post(reverse("workspace:user_settings"), {"language": "xx"})

        assert response.status_code == 200
        assert "xx is not one of the available choices" in response.text
        coordinator.refresh_from_db()
        assert coordinator.language == ""


class TestFrenchWorkspace:
    def test_the_patient_list_shows_labels_in_french_not_codes(
        self, site_a: Site, coordinator: User
    ) -> None:
        screened_patient(site_a, coordinator)

        response = _client(coordinator).get(
            reverse("workspace:patient_list"), HTTP_ACCEPT_LANGUAGE="fr"
        )

        assert "1 patient" in response.text
        assert '<span class="status status-screening">Pré-inclusion</span>' in response.text
        assert "En attente du consentement éclairé" in response.text

    def test_the_patient_page_speaks_french(self, site_a: Site, coordinator: User) -> None:
        patient = screened_patient(site_a, coordinator)

        response = _client(coordinator).get(
            reverse("workspace:patient_detail", kwargs={"patient_id": patient.pk}),
            HTTP_ACCEPT_LANGUAGE="fr",
        )

        assert "Parcours de pré-inclusion" in response.text
        assert 'data-testid="step-state-screening">Complète</span>' in response.text
        assert "Saisir le consentement" in response.text
        assert "Arrêter la pré-inclusion" in response.text


class TestTimeZone:
    @pytest.mark.parametrize(
        ("zone", "when", "shown"),
        [
            ("America/New_York", WINTER, "2026-11-02 09:30 EST"),
            ("America/New_York", SUMMER, "2026-07-02 10:30 EDT"),
            ("Europe/Paris", WINTER, "2026-11-02 15:30 CET"),
            ("Europe/Paris", SUMMER, "2026-07-02 16:30 CEST"),
        ],
    )
    def test_a_site_sees_the_randomisation_time_in_its_zone_with_the_zone_named(
        self,
        site_a: Site,
        coordinator: User,
        investigator: User,
        zone: str,
        when: dt.datetime,
        shown: str,
    ) -> None:
        site_a.time_zone = zone
        site_a.save()
        patient = randomized_patient(site_a, coordinator, investigator, randomized_at=when)

        response = _client(coordinator).get(
            reverse("workspace:patient_detail", kwargs={"patient_id": patient.pk})
        )

        assert f"Randomisation number R-{patient.subject_id}, {shown}." in response.text

    def test_a_trial_wide_user_sees_the_trials_zone(
        self, site_a: Site, coordinator: User, investigator: User, data_manager: User, settings
    ) -> None:
        settings.TIME_ZONE = "Europe/Paris"
        site_a.time_zone = "America/New_York"
        site_a.save()
        patient = randomized_patient(site_a, coordinator, investigator, randomized_at=WINTER)

        response = _client(data_manager).get(
            reverse("workspace:patient_detail", kwargs={"patient_id": patient.pk})
        )

        assert "2026-11-02 15:30 CET" in response.text

    @pytest.mark.parametrize("zone", ["Mars/Olympus", "", "EST5EDT ", "../etc/passwd"])
    def test_a_site_time_zone_must_be_an_iana_zone(self, site_a: Site, zone: str) -> None:
        site_a.time_zone = zone

        with pytest.raises(ValidationError) as error:
            site_a.full_clean()

        assert "time_zone" in error.value.message_dict
