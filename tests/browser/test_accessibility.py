"""Every role's home page and the main pages: labels, keyboard reach, no sideways scrolling at
1280×800, on a tablet (768×1024) and on a phone (375×812), axe-core with no serious or critical
violation (colour contrast included), and the inactivity warning before the session ends."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser._checks import axe_violations, check_page, dangling_aria, horizontal_overflow
from tests.factories import randomized_patient

pytestmark = pytest.mark.django_db(transaction=True)

TABLET = {"width": 768, "height": 1024}
PHONE = {"width": 375, "height": 812}


def _tab_until(page, name: str, limit: int = 40) -> bool:
    """Press Tab until the focused element's text or label is `name`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; return (e.innerText || e.value || '')"
            " + '|' + (e.labels && e.labels[0] ? e.labels[0].innerText : ''); }"
        )
        if name in focused:
            return True
    return False


class TestPagesForEveryone:
    def test_the_data_manager_sees_the_dashboard_with_links_to_analysis(
        self, page, login, screenshot, site_a, coordinator, investigator, data_manager
    ) -> None:
        randomized_patient(site_a, coordinator, investigator)
        login(data_manager.username)

        dashboard = page.get_by_test_id("dashboard")
        expect(dashboard).to_contain_text("Enrolment and allocation by site")
        expect(page.get_by_role("link", name="Cut-offs and exports").first).to_be_visible()
        screenshot("home-data-manager")
        check_page(page)
        page.set_viewport_size(TABLET)
        assert horizontal_overflow(page) <= 0
        screenshot("home-data-manager-tablet")

    def test_main_pages_are_keyboard_reachable_and_fit_a_tablet(
        self, page, login, screenshot, site_a, coordinator, investigator
    ) -> None:
        patient = randomized_patient(site_a, coordinator, investigator)
        login("coord_a")

        assert _tab_until(page, "Screen a new patient")
        page.goto("/patients/")
        assert _tab_until(page, "Screening number or subject id")
        page.set_viewport_size(TABLET)
        for url in [
            "/",
            "/patients/",
            f"/patients/{patient.pk}/",
            f"/patients/{patient.pk}/treatment/",
            "/followup/",
            "/patients/new/",
        ]:
            page.goto(url)
            check_page(page)
        screenshot("patient-page-tablet")
        page.goto(f"/patients/{patient.pk}/")
        assert _tab_until(page, "Treatment timeline")

    def test_an_idle_session_warns_then_returns_to_the_login_page(
        self, page, login, settings, coordinator
    ) -> None:
        settings.SESSION_COOKIE_AGE = 6
        login("coord_a")

        expect(page.locator("#session-warning")).to_be_visible(timeout=8_000)
        expect(page).to_have_url(re.compile(r"/accounts/login/.*timeout=1"), timeout=8_000)
        expect(page.get_by_test_id("timed-out")).to_be_visible()
        page.goto("/")  # the server ended the session too
        expect(page).to_have_url(re.compile("/accounts/login/"))


class TestAxe:
    def test_the_coordinators_main_pages_have_no_serious_violation(
        self, page, login, site_a, coordinator, investigator
    ) -> None:
        patient = randomized_patient(site_a, coordinator, investigator)
        login("coord_a")

        for url in [
            "/",
            "/patients/",
            f"/patients/{patient.pk}/",
            f"/patients/{patient.pk}/treatment/",
            "/followup/",
            "/patients/new/",
        ]:
            page.goto(url)
            expect(page.get_by_role("main")).to_be_visible()
            assert axe_violations(page) == [], url

    def test_a_form_with_errors_names_only_ids_on_the_page(
        self, page, login, site_a, coordinator, investigator
    ) -> None:
        patient = randomized_patient(site_a, coordinator, investigator)
        login(investigator.username)
        page.goto(f"/patients/{patient.pk}/treatment/cycles/new/")
        page.get_by_label("Height (cm)").fill("50")

        page.get_by_role("button", name="Save").click()

        expect(page.locator("#id_height_cm_error")).to_be_visible()
        assert dangling_aria(page) == []
        assert axe_violations(page) == []

    def test_the_data_managers_dashboard_has_no_serious_violation(
        self, page, login, site_a, coordinator, investigator, data_manager
    ) -> None:
        randomized_patient(site_a, coordinator, investigator)
        login(data_manager.username)

        expect(page.get_by_test_id("dashboard")).to_be_visible()
        assert axe_violations(page) == []


class TestPhone:
    def test_the_patient_list_worklists_and_dashboard_fit_375_px(
        self, page, login, screenshot, site_a, coordinator, investigator, data_manager
    ) -> None:
        randomized_patient(site_a, coordinator, investigator)
        page.set_viewport_size(PHONE)
        login("coord_a")

        for url, table in [("/", "home"), ("/patients/", "patients"), ("/followup/", "worklist")]:
            page.goto(url)
            expect(page.get_by_role("main")).to_be_visible()
            assert horizontal_overflow(page) <= 0, url
            screenshot(f"phone-{table}")
        expect(page.get_by_test_id("worklist")).to_be_attached()
        login(data_manager.username)
        expect(page.get_by_test_id("dashboard")).to_be_visible()
        assert horizontal_overflow(page) <= 0
        screenshot("phone-dashboard")
