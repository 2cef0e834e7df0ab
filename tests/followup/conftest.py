"""Builders of patients in post-treatment follow-up."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from followup.models import Visit
from tests.factories import NOW, randomized_patient
from treatment.models import EndOfTreatment
from trial.audit import record_save
from trial.models import Patient, Site, User

FIRST_RANDOMIZED_AT = NOW  # 2026-11-02: the end of study is then 2031-11-02


def end_treatment(
    patient: Patient, by: User, end_date: dt.date, reason: str = "completed"
) -> EndOfTreatment:
    eot = EndOfTreatment(patient=patient, end_date=end_date, reason=reason)
    record_save(instance=eot, by=by)
    return eot


REMISSION_ON = dt.date(2026, 12, 10)  # CR after the induction cycle of 2026-11-03


def followup_patient(
    site: Site,
    coordinator: User,
    investigator: User,
    *,
    end_date: dt.date | None = dt.date(2027, 1, 15),
    randomized_at: dt.datetime = NOW,
    remission: bool = False,
) -> Patient:
    """A randomised patient whose treatment ended on `end_date` (None: not recorded), in CR
    since `REMISSION_ON` with `remission`."""
    patient = randomized_patient(site, coordinator, investigator, randomized_at=randomized_at)
    if remission:
        remission_reach(patient, investigator)
    if end_date is not None:
        end_treatment(patient, investigator, end_date)
    return patient


@pytest.fixture
def patient(site_a: Site, coordinator: User, investigator: User) -> Patient:
    return followup_patient(site_a, coordinator, investigator)


@pytest.fixture
def due_visit(site_a: Site, coordinator: User, investigator: User) -> Visit:
    """Visit 1 of a patient whose treatment ended three months before today (the real clock,
    as pages and API read it): it is due today."""
    from django.utils import timezone

    from followup.services.refresh import visits_refresh
    from trial.dates import add_months

    today = timezone.localdate()
    patient = followup_patient(site_a, coordinator, investigator, end_date=add_months(today, -3))
    visits_refresh(today=today)
    return Visit.objects.get(patient=patient, number=1)


def remission_reach(patient: Patient, investigator: User) -> None:
    """An induction cycle, then a CR on `REMISSION_ON` (2% marrow blasts)."""
    from tests.treatment.test_builders import NOW as TREATMENT_NOW
    from tests.treatment.test_builders import STARTS, record_cycle
    from treatment.services import response_record

    record_cycle(patient, investigator, STARTS[0])
    response_record(
        patient=patient,
        assessment_date=REMISSION_ON,
        response="CR",
        marrow_blast_pct=Decimal("2"),
        by=investigator,
        now=TREATMENT_NOW,
    )
