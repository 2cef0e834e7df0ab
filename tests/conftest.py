from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone, translation

from tests.factories import SiteFactory, protocol_with_criteria, user_with_role
from trial.models import Role, Site, User


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Exports and the analysis pages' cache go to a directory of the test, not the checkout."""
    root = tmp_path_factory.mktemp("media")
    settings.MEDIA_ROOT = root
    return root


@pytest.fixture(autouse=True)
def empty_cache() -> Any:
    """Every test starts with an empty cache: on SQLite a rolled-back test's ids are handed out
    again, so the next test's records could carry the versions a page cached its counts by."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def default_language_and_zone(settings) -> Any:
    """Every test starts in the default language and the trial's time zone: a page requested
    in French activates French for the rest of its thread, as Django's own LocaleMiddleware does."""
    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()
    yield
    translation.activate(settings.LANGUAGE_CODE)
    timezone.deactivate()


@pytest.fixture
def site_a(db: None) -> Site:
    return SiteFactory(code="PAR", name="Paris Saint-Louis")


@pytest.fixture
def site_b(db: None) -> Site:
    return SiteFactory(code="LYO", name="Lyon Sud")


@pytest.fixture
def protocol(db: None):
    return protocol_with_criteria()


@pytest.fixture
def coordinator(site_a: Site) -> User:
    return user_with_role(Role.SITE_COORDINATOR, site_a, "coord_a")


@pytest.fixture
def investigator(site_a: Site) -> User:
    return user_with_role(Role.INVESTIGATOR, site_a, "inv_a")


@pytest.fixture
def coordinator_b(site_b: Site) -> User:
    return user_with_role(Role.SITE_COORDINATOR, site_b, "coord_b")


@pytest.fixture
def investigator_b(site_b: Site) -> User:
    return user_with_role(Role.INVESTIGATOR, site_b, "inv_b")


@pytest.fixture
def data_manager(db: None) -> User:
    return user_with_role(Role.DATA_MANAGER, None, "dm")


@pytest.fixture
def monitor(site_a: Site) -> User:
    return user_with_role(Role.MONITOR, site_a, "monitor_a")


@pytest.fixture
def statistician(db: None) -> User:
    return user_with_role(Role.STATISTICIAN, None, "stat")


@pytest.fixture
def sponsor_admin(db: None) -> User:
    return user_with_role(Role.SPONSOR_ADMIN, None, "sponsor")


# The figures of the schemathesis run (tests/test_api_fuzz.py), from this process or, when the
# tests run on several xdist workers, from the worker that ran it.
_FUZZ_LINES: list[str] = []


def _fuzz_line() -> str | None:
    fuzz = sys.modules.get("tests.test_api_fuzz")
    return fuzz.fuzz_summary() if fuzz is not None else None


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    line = _fuzz_line()
    if workeroutput is not None and line:
        workeroutput["fuzz_summary"] = line


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    line = getattr(node, "workeroutput", {}).get("fuzz_summary")
    if line:
        _FUZZ_LINES.append(line)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The figures of the schemathesis run, when it ran."""
    for line in [*filter(None, [_fuzz_line()]), *_FUZZ_LINES]:
        terminalreporter.write_sep("-", line)


@pytest.fixture
def genes_recorded_by_the_factories(settings: Any) -> None:
    """The factories record NPM1 and FLT3-ITD only: require just NPM1 at enrolment, so that an
    enrolment opens no data query of its own where a test counts queries."""
    settings.TRIAL_CLEANING = {**settings.TRIAL_CLEANING, "BASELINE_REQUIRED_GENES": ["NPM1"]}
