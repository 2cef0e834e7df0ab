"""What the allocation commands share: the acting user and the list named on the command line."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management.base import CommandError, CommandParser

from randomization.models import AllocationList
from randomization.selectors import StratumUsage
from trial.models import User


def add_by(parser: CommandParser) -> None:
    parser.add_argument("--by", required=True, help="Username of the person acting (audit).")


def user(username: str) -> User:
    try:
        return User.objects.get(username=username, is_active=True)
    except User.DoesNotExist as error:
        raise CommandError(f"No active user {username!r}.") from error


def allocation_list(code: str) -> AllocationList:
    try:
        return AllocationList.objects.get(code=code)
    except AllocationList.DoesNotExist as error:
        raise CommandError(f"No allocation list {code!r}.") from error


def strata_lines(strata: Iterable[StratumUsage]) -> list[str]:
    """Used/unused slots and the arms of each stratum, as a table."""
    lines = [f"{'stratum':40} {'used':>6} {'unused':>6} {'DEX':>6} {'CTRL':>6}"]
    lines += [f"{s.key:40} {s.used:6} {s.unused:6} {s.dex:6} {s.ctrl:6}" for s in strata]
    return lines


def error_lines(error: ValidationError) -> list[str]:
    """Each message of a service's refusal, with the field it concerns."""
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    return [
        f"{name}: {message}" if name != NON_FIELD_ERRORS else message
        for name, messages in error.message_dict.items()
        for message in messages
    ]
