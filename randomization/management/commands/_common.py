"""What the allocation commands share: the acting user and the list named on the command line."""

from __future__ import annotations

from django.core.management.base import CommandError, CommandParser

from randomization.models import AllocationList
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
