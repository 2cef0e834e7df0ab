from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from analysis.formats import FORMATS
from trial.forms.widgets import IsoDateField


class CutoffFreezeForm(forms.Form):
    cutoff_date = IsoDateField(label=_("Cut-off date"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class CutoffLockForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class ExportForm(forms.Form):
    formats = forms.MultipleChoiceField(
        label=_("Formats"),
        choices=[(f, f.upper()) for f in FORMATS],
        initial=list(FORMATS),
        widget=forms.CheckboxSelectMultiple,
    )
    options = forms.MultipleChoiceField(
        label=_("Clinical data"),
        choices=[
            ("odm", _("All clinical records as CDISC ODM 1.3.2 XML")),
            ("odm_audit", _("… with the audit trail (ODM AuditRecord)")),
        ],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
