"""A small run of the benchmarks' data generator, so that it follows the models as they change
(bench/datagen.py; PostgreSQL only, as it writes with COPY)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from analysis.gather import trial_facts_gather
from followup.models import Visit
from followup.selectors import ALIVE_DATE_SOURCES, last_known_alive_bulk
from randomization.models import Randomization
from trial.models import Death, Patient, User

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]


def _datagen() -> Any:
    path = Path(__file__).resolve().parents[2] / "bench" / "datagen.py"
    spec = importlib.util.spec_from_file_location("bench_datagen", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestGenerator:
    def test_fifty_patients_satisfy_every_constraint_and_feed_the_survival_analysis(
        self,
    ) -> None:
        datagen = _datagen()

        counts = datagen.Generator(patients=50, sites=5).run()
        with connection.cursor() as cursor:  # the foreign keys, deferred to the commit
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

        randomized = Randomization.objects.count()
        assert counts["Patient"] == Patient.objects.count() == 50
        assert 0 < randomized < 50  # a few screen failures
        assert Patient.history.filter(history_type="+").count() == 50
        assert Visit.objects.filter(status="done").exists()
        assert User.objects.get(username="coord-s001").check_password(datagen.PASSWORD)
        facts = trial_facts_gather(cutoff=dt.date(2026, 6, 30))
        assert len(facts.patients) == randomized
        assert any(p.death_date for p in facts.patients)

    def test_the_last_date_known_alive_is_the_latest_of_every_source(self) -> None:
        """`last_known_alive_bulk` works out the latest date of all sources in one query: on
        the generator's patients, the dates of a query per source compared here one by one."""
        datagen_counts = _datagen().Generator(patients=120, sites=4).run()
        assert datagen_counts["Patient"] == 120
        ids = list(Patient.objects.values_list("pk", flat=True))

        expected: dict[int, dt.date | None] = dict.fromkeys(ids)
        winners: dict[int, str] = {}
        for source in ALIVE_DATE_SOURCES:
            model = apps.get_model(source.model)
            records = model.objects.filter(source.condition, entered_in_error=False).exclude(
                **{source.date_field: None}
            )
            for pid, value in records.values_list(source.patient_field, source.date_field):
                day = timezone.localdate(value) if isinstance(value, dt.datetime) else value
                current = expected[pid]
                if current is None or day > current:
                    expected[pid], winners[pid] = day, source.model
        for pid, death_date in Death.objects.filter(entered_in_error=False).values_list(
            "patient_id", "death_date"
        ):
            current = expected[pid]
            expected[pid] = death_date if current is None else min(current, death_date)

        assert last_known_alive_bulk(ids) == expected
        assert last_known_alive_bulk(ids, read_all=True) == expected
        assert last_known_alive_bulk(ids[:7]) == {pid: expected[pid] for pid in ids[:7]}
        assert len(set(winners.values())) >= 3, winners  # the latest date comes from several
