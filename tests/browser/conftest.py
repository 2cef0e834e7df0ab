"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against a live server.

Every test here saves screenshots under test-artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "pass-word-123"  # set by tests.factories.UserFactory


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    # Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
    # between page actions are still synchronous and safe. Only for this package's tests.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


# Every page runs under the Content-Security-Policy (config/settings/base.py): a violation is
# reported to the console, by Chromium itself and by this listener, and fails the test.
CSP_LISTENER = """document.addEventListener('securitypolicyviolation', function (e) {
  console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI
                + ' in ' + e.sourceFile + ':' + e.lineNumber);
});"""


def _is_csp_violation(text: str) -> bool:
    return text.startswith("CSP violation") or "Content Security Policy" in text


@pytest.fixture
def csp_violations() -> list[str]:
    """The CSP violations the pages of this test reported (the page fixture fails on any)."""
    return []


@pytest.fixture
def page(browser: Browser, live_server, csp_violations: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url)
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_LISTENER)
    # Assertions wait for the page (auto-retrying expect) instead of reading it right after an
    # action: on a loaded machine the next page may not have arrived yet.
    expect.set_options(timeout=15_000)
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            csp_violations.append(message.text) if _is_csp_violation(message.text) else None
        ),
    )
    yield page
    context.close()
    assert csp_violations == [], "the Content-Security-Policy blocked something"


def photograph(page: Page, path: Path, *, attempts: int = 3) -> Path:
    """A full-page screenshot of what the test has just checked. Chromium now and then refuses
    one capture ("Unable to capture screenshot") and takes the same picture when asked again a
    moment later: that is retried, and any other error or a third refusal fails the test."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, attempts):
        try:
            page.screenshot(path=str(path), full_page=True)
            return path
        except PlaywrightError as error:
            if "Unable to capture screenshot" not in str(error):
                raise
            page.wait_for_timeout(250 * attempt)
    page.screenshot(path=str(path), full_page=True)  # the last attempt: any error fails
    return path


@pytest.fixture
def screenshot(page: Page) -> Callable[[str], Path]:
    def take(name: str) -> Path:
        return photograph(page, SCREENSHOTS / f"{name}.png")

    return take


@pytest.fixture
def login(page: Page) -> Callable[[str], Page]:
    def sign_in(username: str, password: str = PASSWORD) -> Page:
        page.goto("/accounts/login/")
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        signed_in = page.get_by_role("button", name="Log out")
        expect(signed_in.or_(page.get_by_role("alert"))).to_be_visible()
        return page

    return sign_in
