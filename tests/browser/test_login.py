"""Signing in and out in a real browser."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


class TestLogin:
    def test_a_coordinator_signs_in_and_sees_name_role_and_site(
        self, page, login, coordinator, screenshot
    ) -> None:
        login("coord_a")

        who = page.get_by_test_id("who")
        assert "Site coordinator" in who.inner_text()
        assert "PAR" in who.inner_text()
        screenshot("home-coordinator")

    def test_a_wrong_password_keeps_the_user_out_with_a_message(
        self, page, login, coordinator, screenshot
    ) -> None:
        login("coord_a", "not-the-password")

        assert "/accounts/login/" in page.url
        assert page.get_by_role("alert").is_visible()
        screenshot("login-refused")

    def test_signing_out_returns_to_the_login_page(self, page, login, coordinator) -> None:
        login("coord_a")

        page.get_by_role("button", name="Log out").click()

        assert "/accounts/login/" in page.url
        page.goto("/")
        assert "/accounts/login/" in page.url
