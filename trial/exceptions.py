"""Domain errors. One DRF handler and the views turn them into clear messages."""

from __future__ import annotations


class ApplicationError(Exception):
    """A business rule refused the operation; nothing was written.

    `status` is the HTTP status the API answers with; `field_errors` name the fields at fault.
    """

    status = 400

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}


class PermissionDenied(ApplicationError):
    """The user's roles do not allow the action at this site."""

    status = 403


class StateConflict(ApplicationError):
    """The record is not in a state where the operation applies (e.g. already enrolled)."""

    status = 409
