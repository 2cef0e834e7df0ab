"""Pages of data queries: raising on a record, the marker beside the field, the site's home
count and list, the correction made for a query (its reason names the query), answering and
closing, the data manager's filtered list with ageing and its CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cleaning.models import DataQuery, QueryState
from cleaning.services.queries import query_answer, query_raise
from followup.models import Visit
from tests.cleaning.conftest import visit_done_lately
from trial.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("genes_recorded_by_the_factories")]


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _raise(record, by, text="Source says the 14th?", field="contact_date") -> DataQuery:
    return query_raise(
        record=record,
        field_name=field,
        category="inconsistent",
        text=text,
        by=by,
        now=timezone.now() - dt.timedelta(days=10),
    )


def _new_url(visit: Visit) -> str:
    kwargs = {"patient_id": visit.patient_id, "record_type": "visit", "pk": visit.pk}
    return reverse("cleaning:query_new", kwargs=kwargs)


class TestRaisingOnARecord:
    def test_a_monitor_raises_a_query_on_a_visits_contact_date(self, recent_visit, monitor) -> None:
        client = _client(monitor)
        page = client.get(_new_url(recent_visit) + "?field=contact_date")

        response = client.post(
            _new_url(recent_visit),
            {"field_name": "contact_date", "category": "inconsistent", "text": "Check the date."},
        )

        assert page.status_code == 200 and 'value="contact_date" selected' in page.text
        query = DataQuery.objects.get(origin="manual")
        assert response["Location"] == reverse("cleaning:query_detail", args=[query.pk])
        assert (query.field_name, query.raised_by) == ("contact_date", monitor)

    def test_a_coordinator_reads_the_raise_page_without_a_button_and_is_refused_on_post(
        self, recent_visit, coordinator
    ) -> None:
        client = _client(coordinator)

        page = client.get(_new_url(recent_visit))
        refused = client.post(_new_url(recent_visit), {"category": "other", "text": "x"})

        assert 'data-testid="read-only"' in page.text
        assert refused.status_code == 403
        assert not DataQuery.objects.filter(origin="manual").exists()

    def test_the_followup_page_offers_raising_only_to_raisers(
        self, recent_visit, monitor, coordinator
    ) -> None:
        url = reverse("followup:patient", args=[recent_visit.patient_id])

        assert "Raise a query" in _client(monitor).get(url).text
        assert "Raise a query" not in _client(coordinator).get(url).text


class TestTheSiteSeesItsQueries:
    def test_the_marker_sits_beside_the_field_and_the_home_page_counts_it(
        self, recent_visit, monitor, coordinator
    ) -> None:
        query = _raise(recent_visit, monitor)
        client = _client(coordinator)

        followup = client.get(reverse("followup:patient", args=[recent_visit.patient_id])).text
        home = client.get(reverse("workspace:home")).text

        cell = followup.split('data-testid="visit-1-contact"')[1].split("</td>")[0]
        assert f"Query #{query.pk} open" in cell
        assert 'data-testid="open-query-count">1<' in home
        assert reverse("cleaning:query_detail", args=[query.pk]) in home

    def test_the_visit_form_shows_the_marker_beside_the_contact_date(
        self, recent_visit, monitor, coordinator
    ) -> None:
        query = _raise(recent_visit, monitor)
        url = reverse("followup:visit_record", args=[recent_visit.patient_id, recent_visit.pk])

        html = _client(coordinator).get(url).text

        field = html.split('id="id_contact_date"')[1].split("</div>")[0]
        assert f"Query #{query.pk}" in field

    def test_another_sites_coordinator_sees_neither_the_query_nor_its_count(
        self, recent_visit, monitor, coordinator_b
    ) -> None:
        query = _raise(recent_visit, monitor)
        client = _client(coordinator_b)

        listed = client.get(reverse("cleaning:query_list") + "?state=all").text
        detail = client.get(reverse("cleaning:query_detail", args=[query.pk]))
        home = client.get(reverse("workspace:home")).text

        assert f"#{query.pk}<" not in listed
        assert detail.status_code == 404
        assert 'data-testid="open-query-count">0<' in home


class TestCorrectingAndAnswering:
    def test_the_correction_reached_from_the_query_names_it_and_leads_back(
        self, recent_visit, monitor, coordinator
    ) -> None:
        corrected = timezone.localdate() - dt.timedelta(days=2)
        query = _raise(recent_visit, monitor)
        client = _client(coordinator)
        detail_url = reverse("cleaning:query_detail", args=[query.pk])
        detail = client.get(detail_url).text
        correct_url = detail.split('data-testid="correct-link"')[0].rsplit('href="', 1)[1]
        correct_url = correct_url.split('"')[0].replace("&amp;", "&")

        form = client.get(correct_url).text
        saved = client.post(
            correct_url,
            {
                "contact_date": corrected.isoformat(),
                "vital_status": "alive",
                "disease_status": "remission",
                "reason": "Date copied wrongly from the source",
            },
        )

        assert f"?query={query.pk}&next={detail_url}" in correct_url
        assert f"Answer to query #{query.pk}: " in form
        assert saved.status_code == 302 and saved["Location"] == detail_url
        recent_visit.refresh_from_db()
        assert recent_visit.contact_date == corrected
        reason = recent_visit.history.first().history_change_reason
        assert reason == f"Date copied wrongly from the source (query #{query.pk})"
        assert "Date copied wrongly from the source" in client.get(detail_url).text

    def test_the_site_answers_and_the_raiser_closes_through_the_pages(
        self, recent_visit, monitor, coordinator
    ) -> None:
        query = _raise(recent_visit, monitor)

        answered = _client(coordinator).post(
            reverse("cleaning:query_answer", args=[query.pk]),
            {"answer-text": "Corrected to the 14th."},
        )
        refused = _client(coordinator).post(reverse("cleaning:query_close", args=[query.pk]), {})
        closed = _client(monitor).post(reverse("cleaning:query_close", args=[query.pk]), {})

        assert answered.status_code == 302 and refused.status_code == 403
        assert closed.status_code == 302
        assert DataQuery.objects.get(pk=query.pk).state == QueryState.CLOSED

    def test_an_empty_answer_is_a_field_error_on_the_querys_page(
        self, recent_visit, monitor, coordinator
    ) -> None:
        query = _raise(recent_visit, monitor)

        response = _client(coordinator).post(
            reverse("cleaning:query_answer", args=[query.pk]), {"answer-text": ""}
        )

        assert response.status_code == 200
        assert "Write the answer." in response.text

    def test_a_next_url_to_another_site_is_ignored(self, recent_visit, coordinator) -> None:
        url = reverse("followup:visit_record", args=[recent_visit.patient_id, recent_visit.pk])

        saved = _client(coordinator).post(
            url + "?next=https://evil.example/",
            {
                "contact_date": (timezone.localdate() - dt.timedelta(days=2)).isoformat(),
                "vital_status": "alive",
                "disease_status": "remission",
                "reason": "Typo",
            },
        )

        assert saved["Location"] == reverse("followup:patient", args=[recent_visit.patient_id])


class TestTheDataManagersList:
    @pytest.fixture
    def queries(
        self, recent_visit, site_b, coordinator_b, investigator_b, data_manager, coordinator
    ):
        other = visit_done_lately(site_b, coordinator_b, investigator_b)
        answered = _raise(recent_visit, data_manager)
        query_answer(query=answered, text="Fine.", by=coordinator, now=timezone.now())
        opened = query_raise(
            record=other,
            field_name="",
            category="missing",
            text="Where is the relapse date?",
            by=data_manager,
            now=timezone.now(),
        )
        return answered, opened

    def test_every_site_with_filters_and_ageing(self, queries, data_manager) -> None:
        answered, opened = queries
        client = _client(data_manager)
        url = reverse("cleaning:query_list")

        everything = client.get(url + "?origin=manual").text
        lyon = client.get(url + "?site=LYO&origin=manual").text
        missing = client.get(url + "?category=missing").text
        old = client.get(url + "?age=7&origin=manual").text
        visits = client.get(url + "?form=visit&state=answered").text

        assert f">#{answered.pk}<" in everything and f">#{opened.pk}<" in everything
        assert f">#{answered.pk}<" not in lyon and f">#{opened.pk}<" in lyon
        assert f">#{opened.pk}<" in missing and f">#{answered.pk}<" not in missing
        assert f">#{answered.pk}<" in old and f">#{opened.pk}<" not in old  # 10 days vs now
        assert f">#{answered.pk}<" in visits and f">#{opened.pk}<" not in visits
        assert "Median days open" in everything

    def test_the_filtered_list_downloads_as_csv_with_its_ageing(
        self, queries, data_manager
    ) -> None:
        answered, _ = queries

        response = _client(data_manager).get(
            reverse("cleaning:query_list") + "?site=PAR&origin=manual&format=csv"
        )

        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert response["Content-Type"].startswith("text/csv")
        assert [int(r["query"]) for r in rows] == [answered.pk]
        assert float(rows[0]["days_to_answer"]) >= 9.9 and rows[0]["state"] == "Answered"

    def test_the_edit_checks_page_lists_every_check(self, data_manager) -> None:
        html = _client(data_manager).get(reverse("cleaning:edit_checks")).text

        for check_id in ("FU-VISIT-WINDOW", "TRT-DOSE", "SCR-AGE", "TRT-AE-FATAL"):
            assert f'id="{check_id}"' in html
