"""Forms of data queries: raise, answer, close, re-open, and the filters of the lists."""

from __future__ import annotations

from typing import Any

from django import forms

from cleaning.models import QueryCategory, QueryOrigin
from cleaning.selectors import AGE_FILTERS, STATE_FILTERS, QueryFilters, form_choices
from trial.models import Site


def _text(label: str, *, required: bool = True, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=help_text,
        error_messages={"required": f"Write the {label.lower()}."},
    )


class QueryRaiseForm(forms.Form):
    field_name = forms.ChoiceField(label="About", required=False)
    category = forms.ChoiceField(choices=[("", "Choose…"), *QueryCategory.choices])
    text = _text("Question", help_text="What the site should check, correct or explain.")

    def __init__(self, *args: Any, fields: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["field_name"].choices = [("", "The whole record"), *fields]  # type: ignore[attr-defined]


class QueryAnswerForm(forms.Form):
    prefix = "answer"  # three forms share the query's page: their inputs need distinct ids
    text = _text(
        "Answer",
        help_text="What you corrected (through the record's form, with its reason) or why the "
        "value is right.",
    )


class QueryCloseForm(forms.Form):
    prefix = "close"
    text = _text("Closing note", required=False)


class QueryReopenForm(forms.Form):
    prefix = "reopen"
    text = _text("Message", help_text="What is still wrong.")


def _choices(mapping: dict[str, str] | list[tuple[str, str]], empty: str) -> list[tuple[str, str]]:
    pairs = list(mapping.items()) if isinstance(mapping, dict) else list(mapping)
    return [("", empty), *pairs]


class QueryFilterForm(forms.Form):
    site = forms.ChoiceField(required=False)
    state = forms.ChoiceField(choices=list(STATE_FILTERS.items()), required=False)
    category = forms.ChoiceField(
        choices=_choices(QueryCategory.choices, "Any category"), required=False
    )
    origin = forms.ChoiceField(
        label="Raised by", choices=_choices(QueryOrigin.choices, "Anyone"), required=False
    )
    form = forms.ChoiceField(label="Form", required=False)
    age = forms.ChoiceField(label="Age", choices=_choices(AGE_FILTERS, "Any age"), required=False)
    patient = forms.IntegerField(required=False, widget=forms.HiddenInput)
    rule = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, sites: list[Site], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = _choices([(s.code, s.code) for s in sites], "All sites")  # type: ignore[attr-defined]
        self.fields["form"].choices = _choices(form_choices(), "Any form")  # type: ignore[attr-defined]

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
