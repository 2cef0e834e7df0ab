"""Entry forms of the treatment period; they know the patient's planned regimen and arm."""

from __future__ import annotations

from typing import Any

from django import forms

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
from treatment.services import DrugDose
from trial.audit import REASON_MAX_LENGTH
from trial.forms.widgets import IsoDateField, IsoDateTimeField
from trial.models import Regimen


class ReasonMixin(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=REASON_MAX_LENGTH,
        label="Reason for change",
        help_text="Required when correcting a recorded value.",
    )


class CycleForm(ReasonMixin):
    start_date = IsoDateField()
    regimen = forms.ChoiceField(choices=Regimen.choices)
    regimen_change_reason = forms.CharField(
        required=False, help_text="Required when the regimen differs from the planned one."
    )
    height_cm = forms.DecimalField(label="Height (cm)", max_digits=5, decimal_places=1)
    weight_kg = forms.DecimalField(label="Weight (kg)", max_digits=5, decimal_places=1)
    delay_days = forms.IntegerField(label="Delay (days)", min_value=0, initial=0)
    delay_reason = forms.CharField(required=False)

    def __init__(
        self, *args: Any, randomization: Randomization, cycle: Cycle | None = None, **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        self.randomization = randomization
        planned = randomization.stratum_regimen
        self.fields["regimen"].initial = planned
        self.drug_names = [*REGIMEN_DRUGS[planned], Drug.DEXAMETHASONE]
        if cycle is not None:
            self.drug_names = list(dict.fromkeys([*self.drug_names, *REGIMEN_DRUGS[cycle.regimen]]))
        for drug in self.drug_names:
            self._add_drug_fields(drug)

    def _add_drug_fields(self, drug: str) -> None:
        label = Drug(drug).label
        dex = drug == Drug.DEXAMETHASONE
        rules = TreatmentRules.from_settings()
        in_dex_arm = self.randomization.arm == Arm.DEXAMETHASONE
        help_dex = (
            "Dexamethasone arm: expected with each cycle."
            if in_dex_arm
            else "Control arm: dexamethasone given here is a protocol deviation."
        )
        self.fields[f"{drug}_planned"] = forms.DecimalField(
            label=f"{label}: planned dose",
            required=False,
            min_value=0,
            initial=rules.dexamethasone_planned_dose if dex and in_dex_arm else None,
            help_text=help_dex if dex else "Total for the cycle.",
        )
        self.fields[f"{drug}_given"] = forms.DecimalField(
            label=f"{label}: given dose", required=False, min_value=0
        )
        self.fields[f"{drug}_unit"] = forms.ChoiceField(
            label=f"{label}: unit",
            choices=DoseUnit.choices,
            initial=rules.dexamethasone_unit if dex else DoseUnit.MG_M2,
        )
        self.fields[f"{drug}_reduction_reason"] = forms.CharField(
            label=f"{label}: reason for reduction", required=False
        )
        self.fields[f"{drug}_delayed"] = forms.BooleanField(
            label=f"{label}: delayed", required=False
        )
        self.fields[f"{drug}_delay_reason"] = forms.CharField(
            label=f"{label}: reason for delay", required=False
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
                    unit=data[f"{drug}_unit"],
                    reduction_reason=data.get(f"{drug}_reduction_reason", ""),
                    delayed=bool(data.get(f"{drug}_delayed")),
                    delay_reason=data.get(f"{drug}_delay_reason", ""),
                )
            )
        return doses

    def service_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        names = ["start_date", "regimen", "regimen_change_reason", "height_cm", "weight_kg"]
        values = {n: d[n] for n in names}
        values.update(delay_days=d["delay_days"] or 0, delay_reason=d["delay_reason"])
        return {**values, "drugs": self.drugs(), "reason": d["reason"]}

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


class ResponseForm(ReasonMixin):
    assessment_date = IsoDateField()
    response = forms.ChoiceField(choices=Response.choices, label="Response (ELN 2017)")
    marrow_blast_pct = forms.DecimalField(
        label="Bone marrow blasts (%)", required=False, min_value=0, max_value=100
    )
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    field_order = ["assessment_date", "response", "marrow_blast_pct", "comment", "reason"]


class AdverseEventForm(ReasonMixin):
    term = forms.ModelChoiceField(
        queryset=CtcaeTerm.objects.filter(active=True).order_by("term"),
        required=False,
        label="CTCAE v5 term",
    )
    term_text = forms.CharField(
        required=False, label="Other term (free text)", help_text="When no term of the list fits."
    )
    grade = forms.TypedChoiceField(
        choices=[(g, f"Grade {g}") for g in range(1, 6)], coerce=int, label="CTCAE grade"
    )
    start_date = IsoDateField()
    end_date = IsoDateField(required=False)
    relation_dexamethasone = forms.ChoiceField(
        choices=Relatedness.choices, label="Relation to dexamethasone"
    )
    relation_salvage = forms.ChoiceField(
        choices=Relatedness.choices, label="Relation to salvage therapy"
    )
    serious = forms.BooleanField(
        required=False, help_text="A serious event is e-mailed to the sponsor at once."
    )
    awareness_at = IsoDateTimeField(
        required=False,
        label="Site aware of seriousness at",
        help_text="Leave empty for now; the 24-hour reporting deadline runs from it.",
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
    reported_at = IsoDateTimeField(label="Full SAE report sent at")


class TransplantForm(ReasonMixin):
    transplant_date = IsoDateField()
    donor_type = forms.ChoiceField(choices=DonorType.choices)
    disease_status = forms.ChoiceField(
        choices=TransplantDiseaseStatus.choices, label="Disease status at transplant"
    )
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    field_order = ["transplant_date", "donor_type", "disease_status", "comment", "reason"]


class EndOfTreatmentForm(ReasonMixin):
    end_date = IsoDateField()
    end_reason = forms.ChoiceField(choices=EndOfTreatmentReason.choices, label="Reason")
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    field_order = ["end_date", "end_reason", "comment", "reason"]


class SignForm(forms.Form):
    meaning = forms.ChoiceField(
        choices=SignatureMeaning.choices,
        widget=forms.RadioSelect,
        label="Meaning of this signature",
    )
    password = forms.CharField(widget=forms.PasswordInput, label="Re-enter your password to sign")
