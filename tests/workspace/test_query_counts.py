"""The pages people load most issue as many SQL queries with three times the patients: the
patient list, the patient page, the follow-up worklist, the dashboard, the queries list and the
analysis pages (docs/protocol.md "Who uses it": a cooperative group's volume of data)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analysis.models import DataCutoff
from analysis.services import cutoff_freeze
from followup.services.refresh import visits_refresh
from tests.factories import randomized_patient, screened_patient
from tests.followup.conftest import end_treatment
from tests.treatment.test_builders import STARTS, record_cycle, salvage
from treatment.models import AdverseEvent, CtcaeTerm, ProtocolDeviation
from trial.audit import record_save
from trial.models import Death, Patient, Site, User

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 9, 1)  # a year after the end of treatment: visits done, due and missed


def _batch(
    site: Site, coordinator: User, investigator: User, adverse_event_record, query_open
) -> Patient:
    """Patients at every stage, with the records the pages list; returns one in follow-up."""
    screened_patient(site, coordinator)
    dead = randomized_patient(site, coordinator, investigator, arm="CTRL")
    death = Death(patient=dead, death_date=dt.date(2026, 12, 1), cause="leukaemia")
    record_save(instance=death, by=investigator)
    patient = randomized_patient(site, coordinator, investigator)
    end_treatment(patient, investigator, dt.date(2026, 12, 20))
    event = adverse_event_record(
        patient, term_text="Nausea", grade=2, start_date=dt.date(2026, 11, 20)
    )
    query_open(event, "grade", "Please check the grade.")
    return patient


def _table_of_first_column(sql: str) -> str:
    """The table a SELECT reads its first column from ("" for any other statement)."""
    found = re.match(r'SELECT "(\w+)"\.', sql)
    return found.group(1) if found else ""


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def _counts_with_more_patients(
    pages: Callable[[], list[str]], user: User, grow: Callable[[], None]
) -> tuple[list[int], list[int]]:
    client = Client()
    client.force_login(user)
    urls = pages()
    for url in urls:  # a first load fills what the page caches by data version
        client.get(url)
    few = [_count(client, url) for url in urls]
    grow()
    for url in urls:
        client.get(url)
    more = [_count(client, url) for url in urls]
    return few, more


@pytest.fixture
def trial(site_a: Site, coordinator: User, investigator: User, adverse_event_record, query_open):
    """Grows the trial by a batch of patients at every stage; visits planned to TODAY."""

    def grow(batches: int = 1) -> list[Patient]:
        made = [
            _batch(site_a, coordinator, investigator, adverse_event_record, query_open)
            for _ in range(batches)
        ]
        visits_refresh(today=TODAY)
        return made

    return grow


class TestQueriesPerPage:
    def test_site_pages_issue_as_many_queries_with_three_times_the_patients(
        self, trial, coordinator: User
    ) -> None:
        first = trial()[0]

        def pages() -> list[str]:
            return [
                reverse("workspace:patient_list"),
                reverse("workspace:patient_detail", args=[first.pk]),
                reverse("followup:worklist"),
                reverse("cleaning:query_list"),
                reverse("workspace:home"),
            ]

        few, more = _counts_with_more_patients(pages, coordinator, lambda: trial(2))

        assert more == few

    def test_trial_wide_pages_issue_as_many_queries_with_three_times_the_patients(
        self, trial, data_manager: User
    ) -> None:
        trial()

        def pages() -> list[str]:
            return [
                reverse("workspace:home"),  # the dashboard
                reverse("workspace:patient_list"),
                # Filtered by status and searched: the page's patients, then their statuses.
                reverse("workspace:patient_list") + "?status=follow_up",
                reverse("workspace:patient_list") + "?q=S&page=2",
                reverse("followup:worklist"),
                reverse("cleaning:query_list"),
            ]

        few, more = _counts_with_more_patients(pages, data_manager, lambda: trial(2))

        assert more == few

    def test_the_patient_page_issues_as_many_queries_with_three_times_the_records(
        self, trial, coordinator: User, adverse_event_record, query_open
    ) -> None:
        patient = trial()[0]
        url = reverse("workspace:patient_detail", args=[patient.pk])

        def more_records() -> None:
            for day in (21, 22):
                event = adverse_event_record(
                    patient,
                    term_text="Fatigue",
                    grade=1,
                    start_date=dt.date(2026, 11, day),
                    relation_dexamethasone="unlikely",
                    relation_salvage="unlikely",
                )
                query_open(event, "grade")

        few, more = _counts_with_more_patients(lambda: [url], coordinator, more_records)

        assert more == few

    def test_the_patient_page_issues_as_many_queries_with_three_times_the_cycles(
        self, site_a: Site, coordinator: User, investigator: User
    ) -> None:
        """Each cycle with its drugs, and each record's patient, read once for all."""
        patient = randomized_patient(site_a, coordinator, investigator)
        record_cycle(patient, investigator, STARTS[0])
        url = reverse("workspace:patient_detail", args=[patient.pk])

        def more_cycles() -> None:
            for start in STARTS[1:3]:
                record_cycle(patient, investigator, start)

        few, more = _counts_with_more_patients(lambda: [url], coordinator, more_cycles)

        assert more == few

    def test_the_patient_page_issues_as_many_queries_with_three_times_the_coded_records(
        self, site_a: Site, coordinator: User, investigator: User, adverse_event_record
    ) -> None:
        """A coded adverse event's title reads its CTCAE term, a deviation's its cycle."""
        patient = randomized_patient(site_a, coordinator, investigator, arm="DEX")
        terms = list(CtcaeTerm.objects.order_by("pk")[:3])
        url = reverse("workspace:patient_detail", args=[patient.pk])

        def record(start: dt.date, term: CtcaeTerm) -> None:
            # the dexamethasone arm given none: a protocol deviation of the cycle
            record_cycle(patient, investigator, start, drugs=salvage("IC", dex=False))
            adverse_event_record(patient, term=term, grade=2, start_date=start)

        record(STARTS[0], terms[0])

        def more() -> None:
            for start, term in zip(STARTS[1:3], terms[1:3], strict=True):
                record(start, term)

        few, more_counts = _counts_with_more_patients(lambda: [url], coordinator, more)

        assert ProtocolDeviation.objects.filter(patient=patient).count() == 3
        assert AdverseEvent.objects.filter(patient=patient, term__isnull=False).count() == 3
        assert more_counts == few

    def test_the_patient_page_reads_the_patient_and_its_screening_records_once(
        self, trial, coordinator: User
    ) -> None:
        """The header's trial status and the screening path's progress come with the query
        that finds the patient; the consent and baseline shown on the path are the casebook's."""
        patient = trial()[0]
        client = Client()
        client.force_login(coordinator)
        url = reverse("workspace:patient_detail", args=[patient.pk])
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        tables = Counter(_table_of_first_column(q["sql"]) for q in queries)
        assert (tables["trial_patient"], tables["trial_consent"], tables["trial_baseline"]) == (
            1,
            1,
            1,
        )

    def test_analysis_pages_issue_as_many_queries_with_three_times_the_patients(
        self, trial, data_manager: User
    ) -> None:
        trial()
        cutoffs: list[DataCutoff] = []

        def freeze() -> None:
            cutoffs.append(
                cutoff_freeze(
                    by=data_manager,
                    cutoff_date=TODAY - dt.timedelta(days=len(cutoffs)),
                    reason="Interim analysis",
                    now=dt.datetime.combine(TODAY, dt.time(12), tzinfo=dt.UTC),
                )
            )

        def pages() -> list[str]:
            freeze()
            cutoff = cutoffs[-1].pk
            names = ("km", "effects", "relapse", "table1", "consort", "endpoints")
            return [reverse("analysis:home")] + [
                reverse(f"analysis:{name}", args=[cutoff]) for name in names
            ]

        client = Client()
        client.force_login(data_manager)
        few_urls = pages()
        for url in few_urls:
            client.get(url)
        few = [_count(client, url) for url in few_urls]
        trial(2)
        more_urls = pages()
        for url in more_urls:
            client.get(url)
        more = [_count(client, url) for url in more_urls]

        assert more == few
