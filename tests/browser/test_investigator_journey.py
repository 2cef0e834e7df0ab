"""An investigator's treatment period in the browser: a cycle, a response and a serious
adverse event entered on forms that know the arm, then the signature; each record has a history."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser._checks import check_page
from tests.browser.conftest import PASSWORD
from tests.factories import randomized_patient
from treatment.models import AdverseEvent, CtcaeTerm, Cycle, ResponseAssessment, Signature

pytestmark = pytest.mark.django_db(transaction=True)


class TestInvestigatorJourney:
    def test_investigator_records_a_cycle_a_response_and_an_sae_then_signs(
        self, page, login, screenshot, site_a, coordinator, investigator
    ) -> None:
        today = timezone.localdate()
        patient = randomized_patient(
            site_a,
            coordinator,
            investigator,
            arm="DEX",
            regimen="IC",
            randomized_at=timezone.now() - dt.timedelta(days=40),
        )
        sepsis, _ = CtcaeTerm.objects.get_or_create(
            term="Sepsis", defaults={"soc": "Infections and infestations"}
        )
        login("inv_a")
        screenshot("home-investigator")
        check_page(page)

        page.goto(f"/patients/{patient.pk}/treatment/")
        page.get_by_role("link", name="Record a cycle").click()
        expect(page.get_by_text("Dexamethasone arm: expected with each cycle.")).to_be_visible()
        page.fill("#id_start_date", (today - dt.timedelta(days=35)).isoformat())
        page.fill("#id_height_cm", "170")
        page.fill("#id_weight_kg", "70")
        for drug, dose in {
            "amsacrine": "120",
            "cytarabine": "6000",
            "dexamethasone": "160",
        }.items():
            page.fill(f"#id_{drug}_planned", dose)
            page.fill(f"#id_{drug}_given", dose)
        screenshot("cycle-form")
        check_page(page)
        timeline = re.compile(f"/patients/{patient.pk}/treatment/$")
        page.get_by_role("button", name="Save").click()
        expect(page).to_have_url(timeline)
        assert Cycle.objects.filter(patient=patient).count() == 1

        page.get_by_role("link", name="Record a response assessment").click()
        page.fill("#id_assessment_date", (today - dt.timedelta(days=5)).isoformat())
        page.select_option("#id_response", "CR")
        page.fill("#id_marrow_blast_pct", "2")
        page.get_by_role("button", name="Save").click()
        expect(page).to_have_url(timeline)
        assert ResponseAssessment.objects.filter(patient=patient).count() == 1

        page.get_by_role("link", name="Record an adverse event").click()
        page.select_option("#id_term", str(sepsis.pk))
        page.select_option("#id_grade", "3")
        page.fill("#id_start_date", (today - dt.timedelta(days=2)).isoformat())
        page.select_option("#id_relation_dexamethasone", index=1)
        page.select_option("#id_relation_salvage", index=1)
        page.check("#id_serious")
        screenshot("ae-form")
        check_page(page)
        page.get_by_role("button", name="Save").click()
        expect(page).to_have_url(timeline)
        assert AdverseEvent.objects.get(patient=patient).serious
        screenshot("treatment-timeline")
        check_page(page)

        page.get_by_role("link", name="Sign the treatment-period records").click()
        page.locator('input[name="meaning"]').first.check()
        page.fill("#id_password", PASSWORD)
        screenshot("sign-page")
        check_page(page)
        page.get_by_role("button", name="Sign").click()
        expect(page).to_have_url(timeline)
        assert Signature.objects.filter(patient=patient, broken_at__isnull=True).count() == 1

        page.locator("a", has_text="History").first.click()
        expect(page.get_by_role("columnheader", name="Who")).to_be_visible()
        expect(page.get_by_role("columnheader", name="Changes (old → new)")).to_be_visible()
        screenshot("history-page")
        check_page(page)
