"""Writing many records with their history (trial/bulk.py): on PostgreSQL by COPY and one
UPDATE … FROM unnest(…), elsewhere through simple-history. Both must leave the same rows and
the same history, with the user and the reason."""

from __future__ import annotations

import gc
from typing import Any

import pytest
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from trial.bulk import (
    cycle_collection_paused,
    insert_with_history,
    records_read,
    update_with_history,
)
from trial.models import Site, User

pytestmark = pytest.mark.django_db

_ROW = ("code", "name", "active", "time_zone", "next_screening_number", "next_subject_number")


def _history(codes: list[str]) -> list[tuple[Any, ...]]:
    rows = Site.history.filter(code__in=codes).order_by("code", "history_id")
    return [
        (
            h.code[1:],
            h.name,
            h.active,
            h.time_zone,
            h.history_type,
            h.history_user_id,
            h.history_change_reason,
            h.created_at is not None,
        )
        for h in rows
    ]


def _sites(prefix: str) -> list[Site]:
    return [Site(code=f"{prefix}{i}", name=f"Site {i}", time_zone="Europe/Rome") for i in range(3)]


class TestInsertAndUpdateWithHistory:
    def test_rows_and_history_with_the_user_and_the_reason(self, data_manager: User) -> None:
        sites = _sites("N")
        sites[1]._change_reason = "Opened early"

        insert_with_history(sites, user=data_manager, reason="Opened")

        assert all(s.pk and not s._state.adding for s in sites)
        stored = Site.objects.get(pk=sites[2].pk)
        assert (stored.code, stored.name, stored.time_zone) == ("N2", "Site 2", "Europe/Rome")
        assert stored.created_at is not None
        assert [(h[4], h[5], h[6]) for h in _history(["N0", "N1", "N2"])] == [
            ("+", data_manager.pk, "Opened"),
            ("+", data_manager.pk, "Opened early"),
            ("+", data_manager.pk, "Opened"),
        ]

        del sites[1]._change_reason  # a record's own reason counts for its next write too
        for site in sites:
            site.name, site.active = site.name.upper(), False
        update_with_history(sites[:2], ["name", "active"], user=None, reason="Closed")

        assert list(
            Site.objects.filter(code__in=["N0", "N1", "N2"])
            .order_by("code")
            .values_list("name", "active")
        ) == [
            ("SITE 0", False),
            ("SITE 1", False),
            ("Site 2", True),
        ]
        changes = [h for h in _history(["N0", "N1"]) if h[4] == "~"]
        assert [(h[1], h[2], h[5], h[6]) for h in changes] == [
            ("SITE 0", False, None, "Closed"),
            ("SITE 1", False, None, "Closed"),
        ]

    def test_no_reason_is_stored_as_none(self) -> None:
        sites = _sites("R")
        insert_with_history(sites, reason=None)
        assert {h[6] for h in _history(["R0", "R1", "R2"])} == {None}

    def test_nothing_to_write_writes_nothing(self) -> None:
        insert_with_history([], reason="x")
        update_with_history([], ["name"], reason="x")
        assert not Site.history.exists()

    @pytest.mark.postgresql
    def test_copy_writes_what_simple_history_writes(self, data_manager: User) -> None:
        """On PostgreSQL the COPY path is the one taken: its rows and history match those of
        simple-history's own bulk functions, column by column."""
        ours, theirs = _sites("A"), _sites("B")
        insert_with_history(ours, user=data_manager, reason="Opened")
        bulk_create_with_history(
            theirs, Site, default_user=data_manager, default_change_reason="Opened"
        )
        for site in ours + theirs:
            site.name, site.next_subject_number = site.name + " (new)", 7
        update_with_history(ours, ["name", "next_subject_number"], user=None, reason="Renamed")
        bulk_update_with_history(
            theirs, Site, ["name", "next_subject_number"], default_change_reason="Renamed"
        )

        def rows(prefix: str) -> list[tuple[Any, ...]]:
            values = Site.objects.filter(code__startswith=prefix).order_by("code")
            return [
                tuple(v[1:] if f == "code" else v for f, v in zip(_ROW, r, strict=True))
                for r in values.values_list(*_ROW)
            ]

        assert rows("A") == rows("B")
        assert _history([s.code for s in ours]) == _history([s.code for s in theirs])
        assert len(_history([s.code for s in ours])) == 6


class TestRecordsRead:
    """Records built from rows of values (trial/bulk.py `records_read`) are the records the ORM
    returns: every column, loaded from the database, and saved like any other."""

    def test_every_column_as_the_orm_reads_it(self, data_manager: User) -> None:
        insert_with_history(_sites("R"), user=data_manager, reason="Opened")
        sites = Site.objects.filter(code__startswith="R").order_by("pk")

        read = records_read(sites)

        expected = list(sites)
        columns = [f.attname for f in Site._meta.concrete_fields]
        assert [type(s) for s in read] == [Site] * 3
        assert [[getattr(s, c) for c in columns] for s in read] == [
            [getattr(s, c) for c in columns] for s in expected
        ]
        assert all(not s._state.adding and s._state.db == "default" for s in read)

    def test_a_record_read_is_saved_with_its_history(self, data_manager: User) -> None:
        insert_with_history(_sites("Q"), user=data_manager, reason="Opened")
        site = records_read(Site.objects.filter(code="Q1"))[0]

        site.name = "Renamed"
        site._change_reason = "Renamed by the sponsor"
        update_with_history([site], ["name"], user=data_manager, reason="Refreshed")

        assert Site.objects.get(code="Q1").name == "Renamed"
        assert Site.objects.filter(code__startswith="Q").count() == 3
        assert _history(["Q1"])[-1][1:3] == ("Renamed", True)
        assert Site.history.filter(code="Q1").latest("history_id").history_change_reason == (
            "Renamed by the sponsor"
        )


class TestCycleCollectionPaused:
    def test_paused_in_the_block_until_the_outermost_ends(self) -> None:
        assert gc.isenabled()
        with cycle_collection_paused():
            assert not gc.isenabled()
            with cycle_collection_paused():
                assert not gc.isenabled()
            assert not gc.isenabled()  # the outer block still makes its objects
        assert gc.isenabled()

    def test_enabled_again_when_the_block_fails(self) -> None:
        with pytest.raises(ValueError), cycle_collection_paused():
            raise ValueError
        assert gc.isenabled()

    def test_a_collector_paused_before_stays_paused(self) -> None:
        gc.disable()
        try:
            with cycle_collection_paused():
                pass
            assert not gc.isenabled()
        finally:
            gc.enable()
