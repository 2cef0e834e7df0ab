"""Data cleaning in the browser: a monitor raises a query on a visit's contact date; the site
coordinator sees it on the home page, corrects the date through the visit's form with a reason
and answers; the monitor closes it. Then a soft edit check: a visit saved outside its window
opens a system query beside the date, which closes itself once the date is corrected."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from cleaning.models import DataQuery
from tests.browser._checks import check_page
from tests.cleaning.conftest import visit_done_lately

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("genes_recorded_by_the_factories"),
]


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile("/accounts/login/"))


class TestDataQueryJourney:
    def test_a_query_is_raised_answered_with_a_correction_and_closed(
        self, page, login, screenshot, site_a, coordinator, investigator, monitor
    ) -> None:
        visit = visit_done_lately(site_a, coordinator, investigator)
        followup = f"/followup/patients/{visit.patient_id}/"
        assert visit.contact_date is not None
        corrected = visit.contact_date - dt.timedelta(days=1)

        login("monitor_a")
        page.goto(followup)
        page.get_by_test_id("raise-query-visit-1").click()
        expect(page.get_by_label("About")).to_have_value("contact_date")
        page.get_by_label("Category").select_option("inconsistent")
        page.get_by_label("Question").fill("The hospital record says the visit was a day earlier.")
        check_page(page)
        screenshot("query-raise")
        page.get_by_role("button", name="Raise the query").click()
        expect(page.get_by_test_id("query-state")).to_have_text("Open")
        expect(page.get_by_test_id("query-field")).to_have_text("Contact date")
        screenshot("query-raised")
        _log_out(page)

        login("coord_a")
        expect(page.get_by_test_id("open-query-count")).to_have_text("1")
        check_page(page)
        screenshot("query-home-coordinator")
        query = DataQuery.objects.get(origin="manual")
        page.get_by_role("link", name=f"#{query.pk}", exact=True).click()
        page.get_by_test_id("correct-link").click()
        expect(page.get_by_test_id("linked-query")).to_contain_text(f"query #{query.pk}")
        expect(page.locator("#id_reason")).to_have_value(f"Answer to query #{query.pk}: ")
        page.fill("#id_contact_date", corrected.isoformat())
        page.fill("#id_reason", f"Answer to query #{query.pk}: date copied from the wrong letter")
        check_page(page)
        screenshot("query-correction-form")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_test_id("corrections")).to_contain_text(corrected.isoformat())
        page.get_by_role("textbox", name=re.compile("^Answer")).fill(
            f"Corrected to {corrected:%Y-%m-%d} from the letter."
        )
        page.get_by_role("button", name="Send the answer").click()
        expect(page.get_by_test_id("query-state")).to_have_text("Answered")
        screenshot("query-answered")
        _log_out(page)

        login("monitor_a")
        page.goto(f"/queries/{query.pk}/")
        page.get_by_role("textbox", name="Closing note").fill("Verified against the source.")
        page.get_by_role("button", name="Close the query").click()
        expect(page.get_by_test_id("query-state")).to_have_text("Closed")
        expect(page.get_by_test_id("thread")).to_contain_text("Answered → Closed")
        check_page(page)
        screenshot("query-closed")
        visit.refresh_from_db()
        assert visit.contact_date == corrected
        assert f"query #{query.pk}" in visit.history.first().history_change_reason

    def test_a_soft_edit_check_opens_a_query_beside_the_date_and_closes_itself(
        self, page, login, screenshot, site_a, coordinator, investigator
    ) -> None:
        visit = visit_done_lately(site_a, coordinator, investigator)
        in_window = visit.contact_date
        outside = visit.window_opens - dt.timedelta(days=5)
        form = f"/followup/patients/{visit.patient_id}/visits/{visit.pk}/record/"
        contact = page.get_by_test_id("visit-1-contact")

        login("coord_a")
        page.goto(form)
        page.fill("#id_contact_date", outside.isoformat())
        page.fill("#id_reason", "Date of the phone call, not of the letter")
        page.get_by_role("button", name="Save").click()
        expect(contact.get_by_test_id("query-marker")).to_contain_text("outside its window")
        check_page(page)
        screenshot("edit-check-flagged")

        page.goto(form)
        expect(page.get_by_test_id("record-queries")).to_contain_text("outside its window")
        page.fill("#id_contact_date", in_window.isoformat())
        page.fill("#id_reason", "Back to the date of the letter")
        page.get_by_role("button", name="Save").click()
        expect(contact).to_contain_text(in_window.isoformat())
        expect(contact.get_by_test_id("query-marker")).to_have_count(0)
        query = DataQuery.objects.get(rule_id="FU-VISIT-WINDOW")
        page.goto(f"/queries/{query.pk}/")
        expect(page.get_by_test_id("query-state")).to_have_text("Closed")
        expect(page.get_by_test_id("thread")).to_contain_text("the data now satisfy the check")
        check_page(page)
        screenshot("edit-check-closed-itself")
