"""Treatment period: cycles, doses, responses, adverse events, transplant, end of treatment,
protocol deviations and the investigator's signature (docs/protocol.md "Treatment period")."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from trial.models.base import AuditedModel, ClinicalRecord
from trial.models.screening import Patient, Regimen
from trial.querysets import SiteScopedQuerySet


class EndOfTreatmentReason(models.TextChoices):
    COMPLETED = "completed", "Treatment completed"
    PROGRESSION = "progression", "Progression"
    TOXICITY = "toxicity", "Toxicity"
    TRANSPLANT = "transplant", "Transplant"
    DEATH = "death", "Death"
    WITHDRAWAL = "withdrawal", "Withdrawal"
    INVESTIGATOR_DECISION = "investigator_decision", "Investigator decision"
    NEVER_STARTED = "never_started", "Treatment never started"


class EndOfTreatment(ClinicalRecord):
    """Closes the treatment period; recording it starts post-treatment follow-up."""

    patient = models.OneToOneField(
        Patient, on_delete=models.PROTECT, related_name="end_of_treatment"
    )
    end_date = models.DateField()
    reason = models.CharField(max_length=30, choices=EndOfTreatmentReason.choices)
    comment = models.TextField(blank=True)

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"End of treatment {self.end_date:%Y-%m-%d} ({self.get_reason_display()})"


class CycleKind(models.TextChoices):
    INDUCTION = "induction", "Induction"
    CONSOLIDATION = "consolidation", "Consolidation"
    AZACITIDINE = "azacitidine", "Azacitidine cycle"


def mosteller_bsa(height_cm: Decimal, weight_kg: Decimal) -> Decimal:
    """Body surface area in m² by Mosteller: √(height cm × weight kg / 3600), to 2 decimals."""
    value = math.sqrt(float(height_cm) * float(weight_kg) / 3600)
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class Cycle(ClinicalRecord):
    """One salvage cycle: IC (1 induction + up to 3 consolidations) or numbered AZA cycles."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="cycles")
    number = models.PositiveSmallIntegerField(editable=False)
    kind = models.CharField(max_length=20, choices=CycleKind.choices, editable=False)
    regimen = models.CharField(max_length=3, choices=Regimen.choices)
    regimen_change_reason = models.TextField(
        blank=True, help_text="Required when the regimen differs from the planned (stratum) one."
    )
    start_date = models.DateField(help_text="Day 1 of the cycle.")
    height_cm = models.DecimalField(
        "Height (cm)",
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("100")), MaxValueValidator(Decimal("250"))],
    )
    weight_kg = models.DecimalField(
        "Weight (kg)",
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("25")), MaxValueValidator(Decimal("300"))],
    )
    bsa_m2 = models.DecimalField(
        "Body surface area (m², Mosteller)", max_digits=4, decimal_places=2, editable=False
    )
    delay_days = models.PositiveSmallIntegerField(
        "Delay (days)", default=0, help_text="Days the start was postponed from the planned date."
    )
    delay_reason = models.TextField(blank=True)

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "number"],
                condition=Q(entered_in_error=False),
                name="cycle_number_unique",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="cycle_number_positive"),
            models.CheckConstraint(
                condition=Q(delay_days=0) | ~Q(delay_reason=""), name="cycle_delay_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"Cycle {self.number} ({self.get_kind_display()}, {self.start_date:%Y-%m-%d})"

    def compute_bsa(self) -> None:
        self.bsa_m2 = mosteller_bsa(self.height_cm, self.weight_kg)


class Drug(models.TextChoices):
    AMSACRINE = "amsacrine", "Amsacrine"
    CYTARABINE = "cytarabine", "Cytarabine"
    AZACITIDINE = "azacitidine", "Azacitidine"
    DEXAMETHASONE = "dexamethasone", "Dexamethasone"


# Salvage drugs of each regimen; dexamethasone goes with either, in the dexamethasone arm.
REGIMEN_DRUGS: dict[str, tuple[str, ...]] = {
    Regimen.IC: (Drug.AMSACRINE, Drug.CYTARABINE),
    Regimen.AZA: (Drug.AZACITIDINE,),
}


class DoseUnit(models.TextChoices):
    MG_M2 = "mg/m2", "mg/m²"
    MG = "mg", "mg"
    MG_KG = "mg/kg", "mg/kg"
    G_M2 = "g/m2", "g/m²"


class DrugAdministration(ClinicalRecord):
    """Planned and given dose of one drug in one cycle (total per cycle), with reasons."""

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="drugs")
    drug = models.CharField(max_length=20, choices=Drug.choices)
    planned_dose = models.DecimalField(
        max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )
    given_dose = models.DecimalField(
        max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )
    unit = models.CharField(max_length=10, choices=DoseUnit.choices)
    reduction_reason = models.TextField(
        blank=True, help_text="Required when less than the planned dose was given."
    )
    delayed = models.BooleanField(default=False)
    delay_reason = models.TextField(blank=True)

    site_path = "cycle__patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "drug"],
                condition=Q(entered_in_error=False),
                name="drug_once_per_cycle",
            ),
            models.CheckConstraint(
                condition=Q(given_dose__gte=0) & Q(planned_dose__gte=0),
                name="drug_doses_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(given_dose__gte=models.F("planned_dose")) | ~Q(reduction_reason=""),
                name="drug_reduction_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(delayed=False) | ~Q(delay_reason=""), name="drug_delay_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_drug_display()} {self.given_dose}/{self.planned_dose} {self.unit}"

    @property
    def reduced(self) -> bool:
        return self.given_dose < self.planned_dose


