"""HTML forms of the trial app, one module per subdomain, and what every form view shares."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from trial.audit import REASON_MAX_LENGTH, REASON_REQUIRED
from trial.exceptions import ApplicationError
from trial.validation import Errors

# A service's cross-field rules on the values a form could read (a field the form could not
# read is missing from the dict: the rules that need it wait for it).
RuleCheck = Callable[[dict[str, Any]], Errors]


def submitted(request: HttpRequest) -> Any:
    """The data to bind a form to: the POST, even an empty one (so its errors show), else None.

    `request.POST or None` would leave a form unbound, and silent, on an empty submission.
    """
    return request.POST if request.method == "POST" else None


CONFIRMATION_HELP = _(
    "Optional. If an automatic check flags a value you know is right (for example a visit "
    "outside its window), say why here: its query then opens already answered by you."
)


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(
        label=_("Why this record was entered in error"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "The record stays, marked, with this reason in its history; it no longer "
            "counts in the derivations and exports."
        ),
    )


def confirmation_field() -> forms.CharField:
    """The entering user's word that a value an automatic edit check flags is right."""
    return forms.CharField(
        label=_("Confirm a flagged value"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=CONFIRMATION_HELP,
    )


def reason_field() -> forms.CharField:
    """Why a recorded value changes: asked on corrections only, never on a first entry."""
    return forms.CharField(
        label=_("Reason for change"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required because this changes data already recorded."),
        error_messages={"required": _(REASON_REQUIRED)},
    )


def service_errors_apply(form: Any, error: ValidationError | ApplicationError) -> None:
    """Put a service's refusal on the form: a field's errors beside it, the rest on top, a
    domain error as one message on top."""
    if isinstance(error, ApplicationError):
        form.add_error(None, error.message)
        return
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    errors_apply(form, error.message_dict)


def errors_apply(form: forms.Form, errors: Errors) -> None:
    """Each error beside its field; an error of something the form has no input for goes on
    top as it is (its message names what it is about in words, never by a field key)."""
    for field, messages in errors.items():
        target = field if field in form.fields else None
        shown = [str(m) for m in form.errors.get(target or NON_FIELD_ERRORS) or []]
        for message in messages:
            if message not in shown:
                form.add_error(target, message)


class RulesChecked(forms.Form):
    """A form that runs its service's cross-field rules (the same functions the service calls)
    in `clean()`, on whatever values it could read: one submission then shows a value out of
    range and a date out of order or in the future together, not one after the other.

    `rules` is given by the view, bound to the patient and today; without it the form checks
    its fields only. A form that passes its rules still goes through the service, which checks
    them again with the rest."""

    def __init__(self, *args: Any, rules: RuleCheck | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rules = rules

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.rules is not None:
            errors_apply(self, self.rules(dict(data)))
        return data
