"""Creates that a repeat must not make twice (a double click, a retry after a timeout).

The client (API header `Idempotency-Key`) or the page (a form token rendered with the form)
names the submission; the first outcome is recorded under that name, in the transaction of the
create, and the same name again gets that outcome back and creates nothing. The key is claimed
before the create runs, so a concurrent repeat waits for the first to commit, then replays it;
if the first fails (a refused input), nothing is kept and the key may be used again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from trial.exceptions import ApplicationError
from trial.models import IdempotentRequest, User

# Visible ASCII, as an HTTP header value carries it; a UUID fits.
KEY_PATTERN = re.compile(r"[!-~]{1,255}")
KEY_RULE = "An Idempotency-Key is 1 to 255 visible ASCII characters (a UUID, for example)."
REPLAYED_HEADER = "Idempotent-Replayed"


class IdempotencyKeyReused(ApplicationError):
    """The key was used before for a different request; nothing was done."""

    status = 422


@dataclass(frozen=True)
class Outcome:
    status: int
    body: Any
    replayed: bool = False


class _NotKept(Exception):
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


def request_fingerprint(*, method: str, path: str, data: Any) -> str:
    """What makes two requests the same one: method, path and body (key order aside)."""
    if hasattr(data, "lists"):  # a form-encoded body: every value of every field
        data = {name: values for name, values in data.lists()}
    body = json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder, default=str)
    return hashlib.sha256(f"{method} {path}\n{body}".encode()).hexdigest()


def request_earlier(*, user: User, operation: str, key: str) -> IdempotentRequest | None:
    return IdempotentRequest.objects.filter(user=user, operation=operation, key=key).first()


def request_replayed(*, user: User, operation: str, key: str) -> Outcome | None:
    """The outcome recorded under the user's key, if any (a page's token: no body to compare)."""
    earlier = request_earlier(user=user, operation=operation, key=key)
    return None if earlier is None else _replay(earlier, "")


def request_once(
    *,
    user: User,
    operation: str,
    key: str,
    fingerprint: str,
    run: Callable[[], tuple[int, Any]],
) -> Outcome:
    """Run `run` (a create returning its status and JSON body) once for the user's key.

    A repeat gets the first outcome back with `replayed` set. Only a success (below 400) is
    kept: after an error the key is free again.

    :raises IdempotencyKeyReused: the key was used for a request with another fingerprint.
    """
    earlier = request_earlier(user=user, operation=operation, key=key)
    if earlier is not None:
        return _replay(earlier, fingerprint)
    try:
        with transaction.atomic():
            claim = IdempotentRequest(
                user=user, operation=operation, key=key, fingerprint=fingerprint
            )
            _save(claim, "Key claimed")
            status, body = run()
            if status >= 400:
                raise _NotKept(Outcome(status, body))
            claim.status_code = status
            claim.response_body = json.dumps(body, cls=DjangoJSONEncoder)
            _save(claim, "Outcome recorded")
    except _NotKept as refused:
        return refused.outcome
    except IntegrityError:
        # The same key committed meanwhile by a concurrent request (this one waited for it).
        earlier = request_earlier(user=user, operation=operation, key=key)
        if earlier is None:
            raise
        return _replay(earlier, fingerprint)
    return Outcome(status, body)


def _save(request: IdempotentRequest, reason: str) -> None:
    request._change_reason = reason  # type: ignore[attr-defined]
    request.save()


def _replay(earlier: IdempotentRequest, fingerprint: str) -> Outcome:
    if earlier.fingerprint and fingerprint and earlier.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            _(
                "This Idempotency-Key was already used for a different request (at %(when)s); "
                "nothing was done. Send a new key for a new record, or repeat the first "
                "request unchanged."
            )
            % {"when": f"{earlier.created_at:%Y-%m-%d %H:%M:%S %Z}"}
        )
    assert earlier.status_code is not None  # written with the outcome, in one transaction
    return Outcome(earlier.status_code, json.loads(earlier.response_body), replayed=True)
