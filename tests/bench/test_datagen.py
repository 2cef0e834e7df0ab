"""A small run of the benchmarks' data generator, so that it follows the models as they change
(bench/datagen.py; PostgreSQL only, as it writes with COPY)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from analysis.gather import trial_facts_gather
from followup.models import Visit
from randomization.models import Randomization
from trial.models import Patient, User

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
