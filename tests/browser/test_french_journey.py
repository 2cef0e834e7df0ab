"""A coordinator whose language is French takes a patient from screening to randomisation in the
browser (the investigator confirms eligibility in between): every page is in French, and no
page shows an English text that the catalogue translates.

Screenshots of each step go to test-artifacts/i18n-fr/ for a French-speaking reader to check."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, photograph
from tests.page_text import english_texts
from tests.randomization.conftest import active_list
from trial.models import Patient, User

pytestmark = pytest.mark.django_db(transaction=True)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "i18n-fr"


class Journey:
    """The pages of the journey: each step expects its French text, is photographed, and its
    text is kept for the final check."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.texts: dict[str, str] = {}

    def step(self, name: str, french: str | re.Pattern[str]) -> None:
        expect(self.page.locator("html")).to_have_attribute("lang", "fr")
        expect(self.page.locator("main")).to_contain_text(french)
        photograph(self.page, SCREENSHOTS / f"{name}.png")
        # The protocol's own wording (the eligibility criteria, data of a protocol version) is
        # not the interface's: it is left out.
        self.texts[name] = self.page.locator("main").evaluate(
            """main => {
                const copy = main.cloneNode(true);
                copy.querySelectorAll("[data-protocol-text]").forEach(e => e.remove());
                document.body.appendChild(copy);
                const text = copy.innerText;
                copy.remove();
                return text;
            }"""
        )

    def sign_in(self, user: User) -> None:
        self.page.goto(reverse("login"))
        self.page.fill("#id_username", user.username)
        self.page.fill("#id_password", PASSWORD)
        self.page.locator("main form button[type=submit]").click()
        expect(self.page.get_by_test_id("who")).to_be_visible()

    def sign_out(self) -> None:
        self.page.locator("form[action='/accounts/logout/'] button").click()
        expect(self.page.locator("#id_username")).to_be_visible()

    def follow(self, url: str) -> None:
        self.page.locator(f"main a[href='{url}']").first.click()
        expect(self.page).to_have_url(re.compile(re.escape(url) + "$"))

    def submit(self) -> None:
        self.page.locator("main form.form button[type=submit].primary").click()


@pytest.fixture
def journey(page: Page) -> Iterator[Journey]:
    yield Journey(page)


def _french(*users: User) -> None:
    for user in users:
        user.language = "fr"
        user.save()


def _patient_url(name: str, patient: Patient) -> str:
    return reverse(name, kwargs={"patient_id": patient.pk})


