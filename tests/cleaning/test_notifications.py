"""The daily digest of data queries: new queries to the site team, answers to the raiser, at
most one e-mail a day per person, none when there is nothing new."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from cleaning.models import QueryDigest
from cleaning.services.notifications import query_digests_send
from cleaning.services.queries import query_answer, query_raise
from tests.cleaning.conftest import NOW
from trial.models import User

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("genes_recorded_by_the_factories")]

DAY = NOW.date()


def _with_email(*users: User) -> None:
    for user in users:
        user.email = f"{user.username}@site.example"
        user.save()


def _raise(visit, by, at=NOW - dt.timedelta(hours=5)):
    return query_raise(
        record=visit,
        field_name="contact_date",
        category="inconsistent",
        text="Which day?",
        by=by,
        now=at,
    )


def _sent_to() -> dict[str, str]:
    return {m.to[0]: m.body for m in mail.outbox}


class TestQueryDigest:
    def test_the_site_team_hears_of_new_queries_and_the_raiser_of_answers(
        self,
        done_visit,
        monitor,
        coordinator,
        investigator,
        coordinator_b,
        django_capture_on_commit_callbacks,
    ) -> None:
        _with_email(monitor, coordinator, investigator, coordinator_b)
        answered = _raise(done_visit, monitor, at=NOW - dt.timedelta(hours=20))
        query_answer(query=answered, text="Done.", by=coordinator, now=NOW - dt.timedelta(hours=2))
        fresh = _raise(done_visit, monitor)

        with django_capture_on_commit_callbacks(execute=True):
            sent = query_digests_send(day=DAY, now=NOW)

        bodies = _sent_to()
        assert sent == 3 and set(bodies) == {
            "coord_a@site.example",
            "inv_a@site.example",
            "monitor_a@site.example",
        }
        assert f"#{fresh.pk} " in bodies["coord_a@site.example"]
        assert f"#{answered.pk} " not in bodies["coord_a@site.example"]  # answered: not new work
        assert f"#{answered.pk} " in bodies["monitor_a@site.example"]
        assert "to review (1)" in bodies["monitor_a@site.example"]

    def test_at_most_one_digest_a_day_per_person(
        self, done_visit, monitor, coordinator, django_capture_on_commit_callbacks
    ) -> None:
        _with_email(coordinator)
        _raise(done_visit, monitor)
        with django_capture_on_commit_callbacks(execute=True):
            query_digests_send(day=DAY, now=NOW)
        _raise(done_visit, monitor, at=NOW + dt.timedelta(hours=1))

        with django_capture_on_commit_callbacks(execute=True):
            again = query_digests_send(day=DAY, now=NOW + dt.timedelta(hours=2))

        assert again == 0
        assert len(mail.outbox) == 1
        assert QueryDigest.objects.filter(user=coordinator).count() == 1

    def test_the_next_days_digest_tells_only_what_is_new_since(
        self, done_visit, monitor, coordinator, django_capture_on_commit_callbacks
    ) -> None:
        _with_email(coordinator)
        first = _raise(done_visit, monitor)
        with django_capture_on_commit_callbacks(execute=True):
            query_digests_send(day=DAY, now=NOW)
        second = _raise(done_visit, monitor, at=NOW + dt.timedelta(hours=3))

        with django_capture_on_commit_callbacks(execute=True):
            query_digests_send(day=DAY + dt.timedelta(days=1), now=NOW + dt.timedelta(days=1))

        body = mail.outbox[-1].body
        assert f"#{second.pk} " in body and f"#{first.pk} " not in body

    def test_nothing_new_sends_nothing(self, done_visit, coordinator) -> None:
        _with_email(coordinator)

        assert query_digests_send(day=DAY, now=NOW) == 0
        assert mail.outbox == []