class Response(models.TextChoices):
    """ELN 2017 response categories, best first."""

    CR = "CR", "Complete remission (CR)"
    CRI = "CRi", "CR with incomplete haematological recovery (CRi)"
    MLFS = "MLFS", "Morphologic leukaemia-free state (MLFS)"
    PR = "PR", "Partial remission (PR)"
    SD = "SD", "Stable / resistant disease"
    PD = "PD", "Progressive disease"
    # Only after CR/CRi (ELN 2017): never a best response, since it always follows a CR/CRi.
    RELAPSE = "REL", "Relapse after CR/CRi"


RESPONSE_RANK: dict[str, int] = {value: rank for rank, value in enumerate(Response.values)}


class ResponseAssessment(ClinicalRecord):
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="response_assessments"
    )
    cycle = models.ForeignKey(
        Cycle,
        on_delete=models.PROTECT,
        related_name="response_assessments",
        editable=False,
        help_text="The last cycle started on or before the assessment (derived).",
    )
    assessment_date = models.DateField()
    response = models.CharField(max_length=4, choices=Response.choices)
    marrow_blast_pct = models.DecimalField(
        "Bone marrow blasts (%)",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    comment = models.TextField(blank=True)

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(marrow_blast_pct__isnull=True)
                | Q(marrow_blast_pct__gte=0, marrow_blast_pct__lte=100),
                name="response_blast_pct_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.response} on {self.assessment_date:%Y-%m-%d}"


class RelapseFoundAt(models.TextChoices):
    """Where the relapse was found: the one record is made from any of these."""

    RESPONSE = "response", "Response assessment"
    END_OF_TREATMENT = "end_of_treatment", "End of treatment for progression"
    FOLLOWUP_VISIT = "followup_visit", "Follow-up visit"
    RELAPSE_FORM = "relapse_form", "Relapse form"
    # Recorded at follow-up visits before relapse records existed: how it was established was
    # not asked then, so it stays to be given on correction.
    MIGRATED = "migrated", "Follow-up visit (before relapse records)"


class Relapse(ClinicalRecord):
    """Relapse after CR/CRi (ELN 2017; docs/protocol.md "Relapse"): the patient's one dated
    relapse, which EFS, RFS and the cumulative incidence of relapse read, wherever it was found.

    Established by ≥ 5% bone-marrow blasts, reappearance of blasts in the peripheral blood, or
    extramedullary disease (any of them, at least one).
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="relapses")
    relapse_date = models.DateField()
    bone_marrow = models.BooleanField("Bone marrow: ≥ 5% blasts", default=False)
    marrow_blast_pct = models.DecimalField(
        "Bone marrow blasts (%)",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    peripheral_blood = models.BooleanField(
        "Peripheral blood: reappearance of blasts", default=False
    )
    extramedullary = models.BooleanField("Extramedullary disease", default=False)
    extramedullary_site = models.CharField("Extramedullary site", max_length=200, blank=True)
    found_at = models.CharField(max_length=20, choices=RelapseFoundAt.choices, editable=False)
    assessment = models.ForeignKey(
        ResponseAssessment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text="The response assessment the relapse was found at, if it was.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text="Who first recorded the relapse (its history keeps every correction).",
    )
    comment = models.TextField(blank=True)

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(entered_in_error=False),
                name="relapse_once_per_patient",
            ),
            models.CheckConstraint(
                condition=Q(bone_marrow=True)
                | Q(peripheral_blood=True)
                | Q(extramedullary=True)
                | Q(found_at="migrated"),
                name="relapse_is_established",
            ),
            models.CheckConstraint(
                condition=Q(bone_marrow=False) | Q(marrow_blast_pct__gte=5),
                name="relapse_marrow_blasts_5_or_more",
            ),
            models.CheckConstraint(
                condition=Q(marrow_blast_pct__isnull=True) | Q(marrow_blast_pct__lte=100),
                name="relapse_blast_pct_range",
            ),
            models.CheckConstraint(
                condition=Q(extramedullary=False) | ~Q(extramedullary_site=""),
                name="relapse_extramedullary_has_site",
            ),
        ]

    def __str__(self) -> str:
        return f"Relapse on {self.relapse_date:%Y-%m-%d}"

    @property
    def established_by(self) -> str:
        """How the relapse was established, as people read it."""
        parts = []
        if self.bone_marrow:
            parts.append(f"bone marrow ({self.marrow_blast_pct}% blasts)")
        if self.peripheral_blood:
            parts.append("blasts in the peripheral blood")
        if self.extramedullary:
            parts.append(f"extramedullary ({self.extramedullary_site})")
        return ", ".join(parts) or "not recorded"


class CtcaeTerm(AuditedModel):
    """A CTCAE v5 term and its MedDRA system organ class (reference list, seeded)."""

    term = models.CharField(max_length=200, unique=True)
    soc = models.CharField("System organ class", max_length=200)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.term


class Relatedness(models.TextChoices):
    NOT_RELATED = "not_related", "Not related"
    UNLIKELY = "unlikely", "Unlikely"
    POSSIBLE = "possible", "Possible"
    PROBABLE = "probable", "Probable"
    DEFINITE = "definite", "Definite"


# The kind of the outbox message that alerts the sponsor to a serious adverse event.
SAE_ALERT = "treatment.sae_alert"


class AdverseEvent(ClinicalRecord):
    """An adverse event (CTCAE v5); a serious one is reported to the sponsor within 24 hours."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="adverse_events")
    term = models.ForeignKey(
        CtcaeTerm, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    term_text = models.CharField(
        "Other term (free text)",
        max_length=200,
        blank=True,
        help_text="When no CTCAE term of the list fits.",
    )
    grade = models.PositiveSmallIntegerField(
        "CTCAE grade", validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    relation_dexamethasone = models.CharField(
        "Relation to dexamethasone", max_length=20, choices=Relatedness.choices
    )
    relation_salvage = models.CharField(
        "Relation to salvage therapy", max_length=20, choices=Relatedness.choices
    )
    serious = models.BooleanField(default=False)
    awareness_at = models.DateTimeField(
        "Site aware of seriousness at", null=True, blank=True, editable=False
    )
    report_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    sponsor_notified_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the alert to the sponsor was delivered (empty: not delivered yet).",
    )
    reported_at = models.DateTimeField("SAE report sent at", null=True, blank=True, editable=False)

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(grade__gte=1, grade__lte=5), name="adverse_event_grade_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(term__isnull=False) | ~Q(term_text=""), name="adverse_event_has_term"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="adverse_event_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(serious=False) | Q(report_due_at__isnull=False),
                name="serious_adverse_event_has_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term_label} grade {self.grade}"

    @property
    def term_label(self) -> str:
        return str(self.term) if self.term_id else self.term_text


class DonorType(models.TextChoices):
    MATCHED_SIBLING = "matched_sibling", "Matched sibling"
    MATCHED_UNRELATED = "matched_unrelated", "Matched unrelated"
    MISMATCHED_UNRELATED = "mismatched_unrelated", "Mismatched unrelated"
    HAPLOIDENTICAL = "haploidentical", "Haploidentical"
    CORD_BLOOD = "cord_blood", "Cord blood"


class TransplantDiseaseStatus(models.TextChoices):
    CR = "CR", "Complete remission (CR)"
    CRI = "CRi", "CR with incomplete recovery (CRi)"
    MLFS = "MLFS", "Morphologic leukaemia-free state"
    ACTIVE = "active", "Active disease"


class Transplant(ClinicalRecord):
    """Allogeneic stem-cell transplantation; allowed at any time during the trial."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="transplants")
    transplant_date = models.DateField()
    donor_type = models.CharField(max_length=30, choices=DonorType.choices)
    disease_status = models.CharField(
        "Disease status at transplant", max_length=10, choices=TransplantDiseaseStatus.choices
    )
    comment = models.TextField(blank=True)

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Allogeneic transplant {self.transplant_date:%Y-%m-%d}"


class DeviationKind(models.TextChoices):
    DEXAMETHASONE_IN_CONTROL = "dex_in_control", "Dexamethasone given in the control arm"
    DEXAMETHASONE_MISSING = "dex_missing", "Dexamethasone not given in the dexamethasone arm"
    REGIMEN_CHANGE = "regimen_change", "Regimen differs from the planned regimen"


class ProtocolDeviation(ClinicalRecord):
    """A deviation the system detected in the recorded data; flagged, never a refusal."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="deviations")
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="deviations")
    kind = models.CharField(max_length=20, choices=DeviationKind.choices)
    description = models.TextField()
    detected_at = models.DateTimeField()

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "kind"],
                condition=Q(entered_in_error=False),
                name="deviation_once_per_cycle_and_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} (cycle {self.cycle.number})"


