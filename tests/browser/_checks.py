"""Checks every page of the browser journeys goes through: labels, the ids that aria attributes
name, no sideways scrolling; and axe-core (static/js/axe.min.js, vendored from npm like htmx)
for the main pages."""

from __future__ import annotations

from playwright.sync_api import Page

AXE_URL = "/static/js/axe.min.js"

UNLABELLED = """() => Array.from(document.querySelectorAll('input,select,textarea'))
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.id)"""

DANGLING_ARIA = """() => Array.from(document.querySelectorAll('[aria-describedby],[aria-labelledby]'))
  .flatMap(el => ['aria-describedby', 'aria-labelledby'].flatMap(attribute =>
    (el.getAttribute(attribute) || '').split(/\\s+/).filter(Boolean)
      .filter(id => !document.getElementById(id))
      .map(id => `${el.name || el.id || el.tagName} ${attribute}=${id}`)))"""

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => `${v.id} (${v.impact}): ` + v.nodes.slice(0, 5).map(n => n.target.join(' ')).join(', '));
}"""

OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def unlabelled_inputs(page: Page) -> list[str]:
    return list(page.evaluate(UNLABELLED))


def dangling_aria(page: Page) -> list[str]:
    """aria-describedby / aria-labelledby ids that are not on the page."""
    return list(page.evaluate(DANGLING_ARIA))


def axe_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page (colour contrast included)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)  # from this site, as a strict CSP allows
    return list(page.evaluate(AXE_RUN))


def horizontal_overflow(page: Page) -> int:
    return int(page.evaluate(OVERFLOW))


def check_page(page: Page) -> None:
    """Every visible input has a label, every id an aria attribute names is on the page, and
    the page does not scroll sideways."""
    assert unlabelled_inputs(page) == [], page.url
    assert dangling_aria(page) == [], page.url
    assert horizontal_overflow(page) <= 0, page.url
