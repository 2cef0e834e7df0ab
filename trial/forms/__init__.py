"""HTML forms of the trial app, one module per subdomain, and what every form view shares."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from trial.exceptions import ApplicationError


def submitted(request: HttpRequest) -> Any:
    """The data to bind a form to: the POST, even an empty one (so its errors show), else None.

    `request.POST or None` would leave a form unbound, and silent, on an empty submission.
    """
    return request.POST if request.method == "POST" else None


CONFIRMATION_HELP = (
    "Optional. If an automatic check flags a value you know is right (for example a visit "
    "outside its window), say why here: its query then opens already answered by you."
)


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(
        label="Why this record was entered in error",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The record stays, marked, with this reason in its history; it no longer "
        "counts in the derivations and exports.",
    )


def confirmation_field() -> forms.CharField:
    """The entering user's word that a value an automatic edit check flags is right."""
    return forms.CharField(
        label="Confirm a flagged value",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=CONFIRMATION_HELP,
    )


def service_errors_apply(form: Any, error: ValidationError | ApplicationError) -> None:
    """Put a service's refusal on the form: a field's errors beside it, the rest on top (naming
    the field when the form has no such input), a domain error as one message on top."""
    if isinstance(error, ApplicationError):
        form.add_error(None, error.message)
        return
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for field, messages in error.message_dict.items():
        target = field if field in form.fields else None
        prefix = "" if target or field == "__all__" else f"{field}: "
        for message in messages:
            form.add_error(target, f"{prefix}{message}")
