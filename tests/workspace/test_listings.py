"""Every count of the dashboard leads to the patients behind it: the listing filters with the
count's own condition, by site, and downloads as CSV. The data manager's follow-up worklist
shows every site's visits."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from followup.models import Visit, VisitStatus
from tests.factories import randomized_patient, screened_patient
from tests.followup.conftest import followup_patient
from trial.models import Site, User
from workspace.selectors.dashboard import trial_dashboard
from workspace.selectors.listings import LISTINGS, listing_table, listing_url

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _missed_visit(site: Site, coordinator: User, investigator: User) -> Visit:
    """A patient whose visit 1 was missed (as the scheduler leaves it)."""
    patient = followup_patient(site, coordinator, investigator)
    visit = Visit(
        patient=patient,
        number=1,
        month=3,
        anchor_date=dt.date(2027, 1, 15),
        target_date=dt.date(2027, 4, 15),
        window_opens=dt.date(2027, 4, 1),
        window_closes=dt.date(2027, 4, 30),
        overdue_from=dt.date(2027, 4, 30),
        missed_from=dt.date(2027, 5, 30),
        status=VisitStatus.MISSED,
    )
    visit.save()
    return visit


@pytest.fixture
def trial(site_a, site_b, coordinator, investigator, coordinator_b, investigator_b) -> None:
    randomized_patient(site_a, coordinator, investigator)
    randomized_patient(site_b, coordinator_b, investigator_b, arm="CTRL")
    screened_patient(site_b, coordinator_b)
    _missed_visit(site_a, coordinator, investigator)
    _missed_visit(site_b, coordinator_b, investigator_b)


class TestListings:
    def test_every_count_of_the_dashboard_is_its_listings_length_per_site_and_in_all(
        self, trial, data_manager
    ) -> None:
        now = timezone.now()
        board = trial_dashboard(user=data_manager, now=now)

        for listing in LISTINGS:
            for row, code in [*((r, r.code) for r in board.sites), (board.totals, "")]:
                table = listing_table(listing=listing, user=data_manager, site=code, now=now)
                assert len(table.rows) == getattr(row, listing.count), (listing.slug, code)

    def test_the_dashboard_links_each_count_to_its_listing(self, trial, data_manager) -> None:
        html = _client(data_manager).get(reverse("workspace:home")).text

        assert f'href="{listing_url("visits_missed", "PAR")}">1<' in html
        assert f'href="{listing_url("visits_missed")}">2<' in html
        assert f'href="{listing_url("no_cycles")}">4<' in html  # two a site, none treated
        assert reverse("cleaning:query_list") + "?site=LYO" in html

    def test_a_listing_leads_to_the_patient_and_filters_by_site(self, trial, data_manager) -> None:
        client = _client(data_manager)

        both = client.get(listing_url("visits_missed")).text
        lyon = client.get(listing_url("visits_missed", "LYO")).text

        visits = Visit.objects.order_by("patient__site__code")
        for visit in visits:
            assert reverse("followup:patient", args=[visit.patient_id]) in both
        assert reverse("followup:patient", args=[visits[0].patient_id]) in lyon  # LYO first
        assert reverse("followup:patient", args=[visits[1].patient_id]) not in lyon

    def test_a_listing_downloads_as_csv(self, trial, data_manager) -> None:
        response = _client(data_manager).get(listing_url("no_cycles", "PAR") + "&format=csv")

        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert response["Content-Type"].startswith("text/csv")
        assert [r["Site"] for r in rows] == ["PAR", "PAR"]
        assert {"Patient", "Screening no.", "Status", "Arm"} <= set(rows[0])

    def test_a_monitor_lists_only_their_site_and_a_coordinator_is_refused(
        self, trial, monitor, coordinator
    ) -> None:
        html = _client(monitor).get(listing_url("visits_missed", "LYO")).text

        assert "None." in html
        assert _client(coordinator).get(listing_url("visits_missed")).status_code == 403


class TestDataManagersWorklist:
    def test_shows_every_sites_missed_visits_read_only(self, trial, data_manager) -> None:
        html = _client(data_manager).get(reverse("followup:worklist") + "?status=missed").text

        for visit in Visit.objects.all():
            assert reverse("followup:patient", args=[visit.patient_id]) in html
            record = reverse("followup:visit_record", args=[visit.patient_id, visit.pk])
            assert record not in html  # a data manager does not enter follow-up

    def test_a_coordinator_still_sees_only_their_site_with_the_record_link(
        self, trial, coordinator
    ) -> None:
        html = _client(coordinator).get(reverse("followup:worklist")).text

        [mine] = Visit.objects.filter(patient__site__code="PAR")
        [theirs] = Visit.objects.filter(patient__site__code="LYO")
        assert reverse("followup:visit_record", args=[mine.patient_id, mine.pk]) in html
        assert reverse("followup:patient", args=[theirs.patient_id]) not in html

    def test_the_worklist_filters_by_site(self, trial, data_manager) -> None:
        html = _client(data_manager).get(reverse("followup:worklist") + "?site=LYO").text

        [lyon] = Visit.objects.filter(patient__site__code="LYO")
        [paris] = Visit.objects.filter(patient__site__code="PAR")
        assert reverse("followup:patient", args=[lyon.patient_id]) in html
        assert reverse("followup:patient", args=[paris.patient_id]) not in html
