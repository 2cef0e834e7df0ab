"""One date input for every form: a text box that takes and shows YYYY-MM-DD only.

A browser date picker shows the date in the browser's locale (11/17/2026 in an American
Chromium), which a French site reads the other way round; a plain text box with a pattern
shows the same unambiguous string to everybody and works without JavaScript.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ISO_DATE = "%Y-%m-%d"
ISO_PATTERN = r"\d{4}-\d{2}-\d{2}"
ISO_MESSAGE = _("Enter the date as YYYY-MM-DD, for example 2026-03-31.")


class IsoDateInput(forms.DateInput):
    """Text input with placeholder, pattern and numeric keyboard, rendered as YYYY-MM-DD."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {
            "placeholder": _("YYYY-MM-DD"),
            "pattern": ISO_PATTERN,
            "inputmode": "numeric",
            "autocomplete": "off",
            "maxlength": "10",
            "class": "date",
            "title": ISO_MESSAGE,
        }
        super().__init__({**defaults, **(attrs or {})}, format=ISO_DATE)


class IsoDateField(forms.DateField):
    """A date field that accepts YYYY-MM-DD and nothing else, whatever the locale formats say."""

    widget = IsoDateInput
    input_formats = [ISO_DATE]
    default_error_messages = {"invalid": ISO_MESSAGE}


ISO_DATETIME = "%Y-%m-%d %H:%M"
ISO_DATETIME_PATTERN = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}"
ISO_DATETIME_MESSAGE = _(
    "Enter the date and time as YYYY-MM-DD HH:MM (24 h), e.g. 2026-03-31 14:05."
)


class IsoDateTimeInput(forms.DateTimeInput):
    """Text input for a local date and time, rendered as YYYY-MM-DD HH:MM."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        defaults = {
            "placeholder": _("YYYY-MM-DD HH:MM"),
            "pattern": ISO_DATETIME_PATTERN,
            "autocomplete": "off",
            "maxlength": "16",
            "class": "datetime",
            "title": ISO_DATETIME_MESSAGE,
        }
        super().__init__({**defaults, **(attrs or {})}, format=ISO_DATETIME)


class IsoDateTimeField(forms.DateTimeField):
    """A date-time field (site time zone) that accepts YYYY-MM-DD HH:MM and nothing else."""

    widget = IsoDateTimeInput
    input_formats = [ISO_DATETIME]
    default_error_messages = {
        "invalid": ISO_DATETIME_MESSAGE,
        "overflow": _("Date-time out of range."),
    }

    def to_python(self, value: Any) -> dt.datetime | None:
        result = super().to_python(value)
        if result is not None:
            try:
                result.astimezone(dt.UTC)  # what the database stores; year 1 cannot be
            except OverflowError:
                raise ValidationError(self.error_messages["overflow"], code="overflow") from None
        return result
