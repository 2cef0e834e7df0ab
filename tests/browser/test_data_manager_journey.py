"""A data manager's analysis in the browser: freeze a cut-off, export the survival datasets and
follow the export to the end, download a file, then read the Kaplan–Meier plot, the hazard ratios
with the subgroup forest plots, the relapse incidence curves, Table 1 and the CONSORT flow. A
site coordinator is refused every analysis page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser._checks import check_page
from tests.factories import randomized_patient, screened_patient
from tests.followup.conftest import end_treatment
from tests.treatment.test_builders import STARTS, record_cycle
from treatment.models import ResponseAssessment
from trial.audit import record_save
from trial.models import Death, DeathCause
from trial.services.screening import patient_screen_fail

pytestmark = pytest.mark.django_db(transaction=True)


def _trial(site, coordinator, investigator) -> None:
    """Four randomised patients, the two in complete remission of whom died, and one screen
    failure."""
    for i, arm in enumerate(["DEX", "CTRL", "DEX", "CTRL"]):
        patient = randomized_patient(site, coordinator, investigator, arm=arm)
        if i >= 2:
            cycle = record_cycle(patient, investigator, STARTS[0])
            response = ResponseAssessment(
                patient=patient,
                cycle=cycle,
                assessment_date=dt.date(2026, 11, 10),
                response="CR",
                marrow_blast_pct=Decimal("2"),  # a CR needs it (ELN 2017; TRT-RESPONSE-BLASTS)
            )
            record_save(instance=response, by=investigator)
        end_treatment(
            patient, investigator, dt.date(2026, 11, 10), "toxicity" if i else "completed"
        )
        if i >= 2:
            day = dt.date(2026, 11, 12 + i)
            record_save(
                instance=Death(patient=patient, death_date=day, cause=DeathCause.LEUKAEMIA),
                by=investigator,
            )
    failed = screened_patient(site, coordinator)
    patient_screen_fail(patient=failed, reason="consent_refused", reason_detail="", by=coordinator)


class TestDataManagerJourney:
    def test_data_manager_freezes_exports_downloads_and_reads_the_report(
        self,
        page,
        login,
        screenshot,
        site_a,
        coordinator,
        investigator,
        data_manager,
        settings,
        tmp_path,
    ) -> None:
        settings.MEDIA_ROOT = tmp_path
        _trial(site_a, coordinator, investigator)
        login("dm")

        page.goto("/analysis/")
        page.get_by_label("Cut-off date").fill(timezone.localdate().isoformat())
        page.get_by_label("Reason").fill("Interim analysis for the DSMB")
        page.get_by_role("button", name="Freeze the cut-off").click()
        expect(page.get_by_test_id("cutoffs")).to_contain_text("Interim analysis for the DSMB")
        check_page(page)
        screenshot("data-manager-analysis-home")

        # The test settings run the export's task eagerly, inside this request: as long a wait.
        page.get_by_role("button", name="Export the survival datasets").first.click(timeout=60_000)
        expect(page.locator("#export-status")).to_have_text("Done", timeout=60_000)
        expect(page.locator("#export-progress")).to_have_attribute("value", "100")
        check_page(page)
        screenshot("data-manager-export")

        with page.expect_download() as download:
            page.get_by_role("link", name="adtte.csv").click()
        content = Path(download.value.path()).read_bytes()
        assert content.startswith(b"STUDYID,USUBJID,")

        page.goto("/analysis/")
        page.get_by_role("link", name="Kaplan–Meier plots").first.click()
        expect(page.get_by_role("heading", name="Kaplan–Meier plot of OS by arm")).to_be_visible()
        image = page.locator("[data-testid=km-os] img")
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") == 960
        expect(page.get_by_test_id("km-os")).to_contain_text("Log-rank test")
        check_page(page)
        screenshot("data-manager-km-plot")

        page.get_by_role("link", name="Hazard ratios and subgroups", exact=True).click()
        expect(page.get_by_role("heading", name="Treatment effect")).to_be_visible()
        expect(page.get_by_test_id("hr-table")).to_contain_text("Overall survival (OS)")
        expect(page.get_by_test_id("hr-table")).to_contain_text("not estimable")
        forest = page.locator("[data-testid=forest-os] img")
        expect(forest).to_have_js_property("complete", True)
        expect(forest).to_have_js_property("naturalWidth", 1200)
        expect(page.get_by_test_id("subgroups-efs")).to_contain_text("interaction p =")
        check_page(page)
        screenshot("data-manager-hazard-ratios-and-subgroups")

        page.get_by_role("link", name="Relapse incidence", exact=True).click()
        expect(page.get_by_role("heading", name="Cumulative incidence of relapse")).to_be_visible()
        curves = page.locator("[data-testid=cir] img")
        expect(curves).to_have_js_property("complete", True)
        expect(curves).to_have_js_property("naturalWidth", 960)
        expect(page.get_by_test_id("cir-table")).to_contain_text("Dexamethasone + salvage")
        expect(page.get_by_test_id("gray-tests")).to_contain_text("Gray's test")
        check_page(page)
        screenshot("data-manager-relapse-incidence")

        page.get_by_role("link", name="Table 1").click()
        expect(page.get_by_test_id("table1")).to_contain_text("Patients")
        check_page(page)
        screenshot("data-manager-table1")

        page.get_by_role("link", name="CONSORT flow").click()
        expect(page.get_by_test_id("consort-screened")).to_have_text("5")
        expect(page.get_by_text("Consent refused: 1")).to_be_visible()
        check_page(page)
        screenshot("data-manager-consort")

    def test_a_coordinator_is_refused_the_analysis_pages(
        self, page, login, site_a, coordinator, data_manager
    ) -> None:
        login("coord_a")

        statuses = [page.goto(url).status for url in ("/analysis/", "/analysis/cutoffs/1/km/")]

        assert statuses == [403, 403]
