"""Celery tasks of the base app: the outbox's delivery and sweep, and the one way to hand a
message to a worker.

Publishing never fails the caller: a broker that is down leaves the message pending (its row
is committed) and beat's sweep hands it over once the broker is back.
"""

from __future__ import annotations

import logging

from celery import Task, shared_task
from celery.exceptions import Retry
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnavailable
from redis.exceptions import RedisError

from trial.outbox.delivery import (
    DATABASE_UNAVAILABLE,
    DeliveryFailed,
    message_deliver,
    messages_due,
)
from trial.outbox.rules import OutboxRules

logger = logging.getLogger(__name__)

_rules = OutboxRules.from_settings()


@shared_task(
    bind=True,
    name="trial.outbox_deliver",
    acks_late=True,
    reject_on_worker_lost=True,
    # Any failed send, and a database briefly unavailable, is tried again with a doubling
    # (jittered) delay; after the last retry the sweep takes over from the message's row.
    autoretry_for=(DeliveryFailed, *DATABASE_UNAVAILABLE),
    retry_backoff=_rules.retry_base_seconds,
    retry_backoff_max=_rules.retry_max_seconds,
    max_retries=_rules.task_max_retries,
)
def outbox_deliver(self: Task, *, message_pk: int) -> bool:
    """Send one message of the outbox; a re-run or a second worker sends nothing."""
    return message_deliver(message_pk=message_pk, now=timezone.now())


@shared_task(name="trial.outbox_sweep", acks_late=True)
def outbox_sweep() -> int:
    """Hand to the workers the messages left behind or due for another attempt; stop at the
    first the broker refuses (the next sweep takes the rest). Return how many were handed."""
    handed = 0
    for message_pk in messages_due(now=timezone.now()):
        if not message_publish(message_pk):
            break
        handed += 1
    return handed


def message_publish(message_pk: int) -> bool:
    """Queue the delivery of a message; return False (and log) when the broker is down."""
    try:
        outbox_deliver.apply_async(kwargs={"message_pk": message_pk})
    except (BrokerUnavailable, RedisError, OSError) as error:
        logger.warning("Message %s left for the sweep: broker unavailable (%s)", message_pk, error)
        return False
    except (DeliveryFailed, Retry) as error:  # run in-process (eager): on the row already
        logger.warning("Message %s left for the sweep: %s", message_pk, error)
        return False
    return True
