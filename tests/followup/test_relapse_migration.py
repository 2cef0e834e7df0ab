"""The data migration from the relapse dates that follow-up visits held into relapse records
(followup/migrations/0004_relapse_records_from_visits.py), run by Django's migration executor
on data written as the schema was before it.

The patients are enrolled, not randomised: a randomisation is never deleted (a database
trigger), and on SQLite the flush after a transactional test deletes rows one by one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from analysis.derive import PatientFacts
from followup.models import Visit
from tests.analysis.endpoints import patient_endpoints
from tests.factories import enrolled_patient
from treatment.models import Relapse, RelapseFoundAt
from treatment.selectors import disease_course
from trial.models import Patient

BEFORE = [("followup", "0003_visit_links_its_relapse")]


def _migrate(targets: list[tuple[str, str]] | None) -> Any:
    """Migrate to the targets, or every app to its latest migration when None (the schema the
    other tests expect back); return the models as they are there."""
    executor = MigrationExecutor(connection)
    if targets is None:
        targets = executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture
def before_migration(transactional_db: None) -> Iterator[Any]:
    apps = _migrate(BEFORE)
    try:
        yield apps
    finally:
        _migrate(None)


def _patient(apps: Any, site, coordinator, investigator, remission: dt.date | None) -> Patient:
    """An enrolled patient, with an induction cycle and a CR on `remission` when given."""
    patient = enrolled_patient(site, coordinator, investigator)
    if remission is not None:
        cycle = apps.get_model("treatment", "Cycle").objects.create(
            patient_id=patient.pk,
            number=1,
            kind="induction",
            regimen="IC",
            start_date=dt.date(2026, 11, 3),
            height_cm=170,
            weight_kg=70,
            bsa_m2="1.82",
        )
        apps.get_model("treatment", "ResponseAssessment").objects.create(
            patient_id=patient.pk,
            cycle=cycle,
            assessment_date=remission,
            response="CR",
            marrow_blast_pct=2,
        )
    return patient


def _visit(apps: Any, patient, number: int, contact: dt.date, relapse: dt.date | None, **kw):
    day = contact
    return apps.get_model("followup", "Visit").objects.create(
        patient_id=patient.pk,
        number=number,
        month=3 * number,
        anchor_date=dt.date(2027, 1, 15),
        target_date=day,
        window_opens=day - dt.timedelta(days=14),
        window_closes=day + dt.timedelta(days=15),
        overdue_from=day + dt.timedelta(days=15),
        missed_from=day + dt.timedelta(days=45),
        status="done",
        contact_date=contact,
        vital_status="alive",
        disease_status="relapse" if relapse else "remission",
        relapse_date=relapse,
        **kw,
    )


def test_visit_relapses_become_relapse_records(
    before_migration, site_a, coordinator, investigator
) -> None:
    apps = before_migration
    # In CR since 2026-12-10, two visits report the relapse.
    in_cr = _patient(apps, site_a, coordinator, investigator, dt.date(2026, 12, 10))
    first = _visit(apps, in_cr, 1, dt.date(2027, 4, 12), dt.date(2027, 4, 1))
    _visit(apps, in_cr, 2, dt.date(2027, 7, 14), dt.date(2027, 4, 3))
    apps.get_model("followup", "HistoricalVisit").objects.create(
        id=first.pk,
        patient_id=in_cr.pk,
        **{f: getattr(first, f) for f in ("number", "month", "anchor_date", "target_date")},
        **{f: getattr(first, f) for f in ("window_opens", "window_closes", "overdue_from")},
        missed_from=first.missed_from,
        status="done",
        created_at=first.created_at,
        history_date=timezone.now() - dt.timedelta(days=1),
        history_type="~",
        history_user_id=coordinator.pk,
    )
    # Never in CR: the relapse that its visit reported is kept, and no endpoint counts it.
    never = _patient(apps, site_a, coordinator, investigator, None)
    _visit(apps, never, 1, dt.date(2027, 4, 12), dt.date(2027, 3, 1))
    # A "relapse" before the CR, then the relapse the endpoints counted.
    early = _patient(apps, site_a, coordinator, investigator, dt.date(2026, 12, 10))
    _visit(apps, early, 1, dt.date(2027, 4, 12), dt.date(2026, 12, 5))
    _visit(apps, early, 2, dt.date(2027, 7, 14), dt.date(2027, 5, 2))
    # A visit entered in error stays as it was.
    _visit(apps, early, 3, dt.date(2027, 7, 20), dt.date(2027, 7, 1), entered_in_error=True)

    _migrate(None)

    relapse = Relapse.objects.get(patient=in_cr)
    assert (relapse.relapse_date, relapse.found_at, relapse.recorded_by) == (
        dt.date(2027, 4, 1),
        RelapseFoundAt.MIGRATED,
        coordinator,
    )
    assert relapse.comment == (
        "Reported at follow-up visits before relapse records: visit 1 (contact 2027-04-12): "
        "relapse on 2027-04-01; visit 2 (contact 2027-07-14): relapse on 2027-04-03."
    )
    assert relapse.history.get().history_change_reason.startswith("Migrated from follow-up visit 1")
    visits = Visit.objects.filter(patient=in_cr).order_by("number")
    assert [(v.relapse_id, v.reported_relapse_date) for v in visits] == [
        (relapse.pk, dt.date(2027, 4, 1)),
        (relapse.pk, dt.date(2027, 4, 3)),
    ]
    assert visits[0].history.first().history_change_reason.startswith("Linked to the relapse")
    assert Relapse.objects.get(patient=never).relapse_date == dt.date(2027, 3, 1)
    assert "no CR/CRi before it" in disease_course(never).flags[0]
    assert Relapse.objects.get(patient=early).relapse_date == dt.date(2027, 5, 2)
    assert Visit.objects.get(patient=early, number=3).relapse is None
    # RFS reads the migrated record as it read the visit: 2026-12-10 → 2027-04-01 is
    # 31 + 21 + 28 + 31 + 1 = 112 days.
    facts = PatientFacts(
        patient_id=in_cr.pk,
        usubjid="DEXAML-03-X",
        siteid=site_a.code,
        arm="DEX",
        strat_regimen="IC",
        strat_disease_status="first_relapse",
        randomized_on=dt.date(2026, 11, 2),
        responses=((dt.date(2026, 12, 10), "CR"),),
        relapse_date=relapse.relapse_date,
    )
    rfs = patient_endpoints(facts, dt.date(2027, 9, 30))["RFS"]
    assert (rfs.aval, rfs.evntdesc) == (112, "Relapse")

    apps = _migrate(BEFORE)

    back = apps.get_model("followup", "Visit").objects.filter(patient_id=in_cr.pk)
    assert sorted(v.relapse_date for v in back) == [dt.date(2027, 4, 1), dt.date(2027, 4, 3)]
    assert not apps.get_model("treatment", "Relapse").objects.filter(found_at="migrated").exists()
