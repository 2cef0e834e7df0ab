"""Forms of data queries: raise, answer, close, re-open, and the filters of the lists."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cleaning.models import QueryCategory, QueryOrigin
from cleaning.selectors import AGE_FILTERS, STATE_FILTERS, QueryFilters, form_choices
from trial.models import Site


def _text(label: Any, *, required: Any, help_text: Any = "") -> forms.CharField:
    """A text field; `required` is the message when it is left empty (False: optional)."""
    return forms.CharField(
        label=label,
        required=bool(required),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=help_text,
        error_messages={"required": required} if required else {},
    )


class QueryRaiseForm(forms.Form):
    field_name = forms.ChoiceField(label=_("About"), required=False)
    category = forms.ChoiceField(
        label=_("Category"), choices=[("", _("Choose…")), *QueryCategory.choices]
    )
    text = _text(
        _("Question"),
        required=_("Write the question."),
        help_text=_("What the site should check, correct or explain."),
    )

    def __init__(self, *args: Any, fields: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["field_name"].choices = [("", _("The whole record")), *fields]  # type: ignore[attr-defined]


class QueryAnswerForm(forms.Form):
    prefix = "answer"  # three forms share the query's page: their inputs need distinct ids
    text = _text(
        _("Answer"),
        required=_("Write the answer."),
        help_text=_(
            "What you corrected (through the record's form, with its reason) or why the "
            "value is right."
        ),
    )


class QueryCloseForm(forms.Form):
    prefix = "close"
    text = _text(_("Closing note"), required=False)


class QueryReopenForm(forms.Form):
    prefix = "reopen"
    text = _text(
        _("Message"), required=_("Write the message."), help_text=_("What is still wrong.")
    )


def _choices(mapping: dict[str, Any] | list[tuple[str, Any]], empty: Any) -> list[tuple[str, Any]]:
    pairs = list(mapping.items()) if isinstance(mapping, dict) else list(mapping)
    return [("", empty), *pairs]


class QueryFilterForm(forms.Form):
    site = forms.ChoiceField(label=_("Site"), required=False)
    state = forms.ChoiceField(label=_("State"), choices=list(STATE_FILTERS.items()), required=False)
    category = forms.ChoiceField(
        label=_("Category"),
        choices=_choices(QueryCategory.choices, _("Any category")),
        required=False,
    )
    origin = forms.ChoiceField(
        label=_("Raised by"), choices=_choices(QueryOrigin.choices, _("Anyone")), required=False
    )
    form = forms.ChoiceField(label=_("Form"), required=False)
    age = forms.ChoiceField(
        label=_("Age"), choices=_choices(AGE_FILTERS, _("Any age")), required=False
    )
    patient = forms.IntegerField(required=False, widget=forms.HiddenInput)
    rule = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, sites: list[Site], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = _choices([(s.code, s.code) for s in sites], _("All sites"))  # type: ignore[attr-defined]
        self.fields["form"].choices = _choices(form_choices(), _("Any form"))  # type: ignore[attr-defined]

    def filters(self) -> QueryFilters:
        """The chosen filters; the defaults (open or answered, any site) when invalid."""
        if not self.is_valid():
            return QueryFilters()
        d = self.cleaned_data
        return QueryFilters(
            site=d["site"],
            state=d["state"] or "unresolved",
            category=d["category"],
            origin=d["origin"],
            form=d["form"],
            min_days_open=int(d["age"]) if d["age"] else None,
            patient_id=d["patient"],
            rule=d["rule"],
        )
