"""HTML forms of screening: new patient, consent, baseline, eligibility checklist, confirmation,
enrolment and screen failure. They check the shape of what was typed; the services check the rules.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from trial.forms import RulesChecked, confirmation_field, reason_field
from trial.forms.widgets import IsoDateField, IsoDateInput
from trial.models import (
    Baseline,
    EligibilityCriterion,
    MutationGene,
    MutationResult,
    Role,
    ScreenFailureReason,
    Sex,
    Site,
    User,
)
from trial.services import drafts
from trial.services.screening import BASELINE_FIELDS

DateInput = IsoDateInput  # the one date widget of every form (trial/forms/widgets.py)


class TrialForm(RulesChecked):
    required_css_class = "required"
    error_css_class = "has-error"

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            self.fields["reason"] = reason_field()


class PatientScreenForm(TrialForm):
    site = forms.ModelChoiceField(queryset=Site.objects.none(), empty_label=None, label=_("Site"))
    screening_date = IsoDateField(label=_("Screening date"))
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", _("Choose…")), *Sex.choices])
    age_at_screening = forms.IntegerField(
        label=_("Age at screening"), min_value=0, max_value=120, help_text=_("Whole years.")
    )
    confirmation = confirmation_field()

    def __init__(self, *args: Any, sites: QuerySet[Site], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites  # type: ignore[attr-defined]


class PatientEditForm(TrialForm):
    """A correction of the screening-log entry: always a change, so always with a reason."""

    screening_date = IsoDateField(label=_("Screening date"))
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    age_at_screening = forms.IntegerField(
        label=_("Age at screening"), min_value=0, max_value=120, help_text=_("Whole years.")
    )
    confirmation = confirmation_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, editing=True, **kwargs)


def site_team(site: Site) -> QuerySet[User]:
    """Users who can obtain consent at a site: its coordinators and investigators."""
    return (
        User.objects.filter(
            is_active=True,
            memberships__site=site,
            memberships__active=True,
            memberships__role__in=[Role.INVESTIGATOR, Role.SITE_COORDINATOR],
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name() or obj.get_username())


class ConsentForm(TrialForm):
    consent_date = IsoDateField(label=_("Date of consent"))
    form_version = forms.CharField(
        label=_("Consent form version"),
        max_length=40,
        help_text=_("As printed on the signed form."),
    )
    obtained_by = UserChoiceField(queryset=User.objects.none(), label=_("Consent obtained by"))
    confirmation = confirmation_field()

    def __init__(self, *args: Any, site: Site, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["obtained_by"].queryset = site_team(site)  # type: ignore[attr-defined]
        if "reason" in self.fields:  # the reason last, after the confirmation
            self.fields["reason"] = self.fields.pop("reason")


# Labels as the case report form words them (the model's field names abbreviate).
BASELINE_LABELS: dict[str, Any] = {
    "assessment_date": _("Date of the baseline assessment"),
    "diagnosis_date": _("Date of diagnosis"),
    "induction_start_date": _("Date induction started"),
    "prior_induction_cycles": _("Induction cycles before screening"),
    "first_cr_date": _("Date of first CR/CRi"),
    "relapse_date": _("Date of relapse"),
}


def _baseline_fields() -> dict[str, forms.Field]:
    date_fields = [f for f in BASELINE_FIELDS if f.endswith("_date")]
    fields = forms.fields_for_model(
        Baseline,
        fields=BASELINE_FIELDS,
        widgets={f: IsoDateInput for f in date_fields},
        labels=BASELINE_LABELS,
        field_classes={f: IsoDateField for f in date_fields},
    )
    return {name: field for name, field in fields.items() if field is not None}


class BaselineForm(TrialForm):
    """The baseline record, then one result per configured gene (docs/protocol.md: exploratory biology)."""

    def __init__(
        self,
        *args: Any,
        genes: list[MutationGene],
        draftable: bool = False,
        drafting: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        reason = self.fields.pop("reason", None)
        self.fields.update(_baseline_fields())
        # "Save as draft" (offered while the record is new or a draft) leaves required fields
        # empty; the ordinary save requires them (trial/services/drafts.py)
        self.draftable, self.drafting = draftable, drafting
        for name in drafts.REQUIRED_FIELDS["trial.baseline"]:
            self.fields[name].required = not self.drafting
        self.genes = genes
        for gene in genes:
            self.fields[self.gene_field(gene)] = forms.ChoiceField(
                label=f"{gene.code} ({gene.name})" if gene.name != gene.code else gene.code,
                choices=MutationResult.choices,
                initial=MutationResult.NOT_TESTED,
            )
        self.fields["confirmation"] = confirmation_field()
        if reason is not None:
            self.fields["reason"] = reason

    @staticmethod
    def gene_field(gene: MutationGene) -> str:
        return f"mutation_{gene.code}"

    def record_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in BASELINE_FIELDS]

    def mutation_fields(self) -> list[forms.BoundField]:
        return [self[self.gene_field(gene)] for gene in self.genes]

    def record_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in BASELINE_FIELDS}

    def mutations(self) -> dict[str, str]:
        return {gene.code: self.cleaned_data[self.gene_field(gene)] for gene in self.genes}


YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class EligibilityForm(TrialForm):
    """One yes/no answer and an optional note per criterion of the patient's protocol version."""

    def __init__(self, *args: Any, criteria: list[EligibilityCriterion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reason = self.fields.pop("reason", None)
        self.criteria = criteria
        for c in criteria:
            self.fields[f"answer_{c.code}"] = forms.ChoiceField(
                label=f"{c.code}: {c.text}",
                choices=YES_NO,
                widget=forms.RadioSelect,
                error_messages={"required": _("Answer yes or no.")},
            )
            self.fields[f"note_{c.code}"] = forms.CharField(
                label=gettext("Note on %(code)s") % {"code": c.code},
                max_length=500,
                required=False,
            )
        if reason is not None:
            self.fields["reason"] = reason

    def rows(self) -> list[tuple[EligibilityCriterion, forms.BoundField, forms.BoundField]]:
        return [(c, self[f"answer_{c.code}"], self[f"note_{c.code}"]) for c in self.criteria]

    def answers(self) -> dict[str, bool]:
        return {c.code: self.cleaned_data[f"answer_{c.code}"] == "yes" for c in self.criteria}

    def notes(self) -> dict[str, str]:
        return {c.code: self.cleaned_data[f"note_{c.code}"] for c in self.criteria}


class ConfirmEligibilityForm(TrialForm):
    confirm = forms.BooleanField(
        label=_("I have checked the source documents and confirm that this patient is eligible."),
        error_messages={"required": _("Tick the box to confirm eligibility.")},
    )


class EnrolForm(TrialForm):
    confirm = forms.BooleanField(
        label=_("Enrol this patient in the trial and issue a subject identifier."),
        error_messages={"required": _("Tick the box to confirm the enrolment.")},
    )
    confirmation = confirmation_field()


class ScreenFailForm(TrialForm):
    reason = forms.ChoiceField(
        label=_("Reason for screen failure"),
        choices=[("", _("Choose…")), *ScreenFailureReason.choices],
    )
    reason_detail = forms.CharField(
        label=_("Details"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Required when the reason is “Other”."),
    )
