"""Signing in and out in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


class TestLogin:
    def test_a_coordinator_signs_in_and_sees_name_role_and_site(
        self, page, login, coordinator, screenshot
    ) -> None:
        login("coord_a")

        who = page.get_by_test_id("who")
        expect(who).to_contain_text("Site coordinator")
        expect(who).to_contain_text("PAR")
        screenshot("home-coordinator")

    def test_a_wrong_password_keeps_the_user_out_with_a_message(
        self, page, login, coordinator, screenshot
    ) -> None:
        login("coord_a", "not-the-password")

        expect(page).to_have_url(re.compile("/accounts/login/"))
        expect(page.get_by_role("alert")).to_be_visible()
        screenshot("login-refused")

    def test_signing_out_returns_to_the_login_page(self, page, login, coordinator) -> None:
        login("coord_a")

        page.get_by_role("button", name="Log out").click()

        expect(page).to_have_url(re.compile("/accounts/login/"))
        page.goto("/")
        expect(page).to_have_url(re.compile("/accounts/login/"))
