"""Queueing a message: a row written in the caller's transaction, handed to a worker on commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import partial

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction

from trial.models import MessageStatus, OutboundMessage
from trial.tasks import message_publish

SUBJECT_LENGTH = OutboundMessage._meta.get_field("subject").max_length or 255


@transaction.atomic
def message_queue(
    *,
    kind: str,
    key: str,
    recipients: Iterable[str],
    subject: str,
    body: str,
    now: dt.datetime,
    related: models.Model | None = None,
) -> tuple[OutboundMessage, bool]:
    """Queue an e-mail, sent by a worker once the caller's transaction has committed.

    Call it inside the transaction that writes what the message is about: the message commits
    with it or not at all. `key` names the message for good (e.g. `randomization.result:12`):
    queueing the same key again returns the first message, and `created` is False. A message
    with no address is recorded as having nobody to go to, and not sent.
    """
    earlier = OutboundMessage.objects.filter(dedup_key=key).first()
    if earlier is not None:
        return earlier, False
    addresses = sorted({a.strip() for a in recipients if a and a.strip()})
    message = OutboundMessage(
        kind=kind,
        dedup_key=key,
        recipients=addresses,
        subject=" ".join(subject.split())[:SUBJECT_LENGTH],  # one header line
        body=body,
        status=MessageStatus.PENDING if addresses else MessageStatus.NO_RECIPIENT,
        next_attempt_at=now,
    )
    if related is not None:
        message.related_type = ContentType.objects.get_for_model(related)
        message.related_id = related.pk
    # Lengths and choices; the content type needs no query to be believed.
    message.full_clean(exclude=["related_type"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            message._change_reason = "Queued"  # type: ignore[attr-defined]
            message.save()
    except IntegrityError:  # the same key, queued meanwhile by a concurrent transaction
        return OutboundMessage.objects.get(dedup_key=key), False
    if message.status == MessageStatus.PENDING:
        transaction.on_commit(partial(message_publish, message.pk))
    return message, True
