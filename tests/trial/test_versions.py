"""The version of history tables that page caches are keyed by (trial/versions.py)."""

from __future__ import annotations

import pytest

from tests.factories import screened_patient
from trial.models import Patient, Site, User
from trial.versions import history_version

pytestmark = pytest.mark.django_db

HISTORIES = [Patient.history.model, Site.history.model]


class TestHistoryVersion:
    def test_a_save_changes_it_and_nothing_else_does(self, site_a: Site, coordinator: User) -> None:
        patient = screened_patient(site_a, coordinator)
        first = history_version(HISTORIES)
        same = history_version(HISTORIES)

        patient.sex = "M"
        patient.save()

        assert same == first
        assert history_version(HISTORIES) != first

    def test_a_row_that_appears_below_the_last_id_changes_it(
        self, site_a: Site, coordinator: User
    ) -> None:
        """As a transaction that took an id before another but commits after it."""
        for _ in range(3):
            screened_patient(site_a, coordinator)
        rows = Patient.history.model.objects.order_by("history_id")
        late = rows[len(rows) - 2]
        late.delete()  # not yet committed: unseen
        before = history_version(HISTORIES)

        late.save(force_insert=True)  # committed, with its earlier id

        assert history_version(HISTORIES) != before

    def test_the_salt_and_empty_tables_are_part_of_it(self) -> None:
        assert history_version(HISTORIES) != history_version(HISTORIES, salt="code 2")
        assert history_version([]) == history_version([])
