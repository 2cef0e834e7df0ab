"""The pages work under the Content-Security-Policy: no inline script or style is needed, htmx
and the pages' own scripts run, and what the policy forbids is really blocked."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import randomized_patient, screened_patient

pytestmark = pytest.mark.django_db(transaction=True)


class TestContentSecurityPolicy:
    def test_pages_send_a_policy_without_inline_scripts(self, page, login, coordinator) -> None:
        response = page.goto("/accounts/login/")

        assert response is not None
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy

    def test_an_inline_script_is_blocked_and_reported(
        self, page, login, coordinator, csp_violations
    ) -> None:
        login("coord_a")

        page.evaluate(
            """() => { const s = document.createElement('script');
                       s.textContent = 'window.injected = true'; document.body.append(s); }"""
        )

        expect(page.get_by_role("button", name="Log out")).to_be_visible()
        assert page.evaluate("() => window.injected === undefined")
        page.wait_for_timeout(200)  # the violation event is dispatched asynchronously
        assert any("script-src" in v for v in csp_violations)
        csp_violations.clear()  # expected here; the page fixture fails on any other

    def test_htmx_filters_the_patient_list(self, page, login, site_a, coordinator) -> None:
        first = screened_patient(site_a, coordinator)
        screened_patient(site_a, coordinator)
        login("coord_a")
        page.goto("/patients/")
        rows = page.locator("[data-testid=patients] tbody tr")
        expect(rows).to_have_count(2)

        with page.expect_request(lambda r: r.headers.get("hx-request") == "true"):
            page.fill("#id_q", first.screening_number)

        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(first.screening_number)

    def test_the_print_button_prints_the_confirmation(
        self, page, login, site_a, coordinator, investigator
    ) -> None:
        patient = randomized_patient(site_a, coordinator, investigator)
        page.add_init_script("window.print = function () { document.body.dataset.printed = '1'; }")
        login("coord_a")
        page.goto(f"/randomization/patients/{patient.pk}/")

        page.get_by_role("button", name="Print confirmation").click()

        expect(page.locator("body")).to_have_attribute("data-printed", "1")

    def test_the_api_documentation_and_the_admin_render(self, page, login, sponsor_admin) -> None:
        login("sponsor")

        page.goto("/api/docs/")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("DEXAML-03")
        page.goto("/admin/")
        expect(page).to_have_url(re.compile("/admin/$"))
        expect(page.get_by_role("link", name=re.compile("Access attempts"))).to_be_visible()
