"""Delivering the outbox: one message at a time, never sent by two workers, recorded once.

1. Take the message, in a short transaction with its row locked: only a pending message, or one
   a worker took and never finished (`CLAIM_TIMEOUT_SECONDS`), is taken; it becomes `sending`
   with one more attempt. A second worker asked for the same message finds it taken (or sent)
   and sends nothing.
2. Send it through Django's mail API, outside any transaction, so that a slow mail server
   holds no lock.
3. Record it as sent, and what its kind records on delivery (`delivered_listen`), in one
   transaction. Once the mail server has the message, a database that is briefly unavailable
   is waited for (`RECORD_WAIT_SECONDS`) rather than the message sent twice. A failed send puts
   the message back to pending with the error and the time of its next attempt.

Only a worker that dies between 2 and 3 leaves a message that is sent again once its claim is
stale: at least once, never silently lost.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from django.core.mail import EmailMessage
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Q

from trial.models import MessageStatus, OutboundMessage
from trial.outbox.rules import OutboxRules

logger = logging.getLogger(__name__)

# Errors of a database that is unavailable for a while (restarted, failed over, unreachable).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)

DeliveredListener = Callable[..., object]  # called as listener(message=…)

_delivered_listeners: dict[str, list[DeliveredListener]] = {}


class DeliveryFailed(Exception):
    """The mail backend did not take the message; the attempt and its error are recorded."""


def delivered_listen(kind: str, listener: DeliveredListener) -> None:
    """Register what an app records when a message of `kind` is delivered.

    Called from the app's AppConfig.ready(), so that this base app never imports a later one;
    the listener runs inside the transaction that records the delivery.
    """
    listeners = _delivered_listeners.setdefault(kind, [])
    if listener not in listeners:
        listeners.append(listener)


def message_deliver(*, message_pk: int, now: dt.datetime) -> bool:
    """Send one queued message unless it is sent, being sent, or has nobody to go to.

    Return whether this call sent it.

    :raises DeliveryFailed: the mail backend refused it or could not be reached; the message
        is pending again, with the error and the time of its next attempt.
    :raises OperationalError: the database is unavailable (nothing was sent).
    """
    message = _take(message_pk, now=now)
    if message is None:
        return False
    try:
        _send(message)
    except Exception as error:  # whatever the backend raises (SMTP, socket, TLS, DNS)
        _put_back(message, error=error, now=now)
        raise DeliveryFailed(f"Message {message.pk} ({message.kind}) not sent: {error}") from error
    _record_sent(message, now=now)
    return True


def messages_due(*, now: dt.datetime) -> list[int]:
    """The messages a worker should be given now, oldest first (at most `SWEEP_BATCH`).

    Pending ones due for `SWEEP_GRACE_SECONDS` (the publish on commit had its chance: the broker
    was down, or the task was lost with its worker), and those a worker took and never finished.
    """
    rules = OutboxRules.from_settings()
    due = now - dt.timedelta(seconds=rules.sweep_grace_seconds)
    stale = now - dt.timedelta(seconds=rules.claim_timeout_seconds)
    rows = OutboundMessage.objects.filter(
        Q(status=MessageStatus.PENDING, next_attempt_at__lte=due)
        | Q(status=MessageStatus.SENDING, claimed_at__lt=stale)
    ).order_by("next_attempt_at", "pk")
    return list(rows.values_list("pk", flat=True)[: rules.sweep_batch])


def _save(message: OutboundMessage, reason: str) -> None:
    message._change_reason = reason  # type: ignore[attr-defined]
    message.save()


@transaction.atomic
def _take(message_pk: int, *, now: dt.datetime) -> OutboundMessage | None:
    message = OutboundMessage.objects.select_for_update().filter(pk=message_pk).first()
    if message is None:
        return None
    stale = now - dt.timedelta(seconds=OutboxRules.from_settings().claim_timeout_seconds)
    abandoned = message.status == MessageStatus.SENDING and (
        message.claimed_at is None or message.claimed_at < stale
    )
    if message.status != MessageStatus.PENDING and not abandoned:
        return None
    message.status, message.claimed_at = MessageStatus.SENDING, now
    message.attempts += 1
    _save(message, f"Attempt {message.attempts}")
    return message


def _send(message: OutboundMessage) -> None:
    EmailMessage(
        subject=message.subject,
        body=message.body,
        to=list(message.recipients),
        headers={"X-Message-Key": message.dedup_key},
    ).send()


def _put_back(message: OutboundMessage, *, error: Exception, now: dt.datetime) -> None:
    message.status, message.claimed_at = MessageStatus.PENDING, None
    message.last_error = f"{type(error).__name__}: {error}"[:2000]
    message.next_attempt_at = now + OutboxRules.from_settings().retry_delay(message.attempts)
    with transaction.atomic():
        _save(message, f"Attempt {message.attempts} failed")
    logger.warning("Message %s not sent (attempt %s): %s", message.pk, message.attempts, error)


def _record_sent(message: OutboundMessage, *, now: dt.datetime) -> None:
    """Record the message as sent, waiting for a database that is briefly unavailable."""
    deadline = time.monotonic() + OutboxRules.from_settings().record_wait_seconds
    pause = 0.25
    while True:
        try:
            with transaction.atomic():
                message.status, message.sent_at = MessageStatus.SENT, now
                _save(message, "Sent")
                _delivered_record(message)
            return
        except DATABASE_UNAVAILABLE:
            # Inside a caller's transaction (a task run in-process) nothing can be waited for.
            if connection.in_atomic_block or time.monotonic() > deadline:
                raise
            logger.warning("Message %s sent; waiting for the database to record it", message.pk)
            connection.close()
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def _delivered_record(message: OutboundMessage) -> None:
    """What later apps record on delivery. A listener's own failure must not make the message
    be sent again: it is logged and kept as the message's last error."""
    for listener in _delivered_listeners.get(message.kind, []):
        try:
            with transaction.atomic():
                listener(message=message)
        except DATABASE_UNAVAILABLE:
            raise
        except Exception as error:
            logger.exception("Message %s sent; recording its delivery failed", message.pk)
            message.last_error = f"Sent; recording the delivery failed: {error}"[:2000]
            _save(message, "Sent; recording the delivery failed")