class SignatureMeaning(models.TextChoices):
    """The meaning of an electronic signature (21 CFR 11.50(a)(3))."""

    REVIEW = "review", "I have reviewed these records"
    APPROVAL = "approval", "I approve these records as accurate and complete"
    RESPONSIBILITY = "responsibility", "I take responsibility for these records"


class Signature(AuditedModel):
    """An investigator's signature of a patient's treatment-period records (21 CFR 11.50).

    A change to signed data breaks it (broken_at set); signing again adds a new signature.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="signatures")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signer_name = models.CharField("Printed name of the signer", max_length=300)
    signed_at = models.DateTimeField()
    meaning = models.CharField(max_length=20, choices=SignatureMeaning.choices)
    broken_at = models.DateTimeField(null=True, blank=True)
    broken_reason = models.TextField(blank=True)

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(broken_at__isnull=True),
                name="one_valid_signature_per_patient",
            ),
            models.CheckConstraint(
                condition=Q(broken_at__isnull=True) | ~Q(broken_reason=""),
                name="broken_signature_has_reason",
            ),
        ]

    def __str__(self) -> str:
        state = "broken" if self.broken_at else "valid"
        return f"Signed by {self.signer_name} on {self.signed_at:%Y-%m-%d %H:%M} ({state})"

    @property
    def valid(self) -> bool:
        return self.broken_at is None
