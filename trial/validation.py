"""Field checks that every period shares, each with its one message. They collect errors by
field (`Errors`), so that a form or the API shows all of a record's problems at once."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError

Errors = dict[str, list[str]]


def add_error(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def raise_if(errors: Errors) -> None:
    """:raises ValidationError: with every collected error, when there is any."""
    if errors:
        raise ValidationError(errors)


def not_in_future(errors: Errors, *, today: dt.date, **dates: dt.date | None) -> Errors:
    """No recorded date may be after today."""
    for field, value in dates.items():
        if value is not None and value > today:
            add_error(errors, field, f"This date ({value:%Y-%m-%d}) is in the future.")
    return errors


def not_before_randomisation(
    errors: Errors, *, randomized_on: dt.date, **dates: dt.date | None
) -> Errors:
    """Nothing after screening may be dated before the patient's randomisation (day 0)."""
    for field, value in dates.items():
        if value is not None and value < randomized_on:
            add_error(
                errors,
                field,
                f"This date ({value:%Y-%m-%d}) is before randomisation: the patient was "
                f"randomised on {randomized_on:%Y-%m-%d}.",
            )
    return errors
