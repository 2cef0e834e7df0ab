from django import forms

from followup.models import DeathCause, FollowupDiseaseStatus, VitalStatus
from trial.forms.widgets import IsoDateField


class VisitRecordForm(forms.Form):
    contact_date = IsoDateField()
    vital_status = forms.ChoiceField(choices=VitalStatus.choices)
    disease_status = forms.ChoiceField(choices=FollowupDiseaseStatus.choices)
    relapse_date = IsoDateField(required=False)
    new_treatment = forms.BooleanField(
        required=False, label="New anti-leukaemic treatment since the last visit"
    )
    new_treatment_detail = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    transplant = forms.BooleanField(required=False, label="Transplant since the last visit")
    transplant_date = IsoDateField(required=False)
    reason = forms.CharField(required=False, help_text="Required when correcting a recorded visit.")


class DeathForm(forms.Form):
    death_date = IsoDateField()
    cause = forms.ChoiceField(choices=DeathCause.choices)
    cause_detail = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(required=False, help_text="Required when correcting a death record.")
