"""Every page a coordinator, an investigator, a monitor (ARC), a data manager and a statistician
reach in the demo trial, walked in French: no page shows an English text the catalogue
translates, nor a raw code where a label exists (issue 18).

The walk starts at each user's home page and follows the links of every page it opens (a few
pages of each URL pattern: the patient page of a few patients, not of all), as the user
would; the analysis pages are reached from a cut-off the data manager freezes first."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve
from django.utils import timezone

from analysis.services import cutoff_freeze
from tests.page_text import english_in, raw_codes_in, visible_text
from trial.models import User

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 2)
ROLES = ("coordinator", "investigator", "monitor", "datamanager", "statistician")
PAGES_PER_PATTERN = 1
# Never followed: the API and the admin (English for programmers and operators), signing out,
# and files.
SKIPPED_PREFIXES = ("/api/", "/admin/", "/accounts/logout/", "/static/", "/media/")
FILE = re.compile(r"\.\w{2,4}$")  # casebook.pdf, km/OS.svg, estimates.csv …
# The arms' codes are what the statistician's tables show, as in the protocol (DEX, CTRL); on
# the analysis pages "IC" is French for a confidence interval (« IC à 95 % »).
ALLOWED_CODES = frozenset({"DEX", "CTRL"})
ALLOWED_ON_ANALYSIS_PAGES = frozenset({"IC"})


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _links(html: str) -> Iterator[str]:
    parser = _Links()
    parser.feed(html)
    for href in parser.hrefs:
        url = urldefrag(href)[0]
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not url.startswith("/"):
            continue
        if url.startswith(SKIPPED_PREFIXES) or FILE.search(parts.path):
            continue
        yield url


@dataclass
class Walk:
    """The pages one user opened, and what was wrong on them."""

    user: str
    pages: int = 0
    findings: dict[str, list[str]] = field(default_factory=dict)


def _walk(client: Client, username: str) -> Walk:
    walk = Walk(username)
    seen: set[str] = set()
    per_pattern: Counter[str] = Counter()
    queue = ["/"]
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        try:
            match = resolve(urlsplit(url).path)
        except Resolver404:
            walk.findings[url] = ["links to a page that does not exist"]
            continue
        pattern = match.route
        if per_pattern[pattern] >= PAGES_PER_PATTERN:
            continue
        per_pattern[pattern] += 1
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
        if response.status_code >= 500:
            walk.findings[url] = [f"status {response.status_code}"]
            continue
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        walk.pages += 1
        html = response.content.decode()
        text = visible_text(html)
        found = [f"English: {e}" for e in english_in(text, phrases_only=True)]
        allowed = ALLOWED_CODES | (
            ALLOWED_ON_ANALYSIS_PAGES if url.startswith("/analysis/") else set()
        )
        found += [f"code: {c}" for c in raw_codes_in(text, allowed=allowed)]
        if found:
            walk.findings[url] = found
        queue += [link for link in _links(html) if link not in seen]
    return walk


@pytest.fixture
def demo() -> dict[str, User]:
    call_command("seed_demo", "--today", TODAY.isoformat(), stdout=StringIO())
    users = {name: User.objects.get(username=name) for name in ROLES}
    for user in users.values():
        user.language = "fr"
        user.save()
    cutoff_freeze(
        by=users["datamanager"],
        cutoff_date=TODAY - dt.timedelta(days=1),
        reason="Analyse intermédiaire",
        now=timezone.now(),
    )
    return users


class TestFrenchPages:
    def test_no_page_of_the_five_roles_shows_english_or_a_raw_code(
        self, demo: dict[str, User]
    ) -> None:
        walks = []
        for name, user in demo.items():
            client = Client()
            client.force_login(user)
            walks.append(_walk(client, name))

        report = {
            f"{w.user} {url}": found for w in walks for url, found in sorted(w.findings.items())
        }
        assert all(w.pages >= 5 for w in walks), {w.user: w.pages for w in walks}
        assert report == {}, "\n".join(f"{page}: {found}" for page, found in report.items())


class TestWhatTheWalkLooksFor:
    def test_visible_text_leaves_out_code_typed_text_and_the_protocols_words(self) -> None:
        html = (
            '<p title="Sign in">Bonjour</p><script>var x = "Sign in";</script>'
            "<textarea>Entered in error</textarea><td data-user-text>Back</td>"
            "<div data-protocol-text><p>Age 18 or older.</p><br><p>First relapse</p></div>"
            "<p>Fin</p>"
        )

        assert visible_text(html).splitlines() == ["Sign in", "Bonjour", "Fin"]

    def test_english_catalogue_phrases_and_raw_codes_are_found(self) -> None:
        text = "Statut : Manquée\nPatient in first_relapse\nSaisie erronée : False\nBack to the patient"

        assert "Back to the patient" in english_in(text, phrases_only=True)
        assert raw_codes_in(text) == ["False", "first_relapse"]
        assert raw_codes_in("IC à 95 %", allowed={"IC"}) == []
        assert raw_codes_in("État morphologique sans leucémie (MLFS)") == []
