"""The randomisation pages and e-mails in the reader's language: labels, never codes, and
times in the site's time zone with the zone named."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation

from randomization import services
from randomization.models import Randomization
from randomization.notifications import RESULT
from tests.factories import NOW, enrolled_patient
from trial.dates import in_time_zone
from trial.models import DiseaseStatus, OutboundMessage, Regimen, Site, User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _default_language():
    """A page asked for in French leaves French active in the thread: back to the default."""
    yield
    translation.deactivate()


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _randomized(site: Site, coordinator: User, investigator: User) -> Randomization:
    patient = enrolled_patient(site, coordinator, investigator, regimen="IC")
    return services.patient_randomize(patient=patient, by=coordinator, now=NOW)


def _labels(language: str) -> tuple[str, str]:
    with translation.override(language):
        return str(Regimen.IC.label), str(DiseaseStatus.FIRST_RELAPSE.label)


def _cell(page: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}">([^<]*)<', page)
    assert found, testid
    return found.group(1)


class TestResultPage:
    @pytest.mark.parametrize(
        ("language", "heading"), [("en", "Allocated arm"), ("fr", "Bras alloué")]
    )
    def test_shows_the_stratification_labels_in_the_reader_language(
        self, site_a, coordinator, investigator, production_list, language, heading
    ) -> None:
        randomization = _randomized(site_a, coordinator, investigator)
        url = f"/randomization/patients/{randomization.patient_id}/"

        page = _client(coordinator).get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()

        regimen, status = _labels(language)
        assert heading in page
        assert _cell(page, "stratum-regimen") == regimen
        assert _cell(page, "stratum-disease-status") == status
        assert "first_relapse" not in page

    def test_the_time_is_the_site_time_with_its_zone_named(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        randomization = _randomized(site_a, coordinator, investigator)
        url = f"/randomization/patients/{randomization.patient_id}/"

        page = _client(coordinator).get(url).content.decode()

        # ISO date and time, then the zone's name (the site's zone once the page activates it).
        at = _cell(page, "randomized-at")
        assert re.match(r"2026-11-02 \d\d:00 [A-Z][A-Z0-9+-]* \(day 0", at), at


class TestBalanceReport:
    @pytest.mark.parametrize(("language", "heading"), [("en", "Disease status"), ("fr", "Statut")])
    def test_shows_labels_not_codes(
        self, site_a, coordinator, investigator, data_manager, production_list, language, heading
    ) -> None:
        _randomized(site_a, coordinator, investigator)

        page = (
            _client(data_manager)
            .get("/randomization/report/", HTTP_ACCEPT_LANGUAGE=language)
            .content.decode()
        )

        regimen, status = _labels(language)
        assert heading in page
        assert f"<td>{regimen}</td><td>{status}</td><td>PAR</td>" in page
        assert "first_relapse" not in page and "<td>IC</td>" not in page


class TestResultEmailLanguage:
    def test_each_recipient_reads_the_result_in_their_language_and_site_time(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        site_a.time_zone = "America/New_York"
        site_a.save()
        coordinator.email, investigator.email = "coord@a.example", "inv@a.example"
        coordinator.language = "fr"
        coordinator.save()
        investigator.save()

        randomization = _randomized(site_a, coordinator, investigator)

        english = OutboundMessage.objects.get(dedup_key=f"{RESULT}:{randomization.pk}")
        french = OutboundMessage.objects.get(dedup_key=f"{RESULT}:{randomization.pk}:fr")
        assert english.recipients == ["inv@a.example"]
        assert french.recipients == ["coord@a.example"]
        assert "randomised:" in english.subject and "Allocated arm" in english.body
        assert "randomisé" in french.subject and "Bras alloué" in french.body
        assert randomization.get_arm_display() in english.body
        with translation.override("fr"):
            assert randomization.get_arm_display() in french.body
        # 10:00 UTC is 05:00 in New York (EST), named.
        assert "2026-11-02 05:00 EST" in english.body
        assert "2026-11-02 05:00 EST" in french.body

    def test_a_repeated_request_queues_no_second_message_in_any_language(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        coordinator.email, coordinator.language = "coord@a.example", "fr"
        coordinator.save()
        randomization = _randomized(site_a, coordinator, investigator)

        services.patient_randomize(patient=randomization.patient, by=coordinator, now=NOW)

        assert OutboundMessage.objects.filter(kind=RESULT).count() == 1


class TestTimesInTheSiteZone:
    def test_a_site_zone_is_named_and_an_unknown_one_falls_back_to_the_trial_zone(
        self, settings
    ) -> None:
        settings.TIME_ZONE = "UTC"
        with translation.override("en"):
            new_york = in_time_zone(NOW, Site(code="NYC", time_zone="America/New_York"))
            unknown = in_time_zone(NOW, Site(code="XX", time_zone="Nowhere/Atlantis"))

        assert new_york == "2026-11-02 05:00 EST"
        assert unknown == "2026-11-02 10:00 UTC"
