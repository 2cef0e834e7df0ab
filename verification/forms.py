"""Forms of the verification pages."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy

from trial.models import Site


class RecordsVerifyForm(forms.Form):
    """The records of a patient's forms a monitor verifies in one go."""

    records = forms.MultipleChoiceField(
        label=gettext_lazy("Records verified against source"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["records"]).choices = choices


class FieldsVerifyForm(forms.Form):
    """The fields of one record a monitor verifies (none ticked: the whole record)."""

    fields_verified = forms.MultipleChoiceField(
        label=gettext_lazy("Fields verified against source"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Tick none to verify the whole record."),
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["fields_verified"]).choices = choices


class LockForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason or note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DatabaseLockForm(forms.Form):
    cutoff_date = forms.DateField(
        label=gettext_lazy("Cut-off date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy(
            "Every record dated on or before this day is locked, at every site."
        ),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason or note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class UnlockForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for unlocking"), widget=forms.Textarea(attrs={"rows": 2})
    )


class CasebookBuildForm(forms.Form):
    site: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        queryset=Site.objects.none(), label=gettext_lazy("Site")
    )

    def __init__(self, *args: Any, sites: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Any]", self.fields["site"]).queryset = sites
