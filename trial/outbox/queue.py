"""Queueing a message: a row written in the caller's transaction, handed to a worker on commit;
one message for each language of the recipients (User.language, else settings.LANGUAGE_CODE)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import partial

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.utils import translation

from trial.models import MessageStatus, OutboundMessage, User
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


def addresses_by_language(addresses: Iterable[str]) -> dict[str, list[str]]:
    """The addresses grouped by their users' language (an address of no user, or of a user
    without a language, takes the default); always at least the default language's group."""
    default = settings.LANGUAGE_CODE
    known = {code for code, _name in settings.LANGUAGES}
    chosen = {
        email.lower(): language
        for email, language in User.objects.filter(is_active=True)
        .exclude(language="")
        .values_list("email", "language")
    }
    groups: dict[str, list[str]] = defaultdict(list)
    for address in sorted(set(addresses)):
        language = chosen.get(address.lower(), default)
        groups[language if language in known else default].append(address)
    return dict(groups) or {default: []}


def queue_by_language(
    *,
    kind: str,
    key: str,
    addresses: Iterable[str],
    compose: Callable[[], tuple[str, str]],
    now: dt.datetime,
    related: models.Model | None = None,
) -> int:
    """Queue one message per language of the recipients; `compose` writes (subject, body) in
    the language active when it is called. Return how many were queued by this call."""
    queued = 0
    for language, group in sorted(addresses_by_language(addresses).items()):
        with translation.override(language):
            subject, body = compose()
        _message, created = message_queue(
            kind=kind,
            key=key if language == settings.LANGUAGE_CODE else f"{key}:{language}",
            recipients=group,
            subject=subject,
            body=body,
            now=now,
            related=related,
        )
        queued += created
    return queued