class TestFrenchCoordinatorJourney:
    def test_screening_to_randomisation_is_in_french_throughout(
        self,
        journey: Journey,
        coordinator: User,
        investigator: User,
        statistician: User,
        protocol,
    ) -> None:
        active_list(statistician)
        _french(coordinator, investigator)
        today = timezone.localdate()
        page = journey.page
        journey.sign_in(coordinator)
        journey.step("01-home", "Patients en pré-inclusion dans vos centres")

        page.locator(f"a[href='{reverse('trial:patient_screen')}']").first.click()
        expect(page.locator("#id_screening_date")).to_be_visible()
        journey.step("02-screening-form", re.compile("pré-inclusion", re.IGNORECASE))
        page.fill("#id_screening_date", (today - dt.timedelta(days=6)).isoformat())
        page.select_option("#id_sex", "F")
        page.fill("#id_age_at_screening", "61")
        journey.submit()
        expect(page.get_by_test_id("step-state-consent")).to_be_visible()
        patient = Patient.objects.get()
        journey.step("03-patient-screened", "Parcours de pré-inclusion")

        journey.follow(_patient_url("trial:consent_edit", patient))
        journey.step("04-consent-form", re.compile("consentement", re.IGNORECASE))
        page.fill("#id_consent_date", (today - dt.timedelta(days=5)).isoformat())
        page.fill("#id_form_version", "ICF v2.1")
        page.select_option("#id_obtained_by", str(investigator.pk))
        journey.submit()
        expect(page.get_by_test_id("step-state-baseline")).to_be_visible()
        journey.step("05-patient-consented", "Consentement éclairé")

        journey.follow(_patient_url("trial:baseline_edit", patient))
        journey.step("06-baseline-form", re.compile("bilan", re.IGNORECASE))
        for field, days in {
            "assessment_date": 4,
            "diagnosis_date": 500,
            "induction_start_date": 495,
            "first_cr_date": 450,
            "relapse_date": 20,
        }.items():
            page.fill(f"#id_{field}", (today - dt.timedelta(days=days)).isoformat())
        page.select_option("#id_disease_status", "first_relapse")
        page.fill("#id_prior_induction_cycles", "1")
        page.fill("#id_ecog", "1")
        page.fill("#id_wbc", "3.4")
        page.fill("#id_blood_blast_pct", "2")
        page.fill("#id_marrow_blast_pct", "18")
        page.select_option("#id_cytogenetic_risk", "intermediate")
        page.select_option("#id_planned_regimen", "AZA")
        page.select_option("#id_mutation_NPM1", "mutated")
        journey.submit()
        expect(page.get_by_test_id("step-state-eligibility")).to_be_visible()
        journey.step("07-patient-baseline", "Bilan initial")

        journey.follow(_patient_url("trial:eligibility_edit", patient))
        journey.step("08-checklist", re.compile("critères d.éligibilité", re.IGNORECASE))
        for code, answer in {"I1": "yes", "I2": "yes", "I3": "yes", "I4": "yes"}.items():
            page.check(f'input[name="answer_{code}"][value="{answer}"]')
        for code in ("E1", "E2"):
            page.check(f'input[name="answer_{code}"][value="no"]')
        journey.submit()
        expect(page.get_by_test_id("step-state-confirmation")).to_be_visible()
        journey.step("09-patient-awaiting-confirmation", "En attente")

        journey.sign_out()
        journey.sign_in(investigator)
        page.goto(_patient_url("trial:eligibility_confirm", patient))
        expect(page.locator("#id_confirm")).to_be_visible()
        journey.step("10-investigator-confirms", re.compile("investigateur", re.IGNORECASE))
        page.check("#id_confirm")
        journey.submit()
        expect(page).to_have_url(
            re.compile(re.escape(_patient_url("workspace:patient_detail", patient)) + "$")
        )
        journey.sign_out()

        journey.sign_in(coordinator)
        page.goto(_patient_url("workspace:patient_detail", patient))
        journey.follow(_patient_url("trial:patient_enrol", patient))
        journey.step("11-enrol-form", re.compile("inclusion", re.IGNORECASE))
        page.check("#id_confirm")
        journey.submit()
        expect(page.get_by_test_id("randomisation-section")).to_be_visible()
        journey.step("12-patient-enrolled", "Randomiser ce patient")

        journey.follow(_patient_url("randomization:randomize", patient))
        journey.step("13-randomise-confirm", re.compile("stratification", re.IGNORECASE))
        page.check("#id_confirm")
        journey.submit()
        expect(page.get_by_test_id("arm")).to_be_visible()
        journey.step("14-randomisation-result", re.compile("randomisation", re.IGNORECASE))

        english = {
            step: sorted({source for source, pattern in english_texts() if pattern.search(text)})
            for step, text in journey.texts.items()
        }
        assert {step: found for step, found in english.items() if found} == {}, (
            "English text on pages that should be French"
        )


def test_english_texts_match_what_a_reader_sees() -> None:
    """The final check finds an English message in page text, placeholders and all."""
    patterns = dict(english_texts())

    assert patterns["Page %(number)s of %(total)s"].search("Page 2 of 7")
    assert patterns["Read only: %(closed)s"].search("Read only: the record is locked.")
    assert patterns["Back"].search("Back") and not patterns["Back"].search("Backup")
    assert not patterns["Sign in"].search("Signé in extremis")
    assert "%(opens)s to %(closes)s" not in patterns
