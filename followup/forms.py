from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from followup.models import ContactMethod, ContactOutcome, FollowupDiseaseStatus, VitalStatus
from treatment.forms import RELAPSE_FIELDS, RelapseFieldsMixin
from trial.audit import REASON_MAX_LENGTH
from trial.forms import confirmation_field, reason_field
from trial.forms.widgets import IsoDateField
from trial.models import DeathCause


class VisitRecordForm(RelapseFieldsMixin):
    """A follow-up visit; a relapse it finds is recorded with how it was established."""

    contact_date = IsoDateField(label=_("Contact date"))
    vital_status = forms.ChoiceField(label=_("Vital status"), choices=VitalStatus.choices)
    disease_status = forms.ChoiceField(
        label=_("Disease status"),
        choices=FollowupDiseaseStatus.choices,
        help_text=_(
            "Relapse: give its date and how it was established, unless a relapse is "
            "already recorded (the visit then reports that one)."
        ),
    )
    new_treatment = forms.BooleanField(
        required=False, label=_("New anti-leukaemic treatment since the last visit")
    )
    new_treatment_detail = forms.CharField(
        label=_("New treatment detail"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    transplant = forms.BooleanField(required=False, label=_("Transplant since the last visit"))
    transplant_date = IsoDateField(label=_("Transplant date"), required=False)
    confirmation = confirmation_field()
    field_order = ["contact_date", "vital_status", "disease_status", *RELAPSE_FIELDS]

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        """A visit already recorded (`editing`) is corrected with a reason; a first entry is not
        asked for one."""
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["reason"] = reason_field()


class DeathForm(forms.Form):
    death_date = IsoDateField(label=_("Death date"))
    cause = forms.ChoiceField(label=_("Cause"), choices=DeathCause.choices)
    cause_detail = forms.CharField(
        label=_("Cause detail"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        """A death already recorded (`editing`) is corrected with a reason."""
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["reason"] = reason_field()


class VisitNotDoneForm(forms.Form):
    not_done_reason = forms.CharField(
        label=_("Why the visit was not done"), widget=forms.Textarea(attrs={"rows": 2})
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        help_text=_("Required when correcting a recorded visit."),
    )


class WithdrawalForm(forms.Form):
    withdrawal_date = IsoDateField(label=_("Date consent was withdrawn"))
    vital_status_may_be_collected = forms.BooleanField(
        required=False, initial=True, label=_("Vital status may still be collected from records")
    )
    data_may_be_collected = forms.BooleanField(
        required=False, label=_("Further study data may still be collected")
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        help_text=_("Required when correcting a withdrawal."),
    )


class ContactAttemptForm(forms.Form):
    attempted_on = IsoDateField(label=_("Date of the attempt"))
    method = forms.ChoiceField(label=_("Method"), choices=ContactMethod.choices)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=ContactOutcome.choices)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class LossToFollowUpForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What was tried; the missed visits and contact attempts are checked."),
    )
