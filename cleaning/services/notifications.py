"""The daily digest of data queries: new queries to the site team, answers to the raiser.

At most one e-mail a day per person (a `QueryDigest` row, unique per person and day, is written
in the same transaction as the message), and none when there is nothing new. "Since" is the
person's previous digest, or the day before. The e-mail goes through the project's one message
path, the outbox (`trial.outbox.message_queue`), written in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from cleaning.fields import field_label
from cleaning.models import DataQuery, QueryDigest, QueryState
from cleaning.selectors import with_text
from trial.models import Membership, User
from trial.outbox import message_queue
from trial.permissions import Action, roles_for


@dataclass(frozen=True)
class Digest:
    new: list[DataQuery]
    answered: list[DataQuery]

    def __bool__(self) -> bool:
        return bool(self.new or self.answered)


def _line(query: DataQuery) -> str:
    record = query.content_type.model_class()
    about = field_label(record, query.field_name)
    text = query.finding or getattr(query, "text", "") or ""
    return f"- #{query.pk} {query.patient} ({query.patient.site.code}), {about}: {text}"


def _with_details(queries: QuerySet[DataQuery]) -> list[DataQuery]:
    return list(
        with_text(queries)
        .select_related("patient__site", "content_type")
        .order_by("raised_at", "pk")
    )


def digest_for(*, user: User, since: dt.datetime, until: dt.datetime) -> Digest:
    """What a person has not been told yet: new queries still open at the sites where they
    answer queries, and answers (not yet closed) to the queries they raised."""
    site_ids = user.site_ids_for(Action.ANSWER_QUERY)
    new = DataQuery.objects.none()
    if site_ids is None or site_ids:
        new = DataQuery.objects.for_user(user, Action.ANSWER_QUERY).filter(
            state=QueryState.OPEN, raised_at__gt=since, raised_at__lte=until
        )
    answered = DataQuery.objects.filter(
        raised_by=user, state=QueryState.ANSWERED, answered_at__gt=since, answered_at__lte=until
    )
    return Digest(new=_with_details(new), answered=_with_details(answered))


def _body(user: User, digest: Digest) -> str:
    parts = [
        _("Data queries for %(name)s.") % {"name": user.get_full_name() or user.get_username()}
    ]
    if digest.new:
        count = {"count": len(digest.new)}
        parts += ["", _("New queries at your site(s), to answer (%(count)s):") % count]
        parts += [_line(q) for q in digest.new]
    if digest.answered:
        count = {"count": len(digest.answered)}
        parts += ["", _("Answers to the queries you raised, to review (%(count)s):") % count]
        parts += [_line(q) for q in digest.answered]
    return "\n".join(parts)


def _recipients() -> QuerySet[User]:
    """People a digest may concern: the site teams, and whoever raised a query."""
    teams = Membership.objects.filter(active=True, role__in=roles_for(Action.ANSWER_QUERY))
    raisers = DataQuery.objects.filter(raised_by__isnull=False).values("raised_by")
    return (
        User.objects.filter(is_active=True)
        .exclude(email="")
        .filter(Q(pk__in=teams.values("user")) | Q(pk__in=raisers))
        .order_by("pk")
    )


def query_digests_send(*, day: dt.date, now: dt.datetime) -> int:
    """Send each person their digest of the day, if any; return how many were sent."""
    previous = dict(
        QueryDigest.objects.values("user").annotate(last=Max("sent_at")).values_list("user", "last")
    )
    sent = 0
    for user in _recipients():
        since = previous.get(user.pk) or now - dt.timedelta(days=1)
        digest = digest_for(user=user, since=since, until=now)
        if digest:
            sent += _digest_send(user=user, day=day, now=now, digest=digest)
    return sent


def _digest_send(*, user: User, day: dt.date, now: dt.datetime, digest: Digest) -> bool:
    # Written in the person's interface language (the trial's default when they chose none).
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = _("Data queries: %(new)s new, %(answered)s answered (%(day)s)") % {
            "new": len(digest.new),
            "answered": len(digest.answered),
            "day": f"{day:%Y-%m-%d}",
        }
        body = _body(user, digest)
    row = QueryDigest(
        user=user,
        day=day,
        sent_at=now,
        recipient=user.email,
        subject=subject,
        body=body,
    )
    try:
        with transaction.atomic():
            row.save()
            message_queue(
                kind="cleaning.query_digest",
                key=f"cleaning.query_digest:{user.pk}:{day:%Y-%m-%d}",
                recipients=[user.email],
                subject=subject,
                body=row.body,
                now=now,
                related=row,
            )
    except IntegrityError:  # already sent today
        return False
    return True
