"""A coordinator takes a patient from screening to enrolment in the browser, with the
investigator's confirmation in between; another site's coordinator cannot reach the patient."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import protocol_with_criteria
from trial.models import Patient

pytestmark = pytest.mark.django_db(transaction=True)


def _iso(day: dt.date) -> str:
    return day.isoformat()


class TestScreeningToEnrolmentJourney:
    def test_coordinator_screens_and_enrols_after_the_investigator_confirms(
        self, page, login, screenshot, coordinator, investigator, coordinator_b
    ) -> None:
        protocol_with_criteria()
        today = timezone.localdate()
        login("coord_a")

        page.get_by_role("link", name="New screening").first.click()
        page.fill("#id_screening_date", _iso(today - dt.timedelta(days=6)))
        page.select_option("#id_sex", "F")
        page.fill("#id_age_at_screening", "61")
        screenshot("screening-new")
        page.get_by_role("button", name="Add to the screening log").click()
        expect(page.get_by_role("link", name="Record consent")).to_be_visible()
        patient = Patient.objects.get()
        expect(page).to_have_url(re.compile(f"/patients/{patient.pk}/$"))

        page.get_by_role("link", name="Record consent").click()
        page.fill("#id_consent_date", _iso(today - dt.timedelta(days=5)))
        page.fill("#id_form_version", "ICF v2.1")
        page.select_option("#id_obtained_by", str(investigator.pk))
        page.get_by_role("button", name="Save consent").click()

        page.get_by_role("link", name="Record baseline").click()
        for field, value in {
            "assessment_date": today - dt.timedelta(days=4),
            "diagnosis_date": today - dt.timedelta(days=500),
            "induction_start_date": today - dt.timedelta(days=495),
            "first_cr_date": today - dt.timedelta(days=450),
            "relapse_date": today - dt.timedelta(days=20),
        }.items():
            page.fill(f"#id_{field}", _iso(value))
        page.select_option("#id_disease_status", "first_relapse")
        page.fill("#id_prior_induction_cycles", "1")
        page.fill("#id_ecog", "1")
        page.fill("#id_wbc", "3.4")
        page.fill("#id_blood_blast_pct", "2")
        page.fill("#id_marrow_blast_pct", "18")
        page.select_option("#id_cytogenetic_risk", "intermediate")
        page.select_option("#id_planned_regimen", "AZA")
        page.select_option("#id_mutation_NPM1", "mutated")
        screenshot("baseline-form")
        page.get_by_role("button", name="Save baseline").click()

        page.get_by_role("link", name="Answer the checklist").click()
        for code, answer in {
            "I1": "yes",
            "I2": "yes",
            "I3": "yes",
            "I4": "yes",
            "E1": "no",
            "E2": "no",
        }.items():
            page.check(f'input[name="answer_{code}"][value="{answer}"]')
        patient_page = re.compile(f"/patients/{patient.pk}/$")
        page.get_by_role("button", name="Save answers").click()
        expect(page).to_have_url(patient_page)
        screenshot("patient-awaiting-confirmation")

        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(re.compile("/accounts/login/"))
        login("inv_a")
        page.goto(f"/patients/{patient.pk}/eligibility/confirm/")
        page.get_by_label("I have checked the source documents").check()
        page.get_by_role("button", name="Confirm eligibility").click()
        expect(page).to_have_url(patient_page)

        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(re.compile("/accounts/login/"))
        login("coord_a")
        page.goto(f"/patients/{patient.pk}/")
        page.get_by_role("link", name="Enrol").click()
        page.get_by_label("Enrol this patient").check()
        page.get_by_role("button", name="Enrol").click()

        expect(page.get_by_test_id("randomisation-section")).to_be_visible()
        expect(page.locator("main")).to_contain_text("PAR-001")
        patient.refresh_from_db()
        assert patient.subject_id == "PAR-001"
        screenshot("patient-enrolled")

        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(re.compile("/accounts/login/"))
        login("coord_b")
        response = page.goto(f"/patients/{patient.pk}/")
        assert response is not None and response.status == 404
        page.goto("/patients/")
        expect(page.get_by_test_id("patients")).to_be_visible()
        expect(page.locator("main")).not_to_contain_text("PAR-001")

    def test_a_form_error_is_shown_beside_its_field_and_keeps_what_was_typed(
        self, page, login, screenshot, coordinator
    ) -> None:
        protocol_with_criteria()
        login("coord_a")

        page.goto("/patients/new/")
        page.fill("#id_screening_date", _iso(timezone.localdate() + dt.timedelta(days=3)))
        page.select_option("#id_sex", "M")
        page.fill("#id_age_at_screening", "70")
        page.get_by_role("button", name="Add to the screening log").click()

        expect(page.get_by_text(re.compile("in the future"))).to_be_visible()
        expect(page.locator("#id_age_at_screening")).to_have_value("70")
        assert Patient.objects.count() == 0
        screenshot("screening-form-error")
