"""The trial statistician imports a list made by an independent statistician: check, read the
report, import, and find it verified."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from randomization.models import AllocationList
from tests.browser._checks import check_page
from tests.randomization.conftest import HAND_MADE_LIST

pytestmark = pytest.mark.django_db(transaction=True)


class TestStatisticianJourney:
    def test_statistician_checks_then_imports_an_external_list(
        self, page, login, screenshot, statistician, tmp_path
    ) -> None:
        path = tmp_path / "independent-list.csv"
        path.write_text(HAND_MADE_LIST, encoding="utf-8")
        login("stat")

        page.get_by_role("link", name="Allocation lists").click()
        page.get_by_role("link", name="Import a list made by an independent statistician").click()
        page.get_by_label("Allocation list (CSV)").set_input_files(str(path))
        page.get_by_label("Code").fill("EXT1")
        page.get_by_label("Purpose").select_option("production")
        page.get_by_label("Method as stated by the statistician").fill("Blocks of 2 and 4, R 4.4")
        page.get_by_label("Declared block sizes").fill("2,4")
        page.get_by_role("button", name="Check the file (dry run)").click()
        report = page.get_by_test_id("import-report")
        expect(report).to_contain_text("the list can be imported")
        assert AllocationList.objects.count() == 0
        screenshot("allocation-list-import-report")
        check_page(page)

        page.get_by_role("button", name="Import list EXT1 (inactive)").click()
        expect(page.get_by_test_id("verify-ok")).to_contain_text("declared block sizes 2, 4")
        expect(page.get_by_test_id("provenance")).to_contain_text("Blocks of 2 and 4, R 4.4")
        screenshot("allocation-list-imported")
        check_page(page)
        assert AllocationList.objects.get().source == "imported"
