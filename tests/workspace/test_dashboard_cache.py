"""The dashboard's counts are kept in the cache by the version of the records they count and by
the sites the user may see: a change shows at once, another scope never sees them, and the
overdue SAE reports follow the clock (workspace/selectors/dashboard.py). The home page keeps the
tables it renders by the dashboard's version and the language."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import NOW, randomized_patient, screened_patient, user_with_role
from trial.models import Role, Site, User
from workspace.selectors.dashboard import Dashboard, trial_dashboard

pytestmark = pytest.mark.django_db


def _counted(user: User, now: dt.datetime = NOW) -> tuple[Dashboard, int]:
    with CaptureQueriesContext(connection) as queries:
        board = trial_dashboard(user=user, now=now)
    return board, len(queries)


class TestCachedDashboard:
    def test_a_second_load_reads_the_counts_kept_and_shows_the_same(
        self, site_a: Site, coordinator: User, investigator: User, data_manager: User
    ) -> None:
        randomized_patient(site_a, coordinator, investigator)
        screened_patient(site_a, coordinator)

        first, counted = _counted(data_manager)
        again, read = _counted(data_manager)

        assert read < counted
        assert again.sites == first.sites and again.strata == first.strata
        assert (again.totals.screened, again.totals.randomized) == (2, 1)

    def test_a_new_patient_counts_at_once(
        self, site_a: Site, coordinator: User, data_manager: User
    ) -> None:
        screened_patient(site_a, coordinator)
        before, _ = _counted(data_manager)

        screened_patient(site_a, coordinator)
        after, _ = _counted(data_manager)

        assert (before.totals.screened, after.totals.screened) == (1, 2)

    def test_a_raised_query_counts_at_once(
        self, site_a: Site, coordinator: User, data_manager: User, query_open
    ) -> None:
        patient = screened_patient(site_a, coordinator)
        before, _ = _counted(data_manager)

        query_open(patient, "sex")
        after, _ = _counted(data_manager)

        assert (before.totals.open_queries, after.totals.open_queries) == (0, 1)

    def test_a_monitor_of_one_site_never_reads_the_counts_of_every_site(
        self,
        site_a: Site,
        site_b: Site,
        coordinator: User,
        coordinator_b: User,
        data_manager: User,
    ) -> None:
        monitor = user_with_role(Role.MONITOR, site_a)
        screened_patient(site_a, coordinator)
        screened_patient(site_b, coordinator_b)
        everyone, _ = _counted(data_manager)  # kept for every site

        own, _ = _counted(monitor)

        assert [row.code for row in everyone.sites] == sorted([site_a.code, site_b.code])
        assert [row.code for row in own.sites] == [site_a.code]
        assert own.totals.screened == 1

    def test_an_sae_report_becomes_overdue_with_time_alone(
        self,
        site_a: Site,
        coordinator: User,
        investigator: User,
        data_manager: User,
        adverse_event_record,
    ) -> None:
        patient = randomized_patient(site_a, coordinator, investigator)
        adverse_event_record(
            patient,
            term_text="Sepsis",
            grade=4,
            serious=True,
            start_date=dt.date(2026, 11, 10),
            report_due_at=NOW + dt.timedelta(hours=1),
        )

        due, _ = _counted(data_manager)
        still_due, _ = _counted(data_manager, NOW + dt.timedelta(minutes=30))
        late, _ = _counted(data_manager, NOW + dt.timedelta(hours=2))

        assert (due.totals.sae_overdue, late.totals.sae_overdue) == (0, 1)
        # the page keeps its tables by the version: the same until the report is overdue
        assert due.version == still_due.version != late.version


def _screened_total(user: User, **headers: str) -> str:
    """The home page's count of screened patients in all sites, and its language's heading."""
    client = Client()
    client.force_login(user)
    page = client.get(reverse("workspace:home"), **headers).text
    total = re.search(r"<tfoot><tr><th[^>]*>[^<]*</th><td><a [^>]*>(\d+)</a>", page)
    assert total, "no totals row on the dashboard"
    french = "Inclusions et randomisation par centre" in page
    return f"{total.group(1)} {'fr' if french else 'en'}"


class TestRenderedTables:
    def test_the_tables_are_rendered_once_per_version(
        self, site_a: Site, coordinator: User, data_manager: User
    ) -> None:
        screened_patient(site_a, coordinator)
        board = trial_dashboard(user=data_manager, now=NOW)
        other = replace(board, totals=replace(board.totals, screened=987654))

        def tables(dashboard: Dashboard) -> str:
            return render_to_string("workspace/_dashboard.html", {"dashboard": dashboard})

        assert ">1</a>" in tables(board)
        assert "987654" not in tables(other)  # the same version: the tables kept are shown
        assert "987654" in tables(replace(other, version="another"))

    def test_the_home_page_shows_a_change_at_once_in_each_language(
        self, site_a: Site, coordinator: User, data_manager: User
    ) -> None:
        screened_patient(site_a, coordinator)
        before = _screened_total(data_manager), _screened_total(data_manager)
        french = _screened_total(data_manager, HTTP_ACCEPT_LANGUAGE="fr")

        screened_patient(site_a, coordinator)

        assert before == ("1 en", "1 en") and french == "1 fr"
        assert _screened_total(data_manager) == "2 en"
        assert _screened_total(data_manager, HTTP_ACCEPT_LANGUAGE="fr") == "2 fr"
