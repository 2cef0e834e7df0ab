"""Forms of the workspace pages."""

from __future__ import annotations

from django import forms

from workspace.selectors.status import TrialStatus


class PatientSearchForm(forms.Form):
    q = forms.CharField(label="Screening number or subject id", required=False, max_length=40)
    status = forms.ChoiceField(
        label="Status", choices=[("", "Any status"), *TrialStatus.choices], required=False
    )
