"""The PostgreSQL writes of the schedule refresh (COPY, INSERT … SELECT) and the portable ones
(simple-history's bulk helpers) leave the same visits and history rows."""

from __future__ import annotations

import datetime as dt

import pytest

from followup.models import Visit
from followup.services import bulk
from followup.services.records import death_record
from followup.services.refresh import visits_refresh
from tests.followup.conftest import followup_patient

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2028, 6, 1)
# Ids, creation and history times differ from one run to the next; every other column counts.
_VISIT_COLUMNS = [
    f.attname for f in Visit._meta.concrete_fields if f.attname not in ("id", "created_at")
]
_HISTORY_COLUMNS = [
    f.attname
    for f in Visit.history.model._meta.concrete_fields
    if f.attname not in ("id", "created_at", "history_id", "history_date")
]


def _written() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    visits = Visit.objects.order_by("patient_id", "number").values_list(*_VISIT_COLUMNS)
    history = Visit.history.order_by("patient_id", "number", "history_id")
    return list(visits), list(history.values_list(*_HISTORY_COLUMNS))


def _forget_visits() -> None:
    Visit.objects.all().delete()
    Visit.history.all().delete()  # the deletions' history rows too


@pytest.mark.postgresql
class TestVisitsInsert:
    def test_copy_writes_what_the_portable_path_writes(
        self, site_a, coordinator, investigator, monkeypatch
    ) -> None:
        # Visits missed, overdue, due and planned; a provisional anchor; a schedule cut by death.
        for end_date in (dt.date(2027, 1, 15), dt.date(2028, 2, 10), dt.date(2028, 3, 1), None):
            followup_patient(site_a, coordinator, investigator, end_date=end_date)
        dead = followup_patient(site_a, coordinator, investigator)
        death_record(
            patient=dead,
            by=coordinator,
            today=dt.date(2027, 12, 5),
            death_date=dt.date(2027, 12, 1),
            cause="infection",
        )
        _forget_visits()  # the death's own refresh: only the refreshes compared plan visits
        visits_refresh(today=AS_OF)
        copied = _written()
        _forget_visits()
        monkeypatch.setattr(bulk, "_copy_supported", lambda: False)

        visits_refresh(today=AS_OF)

        assert len(copied[0]) > 10
        assert {v[_VISIT_COLUMNS.index("status")] for v in copied[0]} >= {"missed", "due"}
        assert _written() == copied


class TestCopyText:
    @pytest.mark.parametrize(
        ("value", "text"),
        [
            (None, r"\N"),
            (True, "t"),
            (False, "f"),
            (7, "7"),
            (dt.date(2028, 2, 29), "2028-02-29"),
            (dt.datetime(2028, 2, 29, 8, 30, tzinfo=dt.UTC), "2028-02-29T08:30:00+00:00"),
            ("a\tb\\c\nd\re", r"a\tb\\c\nd\re"),
        ],
    )
    def test_a_value_reads_back_as_itself(self, value: object, text: str) -> None:
        assert bulk._copy_text(value) == text
