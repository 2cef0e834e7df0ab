"""Checks every page of the browser journeys goes through: labels, no sideways scrolling."""

from __future__ import annotations

from playwright.sync_api import Page

UNLABELLED = """() => Array.from(document.querySelectorAll('input,select,textarea'))
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.id)"""

OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def unlabelled_inputs(page: Page) -> list[str]:
    return list(page.evaluate(UNLABELLED))


def horizontal_overflow(page: Page) -> int:
    return int(page.evaluate(OVERFLOW))


def check_page(page: Page) -> None:
    """Every visible input has a label and the page does not scroll sideways."""
    assert unlabelled_inputs(page) == [], page.url
    assert horizontal_overflow(page) <= 0, page.url
