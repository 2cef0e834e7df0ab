"""The outbox: queued in the caller's transaction, delivered once by a worker, retried with a
doubling delay, swept when left behind; read only in the admin."""

from __future__ import annotations

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse
from kombu.exceptions import OperationalError as BrokerUnavailable

from config.celery import app
from tests.factories import NOW
from trial.models import MessageStatus, OutboundMessage, Site, User
from trial.outbox import DeliveryFailed, delivered_listen, message_queue
from trial.outbox import delivery as delivery_module
from trial.outbox.delivery import message_deliver, messages_due
from trial.outbox.rules import OutboxRules
from trial.tasks import message_publish, outbox_deliver, outbox_sweep

pytestmark = pytest.mark.django_db


def _queue(key: str = "test.note:1", **kw: object) -> OutboundMessage:
    values: dict[str, object] = {
        "kind": "test.note",
        "key": key,
        "recipients": ["b@example.org", "a@example.org", ""],
        "subject": "A note\nwith a second line",
        "body": "Body of the note.",
        "now": NOW,
    }
    values.update(kw)
    message, _ = message_queue(**values)
    return message


def _refuse(*args: object, **kwargs: object) -> None:
    raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class TestMessageQueue:
    def test_the_row_is_written_and_delivered_once_the_transaction_commits(
        self, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            message = _queue()
            assert mail.outbox == []

        message.refresh_from_db()
        (sent,) = mail.outbox
        assert sent.to == ["a@example.org", "b@example.org"]
        assert sent.subject == "A note with a second line"
        assert sent.extra_headers["X-Message-Key"] == "test.note:1"
        assert (message.status, message.attempts) == (MessageStatus.SENT, 1)
        assert message.sent_at is not None

    def test_a_rolled_back_transaction_leaves_no_message(
        self, django_capture_on_commit_callbacks
    ) -> None:
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            _queue()
            raise RuntimeError("the record is refused")

        assert callbacks == []
        assert not OutboundMessage.objects.exists()
        assert mail.outbox == []

    def test_the_same_key_again_returns_the_first_message_and_queues_nothing(
        self, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            first, created = message_queue(
                kind="test.note", key="k", recipients=["a@x.org"], subject="s", body="b", now=NOW
            )
            again, created_again = message_queue(
                kind="test.note", key="k", recipients=["z@x.org"], subject="t", body="c", now=NOW
            )

        assert (created, created_again) == (True, False)
        assert again.pk == first.pk and again.recipients == ["a@x.org"]
        assert len(callbacks) == 1

    def test_a_message_without_recipient_is_recorded_but_not_sent(
        self, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            message = _queue(recipients=["", " "])

        assert message.status == MessageStatus.NO_RECIPIENT
        assert callbacks == []
        assert mail.outbox == []

    def test_the_related_record_is_kept(self, site_a: Site) -> None:
        message = _queue(related=site_a)

        assert message.related == site_a


class TestMessageDeliver:
    def test_a_second_delivery_sends_nothing(self) -> None:
        message = _queue()

        first = message_deliver(message_pk=message.pk, now=NOW)
        second = message_deliver(message_pk=message.pk, now=NOW)

        assert (first, second) == (True, False)
        assert len(mail.outbox) == 1

    def test_a_message_taken_by_another_worker_is_not_sent_again(self) -> None:
        message = _queue()
        OutboundMessage.objects.filter(pk=message.pk).update(
            status=MessageStatus.SENDING, claimed_at=NOW, attempts=1
        )

        sent = message_deliver(message_pk=message.pk, now=NOW + dt.timedelta(minutes=1))

        assert sent is False
        assert mail.outbox == []

    def test_a_failed_send_is_recorded_and_tried_again_later(self, monkeypatch) -> None:
        message = _queue()
        monkeypatch.setattr(delivery_module.EmailMessage, "send", _refuse)

        with pytest.raises(DeliveryFailed, match="Connection unexpectedly closed"):
            message_deliver(message_pk=message.pk, now=NOW)

        message.refresh_from_db()
        assert message.status == MessageStatus.PENDING
        assert message.attempts == 1
        assert message.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
        delay = OutboxRules.from_settings().retry_delay(1)
        assert message.next_attempt_at == NOW + delay
        assert message.sent_at is None

    def test_the_delay_doubles_up_to_its_ceiling(self, settings) -> None:
        settings.TRIAL_OUTBOX = {
            **settings.TRIAL_OUTBOX,
            "RETRY_BASE_SECONDS": 30,
            "RETRY_MAX_SECONDS": 200,
        }
        rules = OutboxRules.from_settings()

        delays = [rules.retry_delay(n).total_seconds() for n in range(1, 6)]

        assert delays == [30, 60, 120, 200, 200]

    def test_what_an_app_records_on_delivery_runs_with_the_sent_state(self, site_a) -> None:
        seen: list[tuple[str, object]] = []
        delivered_listen(
            "test.recorded", lambda *, message: seen.append((message.status, message.related))
        )
        message = _queue(kind="test.recorded", related=site_a)

        message_deliver(message_pk=message.pk, now=NOW)

        assert seen == [(MessageStatus.SENT, site_a)]

    def test_a_failing_listener_does_not_make_the_message_be_sent_again(self) -> None:
        def broken(*, message: OutboundMessage) -> None:
            raise ValueError("no such record")

        delivered_listen("test.broken", broken)
        message = _queue(kind="test.broken")

        message_deliver(message_pk=message.pk, now=NOW)

        message.refresh_from_db()
        assert message.status == MessageStatus.SENT
        assert "recording the delivery failed: no such record" in message.last_error
        assert message_deliver(message_pk=message.pk, now=NOW) is False
        assert len(mail.outbox) == 1


class TestDeliverTask:
    def test_is_acknowledged_late_and_retries_any_delivery_error_with_backoff(self) -> None:
        assert outbox_deliver.acks_late and outbox_deliver.reject_on_worker_lost
        assert DeliveryFailed in outbox_deliver.autoretry_for
        assert outbox_deliver.retry_backoff == OutboxRules.from_settings().retry_base_seconds
        assert outbox_deliver.max_retries == OutboxRules.from_settings().task_max_retries

    def test_retries_until_the_mail_server_takes_it(self, monkeypatch) -> None:
        message = _queue()
        calls = {"n": 0}
        real_send = delivery_module.EmailMessage.send

        def flaky(self, *args: object, **kwargs: object) -> int:
            calls["n"] += 1
            if calls["n"] < 3:
                _refuse()
            return real_send(self, *args, **kwargs)

        monkeypatch.setattr(delivery_module.EmailMessage, "send", flaky)
        monkeypatch.setitem(app.conf, "task_eager_propagates", False)  # retries run at once

        outbox_deliver.delay(message_pk=message.pk)

        message.refresh_from_db()
        assert (message.status, message.attempts) == (MessageStatus.SENT, 3)
        assert len(mail.outbox) == 1


class TestPublish:
    def test_a_broker_that_is_down_leaves_the_message_pending(self, monkeypatch) -> None:
        message = _queue()

        def down(*args: object, **kwargs: object) -> None:
            raise BrokerUnavailable("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

        monkeypatch.setattr(outbox_deliver, "apply_async", down)

        assert message_publish(message.pk) is False
        message.refresh_from_db()
        assert message.status == MessageStatus.PENDING

    def test_a_mail_server_that_is_down_does_not_fail_the_caller(
        self, monkeypatch, django_capture_on_commit_callbacks
    ) -> None:
        monkeypatch.setattr(delivery_module.EmailMessage, "send", _refuse)

        with django_capture_on_commit_callbacks(execute=True):
            message = _queue()

        message.refresh_from_db()
        assert message.status == MessageStatus.PENDING
        assert message.attempts == 1 and "SMTPServerDisconnected" in message.last_error


class TestSweep:
    def test_picks_pending_messages_left_behind_and_those_due_again(self) -> None:
        grace = dt.timedelta(seconds=OutboxRules.from_settings().sweep_grace_seconds)
        left_behind = _queue("a", now=NOW - grace)
        fresh = _queue("b", now=NOW)
        not_yet_due = _queue("c", now=NOW - grace)
        OutboundMessage.objects.filter(pk=not_yet_due.pk).update(
            attempts=1, next_attempt_at=NOW + dt.timedelta(minutes=5)
        )

        due = messages_due(now=NOW)

        assert due == [left_behind.pk]
        assert fresh.pk not in due

    def test_picks_a_message_whose_worker_died_while_sending_once_its_claim_is_stale(
        self,
    ) -> None:
        timeout = dt.timedelta(seconds=OutboxRules.from_settings().claim_timeout_seconds)
        message = _queue()
        OutboundMessage.objects.filter(pk=message.pk).update(
            status=MessageStatus.SENDING, claimed_at=NOW, attempts=1
        )

        assert messages_due(now=NOW + timeout - dt.timedelta(seconds=1)) == []
        assert messages_due(now=NOW + timeout + dt.timedelta(seconds=1)) == [message.pk]
        assert message_deliver(message_pk=message.pk, now=NOW + timeout * 2) is True

    def test_the_sweep_task_delivers_what_it_finds(self) -> None:
        _queue("a", now=NOW)
        _queue("b", now=NOW)

        handed = outbox_sweep.delay().get()

        assert handed == 2
        assert sorted(m.extra_headers["X-Message-Key"] for m in mail.outbox) == ["a", "b"]
        assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"sent"}

    def test_the_sweep_stops_at_the_first_message_the_broker_refuses(self, monkeypatch) -> None:
        _queue("a", now=NOW)
        _queue("b", now=NOW)
        calls: list[object] = []

        def down(*args: object, **kwargs: object) -> None:
            calls.append(kwargs)
            raise BrokerUnavailable("Connection refused")

        monkeypatch.setattr(outbox_deliver, "apply_async", down)

        assert outbox_sweep.run() == 0
        assert len(calls) == 1  # the rest waits for the next sweep, not for 500 timeouts


class TestOutboxAdmin:
    def test_the_sponsor_admin_reads_undelivered_messages_and_cannot_change_them(
        self, client: Client, sponsor_admin: User
    ) -> None:
        message = _queue()
        OutboundMessage.objects.filter(pk=message.pk).update(attempts=2, last_error="Refused")
        client.force_login(sponsor_admin)

        listing = client.get(
            reverse("admin:trial_outboundmessage_changelist"), {"status": "pending"}
        )
        detail = client.get(reverse("admin:trial_outboundmessage_change", args=[message.pk]))
        change = client.post(reverse("admin:trial_outboundmessage_change", args=[message.pk]), {})

        assert listing.status_code == 200
        assert b"Refused" in listing.content and b"a@example.org" in listing.content
        assert detail.status_code == 200
        assert change.status_code == 403
        assert client.get(reverse("admin:trial_outboundmessage_add")).status_code == 403

    def test_a_site_coordinator_does_not_see_the_outbox(
        self, client: Client, coordinator: User
    ) -> None:
        client.force_login(coordinator)

        response = client.get(reverse("admin:trial_outboundmessage_changelist"))

        assert response.status_code in (302, 403)
