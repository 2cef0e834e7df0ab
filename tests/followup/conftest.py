"""Builders of patients in post-treatment follow-up."""

from __future__ import annotations

import datetime as dt

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


def followup_patient(
    site: Site,
    coordinator: User,
    investigator: User,
    *,
    end_date: dt.date | None = dt.date(2027, 1, 15),
    randomized_at: dt.datetime = NOW,
) -> Patient:
    """A randomised patient whose treatment ended on `end_date` (None: not recorded)."""
    patient = randomized_patient(site, coordinator, investigator, randomized_at=randomized_at)
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
