from django import forms

from randomization.models import CorrectionKind
from trial.models import DiseaseStatus, Regimen


class RandomizeConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        label="I have checked the stratification values above; randomise this patient now.",
        required=True,
    )


class RandomizationCorrectForm(forms.Form):
    kind = forms.ChoiceField(choices=CorrectionKind.choices)
    correct_regimen = forms.ChoiceField(
        choices=[("", "—"), *Regimen.choices],
        required=False,
        label="Regimen that should have been used",
    )
    correct_disease_status = forms.ChoiceField(
        choices=[("", "—"), *DiseaseStatus.choices],
        required=False,
        label="Disease status that should have been used",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=True)
