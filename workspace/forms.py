"""Forms of the workspace pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy

from workspace.selectors.status import TrialStatus


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Screening number or subject id"), required=False, max_length=40
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        choices=[("", gettext_lazy("Any status")), *TrialStatus.choices],
        required=False,
    )


class UserSettingsForm(forms.Form):
    language = forms.ChoiceField(
        label=gettext_lazy("Language of the interface"),
        choices=[("", gettext_lazy("The browser's language")), *settings.LANGUAGES],
        required=False,
        help_text=gettext_lazy("Used on every page once you are signed in, on any computer."),
    )
