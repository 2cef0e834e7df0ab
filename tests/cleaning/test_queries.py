"""Data queries raised, answered, closed and re-opened by people: every state transition,
every role, and the site boundary (docs/protocol.md "Data cleaning and locking")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from cleaning.models import DataQuery, QueryMessage, QueryState, QueryStateChange
from cleaning.services.queries import query_answer, query_close, query_raise, query_reopen
from tests.cleaning.conftest import NOW
from tests.factories import user_with_role
from trial.exceptions import PermissionDenied, StateConflict
from trial.models import Role

pytestmark = pytest.mark.django_db

LATER = NOW + dt.timedelta(days=3)


def _raise(record, by, **kw) -> DataQuery:
    data = {"field_name": "contact_date", "category": "inconsistent", "text": "Source says 14?"}
    data.update(kw)
    return query_raise(record=record, by=by, now=NOW, **data)


def _moves(query: DataQuery) -> list[tuple[str, str, str]]:
    rows = QueryStateChange.objects.filter(query=query).order_by("at", "pk")
    return [(r.from_state, r.to_state, r.by.username if r.by else "") for r in rows]


class TestQueryRaise:
    @pytest.mark.parametrize("raiser", ["data_manager", "monitor"])
    def test_a_data_manager_or_monitor_raises_an_open_query_on_a_field(
        self, request, done_visit, raiser
    ) -> None:
        user = request.getfixturevalue(raiser)

        query = _raise(done_visit, user)

        assert query.state == QueryState.OPEN
        assert query.record == done_visit and query.patient == done_visit.patient
        assert query.field_name == "contact_date"
        assert _moves(query) == [("", "open", user.username)]
        assert [m.text for m in query.messages.all()] == ["Source says 14?"]

    @pytest.mark.parametrize(
        "role", ["coordinator", "investigator", "statistician", "sponsor_admin"]
    )
    def test_the_site_team_statisticians_and_sponsor_admins_may_not_raise(
        self, request, done_visit, role
    ) -> None:
        user = request.getfixturevalue(role)

        with pytest.raises(PermissionDenied):
            _raise(done_visit, user)

        assert DataQuery.objects.filter(origin="manual").count() == 0

    def test_a_monitor_of_another_site_may_not_raise(self, done_visit, site_b) -> None:
        other = user_with_role(Role.MONITOR, site_b, "monitor_b")

        with pytest.raises(PermissionDenied):
            _raise(done_visit, other)

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"text": "  "}, "text"),
            ({"category": "gossip"}, "category"),
            ({"field_name": "no_such_field"}, "field_name"),
        ],
    )
    def test_a_query_needs_a_text_a_category_and_a_real_field(
        self, done_visit, data_manager, changes, field
    ) -> None:
        with pytest.raises(ValidationError) as error:
            _raise(done_visit, data_manager, **changes)

        assert field in error.value.message_dict

    def test_a_query_on_the_whole_record_has_no_field(self, done_visit, monitor) -> None:
        query = _raise(done_visit, monitor, field_name="")

        assert query.field_name == ""


class TestQueryAnswer:
    @pytest.mark.parametrize("role", ["coordinator", "investigator"])
    def test_the_site_team_answers_an_open_query(self, request, done_visit, monitor, role) -> None:
        user = request.getfixturevalue(role)
        query = _raise(done_visit, monitor)

        query_answer(query=query, text="Checked: it was the 14th.", by=user, now=LATER)

        query.refresh_from_db()
        assert query.state == QueryState.ANSWERED
        assert query.first_answered_at == query.answered_at == LATER
        assert _moves(query)[-1] == ("open", "answered", user.username)

    @pytest.mark.parametrize("role", ["data_manager", "monitor", "statistician"])
    def test_only_the_site_team_answers(self, request, done_visit, data_manager, role) -> None:
        query = _raise(done_visit, data_manager)

        with pytest.raises(PermissionDenied):
            query_answer(query=query, text="x", by=request.getfixturevalue(role), now=LATER)

    def test_another_sites_coordinator_may_not_answer(
        self, done_visit, data_manager, coordinator_b
    ) -> None:
        query = _raise(done_visit, data_manager)

        with pytest.raises(PermissionDenied):
            query_answer(query=query, text="x", by=coordinator_b, now=LATER)

    def test_an_answer_needs_a_text_and_an_open_query(
        self, done_visit, data_manager, coordinator
    ) -> None:
        query = _raise(done_visit, data_manager)
        with pytest.raises(ValidationError):
            query_answer(query=query, text=" ", by=coordinator, now=LATER)
        query_answer(query=query, text="Done.", by=coordinator, now=LATER)

        with pytest.raises(StateConflict):
            query_answer(query=query, text="Again.", by=coordinator, now=LATER)


class TestQueryCloseAndReopen:
    def test_the_raiser_closes_an_answered_query_and_reopens_it_with_a_message(
        self, done_visit, monitor, coordinator
    ) -> None:
        query = _raise(done_visit, monitor)
        query_answer(query=query, text="Corrected.", by=coordinator, now=LATER)

        query_close(query=query, by=monitor, now=LATER, text="Thanks.")
        query.refresh_from_db()
        assert (query.state, query.closed_by, query.closed_at) == ("closed", monitor, LATER)

        query_reopen(query=query, text="The source still says 14.", by=monitor, now=LATER)
        query.refresh_from_db()
        assert (query.state, query.closed_by, query.closed_at) == ("open", None, None)
        assert _moves(query) == [
            ("", "open", "monitor_a"),
            ("open", "answered", "coord_a"),
            ("answered", "closed", "monitor_a"),
            ("closed", "open", "monitor_a"),
        ]
        kinds = list(query.messages.order_by("written_at", "pk").values_list("kind", flat=True))
        assert kinds == ["raised", "answer", "close", "reopen"]

    def test_an_answered_query_is_reopened_when_the_answer_does_not_do(
        self, done_visit, data_manager, coordinator
    ) -> None:
        query = _raise(done_visit, data_manager)
        query_answer(query=query, text="Fine.", by=coordinator, now=LATER)

        query_reopen(query=query, text="Please check the source.", by=data_manager, now=LATER)

        query.refresh_from_db()
        assert query.state == QueryState.OPEN
        assert query.first_answered_at == LATER  # ageing keeps the first answer

    def test_an_open_query_raised_in_error_may_be_closed_without_an_answer(
        self, done_visit, data_manager
    ) -> None:
        query = _raise(done_visit, data_manager)

        query_close(query=query, by=data_manager, now=LATER)

        assert DataQuery.objects.get(pk=query.pk).state == QueryState.CLOSED

    @pytest.mark.parametrize(
        "role", ["coordinator", "investigator", "statistician", "sponsor_admin"]
    )
    def test_only_data_managers_and_monitors_close(
        self, request, done_visit, monitor, role
    ) -> None:
        query = _raise(done_visit, monitor)

        with pytest.raises(PermissionDenied):
            query_close(query=query, by=request.getfixturevalue(role), now=LATER)

    def test_refusals_of_the_state_machine(self, done_visit, monitor) -> None:
        query = _raise(done_visit, monitor)
        with pytest.raises(StateConflict):
            query_reopen(query=query, text="x", by=monitor, now=LATER)
        query_close(query=query, by=monitor, now=LATER)
        with pytest.raises(StateConflict):
            query_close(query=query, by=monitor, now=LATER)
        with pytest.raises(ValidationError):
            query_reopen(query=query, text="", by=monitor, now=LATER)


class TestNothingIsEditedOrDeleted:
    def test_messages_and_state_changes_are_written_once(self, done_visit, monitor) -> None:
        query = _raise(done_visit, monitor)
        message = QueryMessage.objects.get(query=query)
        move = QueryStateChange.objects.get(query=query)

        message.text = "rewritten"
        with pytest.raises(ValueError, match="never changed"):
            message.save()
        with pytest.raises(ValueError, match="never deleted"):
            move.delete()

        assert QueryMessage.objects.get(pk=message.pk).text == "Source says 14?"

    def test_the_querys_own_history_keeps_every_state_with_who(
        self, done_visit, monitor, coordinator
    ) -> None:
        query = _raise(done_visit, monitor)
        query_answer(query=query, text="Fixed.", by=coordinator, now=LATER)

        rows = list(query.history.order_by("history_date").values_list("state", "history_user"))

        assert rows == [("open", monitor.pk), ("answered", coordinator.pk)]
