"""Entry forms of the treatment period; they know the patient's planned regimen and arm."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from randomization.models import Arm, Randomization
from treatment.models import (
    REGIMEN_DRUGS,
    AdverseEvent,
    CtcaeTerm,
    Cycle,
    DonorType,
    DoseUnit,
    Drug,
    EndOfTreatmentReason,
    Relatedness,
    Response,
    SignatureMeaning,
    TransplantDiseaseStatus,
)
from treatment.rules import TreatmentRules
from treatment.services import DrugDose, RelapseFinding
from treatment.services.cycles import dose_errors
from trial.forms import RulesChecked, confirmation_field, reason_field
from trial.forms.widgets import IsoDateField, IsoDateTimeField
from trial.models import Regimen


class ReasonMixin(RulesChecked):
    """A treatment-period record's form: a correction (`editing`) also asks why, last; a first
    entry does not."""

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            self.fields["reason"] = reason_field()


class CycleForm(ReasonMixin):
    start_date = IsoDateField(label=_("Start date (day 1)"))
    regimen = forms.ChoiceField(label=_("Regimen"), choices=Regimen.choices)
    regimen_change_reason = forms.CharField(
        label=_("Reason for the change of regimen"),
        required=False,
        help_text=_("Required when the regimen differs from the planned one."),
    )
    height_cm = forms.DecimalField(label=_("Height (cm)"), max_digits=5, decimal_places=1)
    weight_kg = forms.DecimalField(label=_("Weight (kg)"), max_digits=5, decimal_places=1)
    delay_days = forms.IntegerField(label=_("Delay (days)"), min_value=0, initial=0)
    delay_reason = forms.CharField(label=_("Reason for the delay"), required=False)

    def __init__(
        self,
        *args: Any,
        randomization: Randomization,
        cycle: Cycle | None = None,
        regimen: str | None = None,
        **kw: Any,
    ) -> None:
        """`regimen`: the one chosen on the page before it was reloaded (htmx or a submit); the
        drug fields are those of the regimen chosen on the form, not of the planned one."""
        super().__init__(*args, **kw)
        self.randomization = randomization
        planned = randomization.stratum_regimen
        self.fields["regimen"].initial = regimen or (cycle.regimen if cycle else planned)
        self.drugs_for = self._regimen_chosen(regimen, cycle, planned)
        self.drug_names = [*REGIMEN_DRUGS[self.drugs_for], Drug.DEXAMETHASONE]
        for drug in self.drug_names:
            self._add_drug_fields(drug)
        self.fields["confirmation"] = confirmation_field()
        if self.editing:
            self.fields["reason"] = self.fields.pop("reason")  # the reason last

    def reload_on_regimen(self, url: str) -> None:
        """Choosing another regimen reloads the form (htmx) with that regimen's drug fields and
        the values entered so far; without script, saving does it (`drugs_for`)."""
        self.fields["regimen"].widget.attrs.update(
            {
                "hx-get": url,
                "hx-trigger": "change",
                "hx-include": "closest form",
                "hx-params": "not csrfmiddlewaretoken,drugs_for",
                "hx-target": "closest form",
                "hx-select": "form.entry",
                "hx-swap": "outerHTML",
            }
        )

    def entered_so_far(self, values: Any) -> None:
        """Show the values a reload carried (unbound: nothing is checked yet)."""
        self.initial.update({k: v for k, v in values.items() if k in self.fields})

    def _regimen_chosen(self, regimen: str | None, cycle: Cycle | None, planned: str) -> str:
        for choice in (self.data.get("regimen") if self.is_bound else None, regimen):
            if choice in REGIMEN_DRUGS:
                return str(choice)
        return cycle.regimen if cycle is not None else planned

    def _add_drug_fields(self, drug: str) -> None:
        label = Drug(drug).label
        dex = drug == Drug.DEXAMETHASONE
        rules = TreatmentRules.from_settings()
        in_dex_arm = self.randomization.arm == Arm.DEXAMETHASONE
        help_dex = (
            gettext("Dexamethasone arm: expected with each cycle.")
            if in_dex_arm
            else gettext("Control arm: dexamethasone given here is a protocol deviation.")
        )
        self.fields[f"{drug}_planned"] = forms.DecimalField(
            label=gettext("%(drug)s: planned dose") % {"drug": label},
            required=False,
            min_value=0,
            initial=rules.dexamethasone_planned_dose if dex and in_dex_arm else None,
            help_text=help_dex if dex else gettext("Total for the cycle."),
        )
        self.fields[f"{drug}_given"] = forms.DecimalField(
            label=gettext("%(drug)s: given dose") % {"drug": label}, required=False, min_value=0
        )
        self.fields[f"{drug}_unit"] = forms.ChoiceField(
            label=gettext("%(drug)s: unit") % {"drug": label},
            choices=DoseUnit.choices,
            initial=rules.dexamethasone_unit if dex else DoseUnit.MG_M2,
        )
        self.fields[f"{drug}_reduction_reason"] = forms.CharField(
            label=gettext("%(drug)s: reason for reduction") % {"drug": label}, required=False
        )
        self.fields[f"{drug}_delayed"] = forms.BooleanField(
            label=gettext("%(drug)s: delayed") % {"drug": label}, required=False
        )
        self.fields[f"{drug}_delay_reason"] = forms.CharField(
            label=gettext("%(drug)s: reason for delay") % {"drug": label}, required=False
        )

    def drugs(self) -> list[DrugDose]:
        """The drugs with a given dose; a drug left empty was not given."""
        data, doses = self.cleaned_data, []
        for drug in self.drug_names:
            given, planned = data.get(f"{drug}_given"), data.get(f"{drug}_planned")
            if given is None:
                continue
            doses.append(
                DrugDose(
                    drug=drug,
                    planned_dose=planned if planned is not None else given,
                    given_dose=given,
                    unit=data.get(f"{drug}_unit") or DoseUnit.MG_M2,
                    reduction_reason=data.get(f"{drug}_reduction_reason", ""),
                    delayed=bool(data.get(f"{drug}_delayed")),
                    delay_reason=data.get(f"{drug}_delay_reason", ""),
                )
            )
        return doses

    def clean(self) -> dict[str, Any]:
        """The rules of each dose beside its drug's fields, with the cycle's rules."""
        data = super().clean()
        shown = self.data.get("drugs_for")
        if shown and shown != self.drugs_for:  # the regimen changed without a reload
            self.add_error(
                None,
                gettext(
                    "The dose fields now follow the %(regimen)s regimen: enter its doses, then save."
                )
                % {"regimen": Regimen(self.drugs_for).label},
            )
            return data
        regimen = data.get("regimen") or ""
        for dose in self.drugs() if regimen else []:
            for about, messages in dose_errors(dose, regimen).items():
                field = f"{dose.drug}_{'given' if about == 'drug' else about}"
                for message in messages:
                    self.add_error(field, message)
        return data

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        names = ["start_date", "regimen", "regimen_change_reason", "height_cm", "weight_kg"]
        values = {n: d[n] for n in names}
        values.update(delay_days=d["delay_days"] or 0, delay_reason=d["delay_reason"])
        return {
            **values,
            "drugs": self.drugs(),
            "reason": d.get("reason", ""),
            "confirmation": d["confirmation"],
        }

    @staticmethod
    def initial_from(cycle: Cycle) -> dict[str, Any]:
        initial: dict[str, Any] = {
            n: getattr(cycle, n)
            for n in (
                "start_date",
                "regimen",
                "regimen_change_reason",
                "height_cm",
                "weight_kg",
                "delay_days",
                "delay_reason",
            )
        }
        for d in cycle.drugs.filter(entered_in_error=False):
            initial.update(
                {
                    f"{d.drug}_planned": d.planned_dose,
                    f"{d.drug}_given": d.given_dose,
                    f"{d.drug}_unit": d.unit,
                    f"{d.drug}_reduction_reason": d.reduction_reason,
                    f"{d.drug}_delayed": d.delayed,
                    f"{d.drug}_delay_reason": d.delay_reason,
                }
            )
        return initial


_FINDING = ["bone_marrow", "marrow_blast_pct", "peripheral_blood", "extramedullary"]
RELAPSE_FIELDS = ["relapse_date", *_FINDING, "extramedullary_site"]


class RelapseFieldsMixin(RulesChecked):
    """The relapse after CR/CRi and how it was established (ELN 2017), in every form that can
    record one: the relapse form, the end of treatment and the follow-up visit."""

    relapse_date = IsoDateField(required=False, label=_("Date of relapse"))
    bone_marrow = forms.BooleanField(required=False, label=_("Bone marrow: ≥ 5% blasts"))
    marrow_blast_pct = forms.DecimalField(
        label=_("Bone marrow blasts (%)"), required=False, min_value=0, max_value=100
    )
    peripheral_blood = forms.BooleanField(
        required=False, label=_("Peripheral blood: reappearance of blasts")
    )
    extramedullary = forms.BooleanField(required=False, label=_("Extramedullary disease"))
    extramedullary_site = forms.CharField(
        required=False,
        label=_("Extramedullary site"),
        help_text=_("Required with extramedullary disease."),
    )

    def relapse_finding(self) -> RelapseFinding:
        d = self.cleaned_data
        return RelapseFinding(
            bone_marrow=bool(d.get("bone_marrow")),
            marrow_blast_pct=d.get("marrow_blast_pct"),
            peripheral_blood=bool(d.get("peripheral_blood")),
            extramedullary=bool(d.get("extramedullary")),
            extramedullary_site=d.get("extramedullary_site") or "",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        described = any(data.get(n) for n in [*_FINDING, "extramedullary_site"])
        if described and "relapse_date" in self.fields and not data.get("relapse_date"):
            self.add_error("relapse_date", gettext("Give the date of the relapse."))
        return data

    def relapse_kwargs(self) -> dict[str, Any]:
        """The cleaned data with the relapse fields gathered as the service takes them."""
        data = {k: v for k, v in self.cleaned_data.items() if k not in RELAPSE_FIELDS}
        data["relapse_date"] = self.cleaned_data.get("relapse_date")
        data["relapse_finding"] = self.relapse_finding()
        return data

    @staticmethod
    def relapse_initial(relapse: Any) -> dict[str, Any]:
        return {n: getattr(relapse, n) for n in RELAPSE_FIELDS}


class RelapseForm(RelapseFieldsMixin, ReasonMixin):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    field_order = [*RELAPSE_FIELDS, "comment", "reason"]

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["relapse_date"].required = True


class RelapseWithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why this relapse record was entered in error"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The record stays, with its history; no endpoint counts it any more."),
    )


class ResponseForm(ReasonMixin):
    assessment_date = IsoDateField(label=_("Date of assessment"))
    response = forms.ChoiceField(
        choices=Response.choices,
        label=_("Response (ELN 2017)"),
        help_text=_(
            "Relapse after CR/CRi: ≥ 5% marrow blasts, blasts in the peripheral blood or "
            "extramedullary disease, in a patient in CR/CRi."
        ),
    )
    marrow_blast_pct = forms.DecimalField(
        label=_("Bone marrow blasts (%)"), required=False, min_value=0, max_value=100
    )
    peripheral_blood = forms.BooleanField(
        required=False, label=_("Relapse: blasts reappeared in the peripheral blood")
    )
    extramedullary = forms.BooleanField(required=False, label=_("Relapse: extramedullary disease"))
    extramedullary_site = forms.CharField(required=False, label=_("Relapse: extramedullary site"))
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    confirmation = confirmation_field()
    field_order = [
        "assessment_date",
        "response",
        "marrow_blast_pct",
        "peripheral_blood",
        "extramedullary",
        "extramedullary_site",
        "comment",
        "confirmation",
        "reason",
    ]


_GRADE_LABELS = {g: format_lazy(_("Grade {grade}"), grade=g) for g in range(1, 6)}


class AdverseEventForm(ReasonMixin):
    term = forms.ModelChoiceField(
        queryset=CtcaeTerm.objects.filter(active=True).order_by("term"),
        required=False,
        label=_("CTCAE v5 term"),
    )
    term_text = forms.CharField(
        required=False,
        label=_("Other term (free text)"),
        help_text=_("When no term of the list fits."),
    )
    grade = forms.TypedChoiceField(
        choices=[(g, _GRADE_LABELS[g]) for g in range(1, 6)], coerce=int, label=_("CTCAE grade")
    )
    start_date = IsoDateField(label=_("Start date"))
    end_date = IsoDateField(required=False, label=_("End date"))
    relation_dexamethasone = forms.ChoiceField(
        choices=Relatedness.choices, label=_("Relation to dexamethasone")
    )
    relation_salvage = forms.ChoiceField(
        choices=Relatedness.choices, label=_("Relation to salvage therapy")
    )
    serious = forms.BooleanField(
        label=_("Serious adverse event"),
        required=False,
        help_text=_("A serious event is e-mailed to the sponsor at once."),
    )
    awareness_at = IsoDateTimeField(
        required=False,
        label=_("Site aware of seriousness at"),
        help_text=_("Leave empty for now; the 24-hour reporting deadline runs from it."),
    )
    field_order = [
        "term",
        "term_text",
        "grade",
        "start_date",
        "end_date",
        "relation_dexamethasone",
        "relation_salvage",
        "serious",
        "awareness_at",
        "reason",
    ]

    @staticmethod
    def initial_from(event: AdverseEvent) -> dict[str, Any]:
        names = [
            "term",
            "term_text",
            "grade",
            "start_date",
            "end_date",
            "relation_dexamethasone",
            "relation_salvage",
            "serious",
        ]
        return {n: getattr(event, n) for n in names}


class SaeReportForm(forms.Form):
    reported_at = IsoDateTimeField(label=_("Full SAE report sent at"))
    confirmation = confirmation_field()


class TransplantForm(ReasonMixin):
    transplant_date = IsoDateField(label=_("Date of transplant"))
    donor_type = forms.ChoiceField(label=_("Donor type"), choices=DonorType.choices)
    disease_status = forms.ChoiceField(
        choices=TransplantDiseaseStatus.choices, label=_("Disease status at transplant")
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    field_order = ["transplant_date", "donor_type", "disease_status", "comment", "reason"]


class EndOfTreatmentForm(RelapseFieldsMixin, ReasonMixin):
    """The end of treatment; for a patient in CR/CRi without a recorded relapse it also asks
    for the relapse, since progression after CR/CRi is one (ELN 2017)."""

    end_date = IsoDateField(label=_("Date of end of treatment"))
    end_reason = forms.ChoiceField(choices=EndOfTreatmentReason.choices, label=_("Reason"))
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    field_order = ["end_date", "end_reason", "comment", *RELAPSE_FIELDS, "reason"]

    def __init__(self, *args: Any, ask_relapse: bool = False, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.ask_relapse = ask_relapse
        if not ask_relapse:
            for name in RELAPSE_FIELDS:
                del self.fields[name]
            return
        self.fields["relapse_date"].help_text = gettext(
            "The patient is in CR/CRi: if treatment ends for progression, that is a relapse "
            "(ELN 2017). Give its date and how it was established."
        )

    def service_kwargs(self) -> dict[str, Any]:
        if self.ask_relapse:
            return self.relapse_kwargs()
        return dict(self.cleaned_data)


class SignForm(forms.Form):
    meaning = forms.ChoiceField(
        choices=SignatureMeaning.choices,
        widget=forms.RadioSelect,
        label=_("Meaning of this signature"),
    )
    password = forms.CharField(
        widget=forms.PasswordInput, label=_("Re-enter your password to sign")
    )
