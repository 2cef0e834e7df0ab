"""Verification and locks in the browser: a monitor verifies a patient's forms and sees the
site's progress; a data manager locks the database at a cut-off and a coordinator's correction
of data dated before it is refused with the message; the casebook PDF downloads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser._checks import check_page
from tests.factories import randomized_patient
from trial.models import Consent

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("genes_recorded_by_the_factories"),
]


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile("/accounts/login/"))


class TestVerificationJourney:
    def test_a_monitor_verifies_forms_and_sees_the_site_progress(
        self, page, login, screenshot, site_a, coordinator, investigator, monitor
    ) -> None:
        patient = randomized_patient(site_a, coordinator, investigator)

        login("monitor_a")
        page.goto(f"/patients/{patient.pk}/verification/")
        consent_row = page.locator('tr[data-form="consent"]')
        expect(consent_row.get_by_test_id("form-status")).to_have_text("Complete")
        check_page(page)
        consent_row.get_by_role("checkbox").check()
        page.get_by_role("button", name="Mark the ticked records verified against source").click()
        expect(consent_row.get_by_test_id("form-status")).to_have_text("Verified")
        screenshot("sdv-patient-forms")
        page.get_by_role("link", name="SDV progress of the sites").click()
        expect(page.get_by_test_id("site-sdv-PAR")).to_contain_text(re.compile(r"^1 of \d+"))
        check_page(page)
        screenshot("sdv-site-progress")

    def test_a_database_lock_refuses_a_coordinators_correction_with_the_message(
        self, page, login, screenshot, site_a, coordinator, investigator, data_manager
    ) -> None:
        patient = randomized_patient(site_a, coordinator, investigator)

        login("dm")
        page.goto("/verification/locks/")
        page.get_by_label("Cut-off date").fill("2026-11-30")
        page.get_by_label("Reason or note").fill("Interim analysis")
        check_page(page)
        page.get_by_role("button", name="Lock the database").click()
        expect(page.get_by_test_id("locks")).to_contain_text(
            "Database locked at the 2026-11-30 cut-off"
        )
        screenshot("lock-database")
        _log_out(page)

        login("coord_a")
        page.goto(f"/patients/{patient.pk}/consent/")
        page.get_by_label("Consent form version").fill("ICF v2.2")
        page.get_by_label("Reason for change").fill("Version misread")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("alert").first).to_contain_text(
            "The database is locked at the 2026-11-30 cut-off"
        )
        screenshot("lock-refused")
        assert Consent.objects.get(patient=patient).form_version == "ICF v2.1"

    def test_the_casebook_pdf_downloads(
        self, page, login, tmp_path: Path, site_a, coordinator, investigator, monitor
    ) -> None:
        patient = randomized_patient(site_a, coordinator, investigator)

        login("monitor_a")
        page.goto(f"/patients/{patient.pk}/verification/")
        with page.expect_download() as download_info:
            page.get_by_test_id("casebook-pdf").click()
        target = tmp_path / download_info.value.suggested_filename
        download_info.value.save_as(target)

        assert target.name == f"casebook-{patient.subject_id}.pdf"
        assert target.read_bytes().startswith(b"%PDF")
