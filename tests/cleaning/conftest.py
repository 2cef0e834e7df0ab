"""Builders for the data-cleaning tests: a patient in follow-up with visit 1 planned."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from cleaning.models import DataQuery, QueryOrigin
from followup.models import Visit
from followup.services.records import visit_record
from followup.services.refresh import visits_refresh
from tests.followup.conftest import followup_patient
from trial.dates import add_months
from trial.models import Site, User

# Treatment ended 2027-01-15: visit 1 targets 2027-04-15, its window is 2027-04-01 to 2027-04-29.
TODAY = dt.date(2027, 4, 20)
IN_WINDOW = dt.date(2027, 4, 12)
OUT_OF_WINDOW = dt.date(2027, 3, 20)
NOW = dt.datetime(2027, 4, 20, 9, 0, tzinfo=dt.UTC)


def first_visit(site: Site, coordinator: User, investigator: User) -> Visit:
    patient = followup_patient(site, coordinator, investigator)
    visits_refresh(today=TODAY)
    return Visit.objects.get(patient=patient, number=1)


def record_visit(visit: Visit, by: User, contact: dt.date = IN_WINDOW, **kw: Any) -> Visit:
    data = {"vital_status": "alive", "disease_status": "remission", **kw}
    return visit_record(visit=visit, by=by, today=TODAY, contact_date=contact, **data)


def system_queries(record: Any = None, **filters: Any) -> list[DataQuery]:
    queries = DataQuery.objects.filter(origin=QueryOrigin.SYSTEM, **filters)
    if record is not None:
        queries = queries.filter(object_id=record.pk, content_type__model=record._meta.model_name)
    return list(queries.order_by("pk"))


def visit_done_lately(site: Site, coordinator: User, investigator: User) -> Visit:
    """Visit 1, due today by the real clock (pages and API read it), recorded 3 days ago."""
    today = timezone.localdate()
    patient = followup_patient(site, coordinator, investigator, end_date=add_months(today, -3))
    visits_refresh(today=today)
    visit = Visit.objects.get(patient=patient, number=1)
    data = {"vital_status": "alive", "disease_status": "remission"}
    contact = today - dt.timedelta(days=3)
    return visit_record(visit=visit, by=coordinator, today=today, contact_date=contact, **data)


@pytest.fixture
def visit(site_a: Site, coordinator: User, investigator: User) -> Visit:
    return first_visit(site_a, coordinator, investigator)


@pytest.fixture
def done_visit(visit: Visit, coordinator: User) -> Visit:
    return record_visit(visit, coordinator)


@pytest.fixture
def recent_visit(site_a: Site, coordinator: User, investigator: User) -> Visit:
    return visit_done_lately(site_a, coordinator, investigator)
