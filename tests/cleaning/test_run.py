"""Every edit check over the whole database: idempotent, a fixed number of queries per batch,
and the command and nightly task that run it."""

from __future__ import annotations

import datetime as dt
import gc
from io import StringIO
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cleaning.checks.base import PatientData
from cleaning.models import DataQuery, QueryState
from cleaning.services import edit_checks
from cleaning.services.edit_checks import edit_checks_run, edit_checks_run_batch
from cleaning.services.queries import query_close
from cleaning.tasks import edit_checks_run_task
from config.celery import beat_schedule
from followup.models import Visit, VisitStatus
from tests.cleaning.conftest import NOW, OUT_OF_WINDOW, first_visit, system_queries
from trial.services.records import record_mark_entered_in_error

pytestmark = pytest.mark.django_db


def _out_of_window_without_checks(visit: Visit) -> Visit:
    """A visit entered before the window check existed (written past the services)."""
    Visit.objects.filter(pk=visit.pk).update(
        status=VisitStatus.DONE, contact_date=OUT_OF_WINDOW, vital_status="alive"
    )
    visit.refresh_from_db()
    return visit


@pytest.fixture
def old_visits(site_a, coordinator, investigator) -> list[Visit]:
    return [
        _out_of_window_without_checks(first_visit(site_a, coordinator, investigator))
        for _ in range(4)
    ]


class TestEditChecksRun:
    def test_finds_what_was_entered_before_and_a_second_run_changes_nothing(
        self, old_visits
    ) -> None:
        first = edit_checks_run(now=NOW)
        second = edit_checks_run(now=NOW + dt.timedelta(hours=1))

        assert first.opened >= len(old_visits)
        assert (second.opened, second.closed, second.reworded) == (0, 0, 0)
        for visit in old_visits:
            assert [q.rule_id for q in system_queries(visit)] == ["FU-VISIT-WINDOW"]

    def test_each_batch_reads_and_writes_a_fixed_number_of_queries(self, old_visits) -> None:
        ids = [v.patient_id for v in old_visits]
        counts = []
        for batch in (ids[:1], ids[1:]):  # one patient, then three
            # each batch as the first of a process: content types not cached yet
            ContentType.objects.clear_cache()
            with CaptureQueriesContext(connection) as queries:
                plan = edit_checks_run_batch(patient_ids=batch, now=NOW)
            assert plan.create
            counts.append(len(queries))

        assert counts[0] == counts[1]

    def test_the_records_read_are_those_the_orm_reads_for_the_batch_only(self, old_visits) -> None:
        """The checks read records built from their columns (cleaning/checks/base.py): each must
        equal the record the ORM loads, and a patient between the batch's ids is left out."""
        ids = sorted(v.patient_id for v in old_visits)
        data = PatientData([ids[0], ids[2]], now=NOW)
        tables = ["patients", "consents", "baselines", "cycles", "drugs", "responses"]
        tables += ["adverse_events", "deaths", "visits_done"]

        read: dict[str, list[Any]] = {}
        for table in tables:
            mapping = getattr(data, table)
            assert set(mapping) <= {ids[0], ids[2]}, table
            read[table] = [r for v in mapping.values() for r in (v if isinstance(v, list) else [v])]
        assert set(data.tested_genes) <= {ids[0], ids[2]}

        assert all(read[t] for t in ("patients", "consents", "baselines", "visits_done"))
        for record in (r for records in read.values() for r in records):
            fresh = type(record).objects.get(pk=record.pk)
            for f in type(record)._meta.concrete_fields:
                if f.attname not in ("created_at", "entered_in_error_reason"):
                    assert getattr(record, f.attname) == getattr(fresh, f.attname), f
            assert not record._state.adding and record._state.db == fresh._state.db

    def test_a_query_closes_itself_when_its_record_is_entered_in_error(
        self, old_visits, coordinator
    ) -> None:
        edit_checks_run(now=NOW)
        visit = old_visits[0]

        record_mark_entered_in_error(
            record=visit, by=coordinator, reason="Wrong patient", today=NOW.date()
        )

        [query] = system_queries(visit)
        assert query.state == QueryState.CLOSED

    def test_a_finding_a_person_accepted_is_not_raised_again(
        self, old_visits, data_manager
    ) -> None:
        edit_checks_run(now=NOW)
        [query] = system_queries(old_visits[0])
        query_close(query=query, by=data_manager, now=NOW, text="Agreed deviation.")

        edit_checks_run(now=NOW + dt.timedelta(days=1))

        assert [q.state for q in system_queries(old_visits[0])] == [QueryState.CLOSED]

    def test_a_different_finding_on_an_accepted_field_opens_a_new_query(
        self, old_visits, data_manager
    ) -> None:
        edit_checks_run(now=NOW)
        [query] = system_queries(old_visits[0])
        query_close(query=query, by=data_manager, now=NOW)
        Visit.objects.filter(pk=old_visits[0].pk).update(contact_date=dt.date(2027, 3, 1))

        edit_checks_run(now=NOW + dt.timedelta(days=1))

        assert [q.state for q in system_queries(old_visits[0])] == ["closed", "open"]

    def test_an_unknown_check_is_refused(self, db) -> None:
        with pytest.raises(ValueError, match="NOPE"):
            edit_checks_run(now=NOW, check_ids=["NOPE"])

    def test_a_batch_runs_with_the_cycle_collector_paused(
        self, old_visits, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        collecting: list[bool] = []

        def patient_data(*args: Any, **kwargs: Any) -> PatientData:
            collecting.append(gc.isenabled())
            return PatientData(*args, **kwargs)

        monkeypatch.setattr(edit_checks, "PatientData", patient_data)

        edit_checks_run(now=NOW)

        assert collecting == [False]  # one batch, read with the collector paused
        assert gc.isenabled()


class TestCommandAndTask:
    def test_the_command_reports_what_it_opened(self, old_visits) -> None:
        out = StringIO()

        call_command("edit_checks_run", "--check", "FU-VISIT-WINDOW", stdout=out)

        assert f"{len(old_visits)} queries opened" in out.getvalue()
        assert DataQuery.objects.filter(rule_id="FU-VISIT-WINDOW").count() == len(old_visits)

    @pytest.mark.parametrize("args", [["--check", "NOPE"], ["--batch-size", "0"]])
    def test_the_command_refuses_bad_arguments(self, db, args) -> None:
        with pytest.raises(CommandError):
            call_command("edit_checks_run", *args, stdout=StringIO())

    def test_the_nightly_task_is_declared_and_runs_the_checks(self, old_visits) -> None:
        schedule = beat_schedule()

        result = edit_checks_run_task.delay().get()

        assert schedule["cleaning-edit-checks-nightly"]["task"] == "cleaning.edit_checks_run"
        assert schedule["cleaning-query-digest-daily"]["task"] == "cleaning.digest_send"
        assert result["opened"] >= len(old_visits)


class TestDemo:
    def test_the_demo_has_queries_for_the_sites_and_a_second_seed_changes_nothing(self) -> None:
        call_command("seed_demo", "--today", "2026-11-02", stdout=StringIO())
        manual = list(
            DataQuery.objects.filter(origin="manual").values_list("pk", "patient__site__code")
        )
        total = DataQuery.objects.count()

        call_command("seed_demo", "--today", "2026-11-02", stdout=StringIO())

        assert sorted(site for _, site in manual) == ["LYO", "PAR"]
        assert DataQuery.objects.count() == total
