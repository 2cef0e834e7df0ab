"""Fixtures of the verification tests: a randomised patient with two cycles either side of the
2026-11-30 cut-off."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from tests.factories import randomized_patient
from tests.treatment.test_builders import STARTS, record_cycle

CUTOFF = dt.date(2026, 11, 30)
NOW = dt.datetime(2027, 9, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def patient(site_a, coordinator, investigator):
    return randomized_patient(site_a, coordinator, investigator)


@pytest.fixture
def cycles(patient, investigator):
    """Cycle 1 starts 2026-11-03 (before the cut-off), cycle 2 on 2026-12-01 (after it)."""
    return record_cycle(patient, investigator, STARTS[0]), record_cycle(
        patient, investigator, STARTS[1]
    )


@pytest.fixture
def lock_needs_nothing(settings: Any) -> None:
    settings.TRIAL_VERIFICATION = {**settings.TRIAL_VERIFICATION, "LOCK_PATIENT_REQUIRES": []}


def correct_weight(cycle, by, weight: str, *, reason: str = "Weighed again"):
    """Correct the cycle's weight through the ordinary correction service."""
    return record_cycle(
        cycle.patient, by, cycle.start_date, cycle=cycle, weight_kg=Decimal(weight), reason=reason
    )
