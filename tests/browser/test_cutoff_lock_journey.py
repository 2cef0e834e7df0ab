"""A data manager locks a cut-off in the browser and exports it; a correction made afterwards
does not change the export of the locked cut-off (docs/protocol.md "Endpoints the data
managers export")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from analysis.services import cutoff_freeze
from tests.browser._checks import check_page
from tests.browser.test_data_manager_journey import _trial
from trial.audit import record_save
from trial.models import Death

pytestmark = pytest.mark.django_db(transaction=True)


def _export(page: Page) -> str:
    """Export the cut-off from the analysis page; the checksum the export page shows."""
    page.goto("/analysis/")
    # The test settings run the export's task eagerly, inside this request: as long a wait.
    page.get_by_role("button", name="Export the survival datasets").first.click(timeout=60_000)
    expect(page.locator("#export-status")).to_have_text("Done", timeout=60_000)
    expect(page.get_by_test_id("export-finality")).to_contain_text("Final:")
    return page.locator("#export-checksum").inner_text()


class TestCutoffLockJourney:
    def test_a_locked_cut_off_exports_the_same_files_after_a_correction(
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
        today = timezone.localdate()
        cutoff_freeze(by=data_manager, cutoff_date=today, reason="DSMB", now=timezone.now())
        login("dm")

        page.goto("/analysis/")
        lock_cell = page.get_by_test_id(f"cutoff-lock-{today:%Y-%m-%d}")
        expect(lock_cell).to_contain_text("Not locked")
        lock_cell.get_by_label("Why lock it").fill("Database lock for the DSMB")
        lock_cell.get_by_role("button", name="Lock the cut-off").click(timeout=60_000)
        expect(lock_cell).to_contain_text("Locked by dm", timeout=60_000)
        check_page(page)
        screenshot("data-manager-cutoff-locked")
        first = _export(page)
        with page.expect_download() as download:
            page.get_by_role("link", name="manifest.json").click()
        assert b'"status": "locked"' in Path(download.value.path()).read_bytes()

        death = Death.objects.filter(entered_in_error=False).first()
        assert death is not None
        death.death_date -= dt.timedelta(days=1)
        record_save(instance=death, by=investigator, reason="Date from the death certificate")
        second = _export(page)

        assert len(first) == 64 and second == first
        screenshot("data-manager-locked-export")
