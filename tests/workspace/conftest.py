"""Records the workspace's tests set up again and again: an adverse event, a query raised on a
record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import models

from cleaning.models import DataQuery
from cleaning.services.queries import query_raise
from tests.factories import NOW
from treatment.models import AdverseEvent
from trial.audit import record_save
from trial.models import Patient, User


@pytest.fixture
def adverse_event_record(investigator: User) -> Callable[..., AdverseEvent]:
    """Record an adverse event of a patient as the investigator; unless said otherwise, possibly
    related to dexamethasone and to the salvage."""

    def record(patient: Patient, **fields: Any) -> AdverseEvent:
        relations = {"relation_dexamethasone": "possible", "relation_salvage": "possible"}
        event = AdverseEvent(patient=patient, **(relations | fields))
        record_save(instance=event, by=investigator)
        return event

    return record


@pytest.fixture
def query_open(data_manager: User) -> Callable[..., DataQuery]:
    """Raise a query on a field of a record as the data manager, at NOW."""

    def raise_on(record: models.Model, field_name: str, text: str = "Please check.") -> DataQuery:
        return query_raise(
            record=record,
            field_name=field_name,
            category="other",
            text=text,
            by=data_manager,
            now=NOW,
        )

    return raise_on
