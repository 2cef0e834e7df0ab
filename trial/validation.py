"""Field checks that every period shares, each with its one message. They collect errors by
field (`Errors`), so that a form or the API shows all of a record's problems at once: a
service gathers the model's own field checks (`model_errors`: ranges, choices, lengths) and its
rules' errors, then raises once (`raise_if`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.translation import gettext as _

Errors = dict[str, list[str]]


def add_error(errors: Errors, field: str, message: str) -> None:
    if message not in errors.get(field, []):
        errors.setdefault(field, []).append(message)


def merge(errors: Errors, more: Errors) -> Errors:
    """Add every error of `more` to `errors` (once each)."""
    for field, messages in more.items():
        for message in messages:
            add_error(errors, field, message)
    return errors


def model_errors(errors: Errors, instance: Model, *, exclude: Iterable[str] = ()) -> Errors:
    """Add the model's own field checks (required, range validators, choices, lengths) to
    `errors`, so they come in the same answer as the rules' errors, not in a second one at save.

    `exclude` names the fields the service fills itself (derived or not yet known)."""
    try:
        instance.clean_fields(exclude=list(exclude))
    except ValidationError as error:
        merge(errors, error.message_dict)
    return errors


def raise_if(errors: Errors) -> None:
    """:raises ValidationError: with every collected error, when there is any."""
    if errors:
        raise ValidationError(errors)


def values_errors(model: type[Model], values: Mapping[str, Any]) -> Errors:
    """The model's own field checks on the values a form could read (None: not known yet, the
    checks of that field wait); for a form's `clean()`, before its service can run."""
    names = {field.name for field in model._meta.concrete_fields}
    known = {name: value for name, value in values.items() if name in names and value is not None}
    return model_errors({}, model(**known), exclude=names - set(known))


def not_in_future(errors: Errors, *, today: dt.date, **dates: dt.date | None) -> Errors:
    """No recorded date may be after today."""
    for field, value in dates.items():
        if value is not None and value > today:
            add_error(
                errors,
                field,
                _("This date (%(date)s) is in the future.") % {"date": f"{value:%Y-%m-%d}"},
            )
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
                _(
                    "This date (%(date)s) is before randomisation: the patient was "
                    "randomised on %(randomised)s."
                )
                % {"date": f"{value:%Y-%m-%d}", "randomised": f"{randomized_on:%Y-%m-%d}"},
            )
    return errors
