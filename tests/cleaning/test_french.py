"""Data queries in French (issue 18). A system query keeps its finding as the edit check worded
it in the trial's language (English): that text tells one finding from another, so a save made
in French neither stores French nor re-words the query; the query's page names the check, its
category and state in the reader's language."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.cleaning.conftest import OUT_OF_WINDOW, record_visit, system_queries

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("genes_recorded_by_the_factories")]


class TestSystemQueriesInFrench:
    def test_a_save_in_french_stores_the_finding_in_english_and_keeps_it(
        self, visit, coordinator
    ) -> None:
        with translation.override("fr"):
            record_visit(visit, coordinator, OUT_OF_WINDOW)
        [query] = system_queries(visit)

        record_visit(visit, coordinator, OUT_OF_WINDOW, reason="Date checked again")

        query.refresh_from_db()
        assert query.finding.startswith("Visit 1 (month 3): contact on 2027-03-20")
        assert [m.text for m in query.messages.all()] == [query.finding]  # not re-worded

    def test_the_querys_page_names_its_check_and_category_in_french(
        self, visit, coordinator, data_manager
    ) -> None:
        record_visit(visit, coordinator, OUT_OF_WINDOW)
        [query] = system_queries(visit)
        client = Client()
        client.force_login(data_manager)

        url = reverse("cleaning:query_detail", args=[query.pk])
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="fr").text

        assert "Date de contact de la visite hors de sa fenêtre" in page
        assert "Déviation au protocole" in page and "Ouverte" in page
        assert "protocol_deviation" not in page

    def test_the_query_list_reads_in_french(self, visit, coordinator, data_manager) -> None:
        record_visit(visit, coordinator, OUT_OF_WINDOW)
        client = Client()
        client.force_login(data_manager)

        page = client.get(reverse("cleaning:query_list"), HTTP_ACCEPT_LANGUAGE="fr").text

        assert "Requêtes" in page and "Contrôle de cohérence FU-VISIT-WINDOW" in page
        assert "1 requête (1 ouverte(s) ou répondue(s))." in page
