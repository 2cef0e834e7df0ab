from __future__ import annotations

from django import forms

from analysis.formats import FORMATS
from trial.forms.widgets import IsoDateField


class CutoffFreezeForm(forms.Form):
    cutoff_date = IsoDateField(label="Cut-off date")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class CutoffLockForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class ExportForm(forms.Form):
    formats = forms.MultipleChoiceField(
        choices=[(f, f.upper()) for f in FORMATS],
        initial=list(FORMATS),
        widget=forms.CheckboxSelectMultiple,
    )
    options = forms.MultipleChoiceField(
        label="Clinical data",
        choices=[
            ("odm", "All clinical records as CDISC ODM 1.3.2 XML"),
            ("odm_audit", "… with the audit trail (ODM AuditRecord)"),
        ],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
