"""Treatment period: cycles, doses, responses, adverse events, transplant, end of treatment,
protocol deviations and the investigator's signature (docs/protocol.md "Treatment period")."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from trial.models.base import AuditedModel, ClinicalRecord
from trial.models.screening import Patient, Regimen
from trial.querysets import SiteScopedQuerySet


class EndOfTreatmentReason(models.TextChoices):
    COMPLETED = "completed", _("Treatment completed")
    PROGRESSION = "progression", _("Progression")
    TOXICITY = "toxicity", _("Toxicity")
    TRANSPLANT = "transplant", _("Transplant")
    DEATH = "death", _("Death")
    WITHDRAWAL = "withdrawal", _("Withdrawal")
    INVESTIGATOR_DECISION = "investigator_decision", _("Investigator decision")
    NEVER_STARTED = "never_started", _("Treatment never started")


class EndOfTreatment(ClinicalRecord):
    """Closes the treatment period; recording it starts post-treatment follow-up."""

    patient = models.OneToOneField(
        Patient,
        on_delete=models.PROTECT,
        related_name="end_of_treatment",
        verbose_name=_("patient"),
    )
    end_date = models.DateField(verbose_name=_("end date"))
    reason = models.CharField(
        max_length=30, choices=EndOfTreatmentReason.choices, verbose_name=_("reason")
    )
    comment = models.TextField(blank=True, verbose_name=_("comment"))

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("end of treatment")
        verbose_name_plural = _("ends of treatment")

    def __str__(self) -> str:
        return gettext("End of treatment %(date)s (%(reason)s)") % {
            "date": f"{self.end_date:%Y-%m-%d}",
            "reason": self.get_reason_display(),
        }


class CycleKind(models.TextChoices):
    INDUCTION = "induction", _("Induction")
    CONSOLIDATION = "consolidation", _("Consolidation")
    AZACITIDINE = "azacitidine", _("Azacitidine cycle")


def mosteller_bsa(height_cm: Decimal, weight_kg: Decimal) -> Decimal:
    """Body surface area in m² by Mosteller: √(height cm × weight kg / 3600), to 2 decimals."""
    value = math.sqrt(float(height_cm) * float(weight_kg) / 3600)
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class Cycle(ClinicalRecord):
    """One salvage cycle: IC (1 induction + up to 3 consolidations) or numbered AZA cycles."""

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="cycles", verbose_name=_("patient")
    )
    number = models.PositiveSmallIntegerField(editable=False, verbose_name=_("number"))
    kind = models.CharField(
        max_length=20, choices=CycleKind.choices, editable=False, verbose_name=_("kind")
    )
    regimen = models.CharField(max_length=3, choices=Regimen.choices, verbose_name=_("regimen"))
    regimen_change_reason = models.TextField(
        blank=True,
        help_text=_("Required when the regimen differs from the planned (stratum) one."),
        verbose_name=_("regimen change reason"),
    )
    start_date = models.DateField(help_text=_("Day 1 of the cycle."), verbose_name=_("start date"))
    height_cm = models.DecimalField(
        _("Height (cm)"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("100")), MaxValueValidator(Decimal("250"))],
    )
    weight_kg = models.DecimalField(
        _("Weight (kg)"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("25")), MaxValueValidator(Decimal("300"))],
    )
    bsa_m2 = models.DecimalField(
        _("Body surface area (m², Mosteller)"), max_digits=4, decimal_places=2, editable=False
    )
    delay_days = models.PositiveSmallIntegerField(
        _("Delay (days)"),
        default=0,
        help_text=_("Days the start was postponed from the planned date."),
    )
    delay_reason = models.TextField(blank=True, verbose_name=_("delay reason"))

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")
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
        return gettext("Cycle %(number)s (%(kind)s, %(date)s)") % {
            "number": self.number,
            "kind": self.get_kind_display(),
            "date": f"{self.start_date:%Y-%m-%d}",
        }

    def compute_bsa(self) -> None:
        self.bsa_m2 = mosteller_bsa(self.height_cm, self.weight_kg)


class Drug(models.TextChoices):
    AMSACRINE = "amsacrine", _("Amsacrine")
    CYTARABINE = "cytarabine", _("Cytarabine")
    AZACITIDINE = "azacitidine", _("Azacitidine")
    DEXAMETHASONE = "dexamethasone", _("Dexamethasone")


# Salvage drugs of each regimen; dexamethasone goes with either, in the dexamethasone arm.
REGIMEN_DRUGS: dict[str, tuple[str, ...]] = {
    Regimen.IC: (Drug.AMSACRINE, Drug.CYTARABINE),
    Regimen.AZA: (Drug.AZACITIDINE,),
}


class DoseUnit(models.TextChoices):
    MG_M2 = "mg/m2", _("mg/m²")
    MG = "mg", _("mg")
    MG_KG = "mg/kg", _("mg/kg")
    G_M2 = "g/m2", _("g/m²")


class DrugAdministration(ClinicalRecord):
    """Planned and given dose of one drug in one cycle (total per cycle), with reasons."""

    cycle = models.ForeignKey(
        Cycle, on_delete=models.PROTECT, related_name="drugs", verbose_name=_("cycle")
    )
    drug = models.CharField(max_length=20, choices=Drug.choices, verbose_name=_("drug"))
    planned_dose = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        verbose_name=_("planned dose"),
    )
    given_dose = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        verbose_name=_("given dose"),
    )
    unit = models.CharField(max_length=10, choices=DoseUnit.choices, verbose_name=_("unit"))
    reduction_reason = models.TextField(
        blank=True,
        help_text=_("Required when less than the planned dose was given."),
        verbose_name=_("reduction reason"),
    )
    delayed = models.BooleanField(default=False, verbose_name=_("delayed"))
    delay_reason = models.TextField(blank=True, verbose_name=_("delay reason"))

    site_path = "cycle__patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("drug administration")
        verbose_name_plural = _("drug administrations")
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

    CR = "CR", _("Complete remission (CR)")
    CRI = "CRi", _("CR with incomplete haematological recovery (CRi)")
    MLFS = "MLFS", _("Morphologic leukaemia-free state (MLFS)")
    PR = "PR", _("Partial remission (PR)")
    SD = "SD", _("Stable / resistant disease")
    PD = "PD", _("Progressive disease")
    # Only after CR/CRi (ELN 2017): never a best response, since it always follows a CR/CRi.
    RELAPSE = "REL", _("Relapse after CR/CRi")


RESPONSE_RANK: dict[str, int] = {value: rank for rank, value in enumerate(Response.values)}


class ResponseAssessment(ClinicalRecord):
    patient = models.ForeignKey(
        Patient,
        on_delete=models.PROTECT,
        related_name="response_assessments",
        verbose_name=_("patient"),
    )
    cycle = models.ForeignKey(
        Cycle,
        on_delete=models.PROTECT,
        related_name="response_assessments",
        editable=False,
        help_text=_("The last cycle started on or before the assessment (derived)."),
        verbose_name=_("cycle"),
    )
    assessment_date = models.DateField(verbose_name=_("assessment date"))
    response = models.CharField(max_length=4, choices=Response.choices, verbose_name=_("response"))
    marrow_blast_pct = models.DecimalField(
        _("Bone marrow blasts (%)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    comment = models.TextField(blank=True, verbose_name=_("comment"))

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("response assessment")
        verbose_name_plural = _("response assessments")
        constraints = [
            models.CheckConstraint(
                condition=Q(marrow_blast_pct__isnull=True)
                | Q(marrow_blast_pct__gte=0, marrow_blast_pct__lte=100),
                name="response_blast_pct_range",
            )
        ]

    def __str__(self) -> str:
        return gettext("%(response)s on %(date)s") % {
            "response": self.get_response_display(),
            "date": f"{self.assessment_date:%Y-%m-%d}",
        }


class RelapseFoundAt(models.TextChoices):
    """Where the relapse was found: the one record is made from any of these."""

    RESPONSE = "response", _("Response assessment")
    END_OF_TREATMENT = "end_of_treatment", _("End of treatment for progression")
    FOLLOWUP_VISIT = "followup_visit", _("Follow-up visit")
    RELAPSE_FORM = "relapse_form", _("Relapse form")
    # Recorded at follow-up visits before relapse records existed: how it was established was
    # not asked then, so it stays to be given on correction.
    MIGRATED = "migrated", _("Follow-up visit (before relapse records)")


class Relapse(ClinicalRecord):
    """Relapse after CR/CRi (ELN 2017; docs/protocol.md "Relapse"): the patient's one dated
    relapse, which EFS, RFS and the cumulative incidence of relapse read, wherever it was found.

    Established by ≥ 5% bone-marrow blasts, reappearance of blasts in the peripheral blood, or
    extramedullary disease (any of them, at least one).
    """

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="relapses", verbose_name=_("patient")
    )
    relapse_date = models.DateField(verbose_name=_("relapse date"))
    bone_marrow = models.BooleanField(_("Bone marrow: ≥ 5% blasts"), default=False)
    marrow_blast_pct = models.DecimalField(
        _("Bone marrow blasts (%)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    peripheral_blood = models.BooleanField(
        _("Peripheral blood: reappearance of blasts"), default=False
    )
    extramedullary = models.BooleanField(_("Extramedullary disease"), default=False)
    extramedullary_site = models.CharField(_("Extramedullary site"), max_length=200, blank=True)
    found_at = models.CharField(
        max_length=20, choices=RelapseFoundAt.choices, editable=False, verbose_name=_("found at")
    )
    assessment = models.ForeignKey(
        ResponseAssessment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text=_("The response assessment the relapse was found at, if it was."),
        verbose_name=_("assessment"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text=_("Who first recorded the relapse (its history keeps every correction)."),
        verbose_name=_("recorded by"),
    )
    comment = models.TextField(blank=True, verbose_name=_("comment"))

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("relapse")
        verbose_name_plural = _("relapses")
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
        return gettext("Relapse on %(date)s") % {"date": f"{self.relapse_date:%Y-%m-%d}"}

    @property
    def established(self) -> bool:
        """Whether how the relapse was established is recorded."""
        return self.bone_marrow or self.peripheral_blood or self.extramedullary

    @property
    def established_by(self) -> str:
        """How the relapse was established, as people read it (in the active language)."""
        parts = []
        if self.bone_marrow:
            parts.append(gettext("bone marrow (%(pct)s%% blasts)") % {"pct": self.marrow_blast_pct})
        if self.peripheral_blood:
            parts.append(gettext("blasts in the peripheral blood"))
        if self.extramedullary:
            parts.append(gettext("extramedullary (%(site)s)") % {"site": self.extramedullary_site})
        return ", ".join(parts) or gettext("not recorded")


class CtcaeTerm(AuditedModel):
    """A CTCAE v5 term and its MedDRA system organ class (reference list, seeded)."""

    term = models.CharField(max_length=200, unique=True)
    soc = models.CharField(_("System organ class"), max_length=200)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("CTCAE term")
        verbose_name_plural = _("CTCAE terms")

    def __str__(self) -> str:
        return self.term


class Relatedness(models.TextChoices):
    NOT_RELATED = "not_related", _("Not related")
    UNLIKELY = "unlikely", _("Unlikely")
    POSSIBLE = "possible", _("Possible")
    PROBABLE = "probable", _("Probable")
    DEFINITE = "definite", _("Definite")


# The kind of the outbox message that alerts the sponsor to a serious adverse event.
SAE_ALERT = "treatment.sae_alert"


class AdverseEvent(ClinicalRecord):
    """An adverse event (CTCAE v5); a serious one is reported to the sponsor within 24 hours."""

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="adverse_events", verbose_name=_("patient")
    )
    term = models.ForeignKey(
        CtcaeTerm,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("term"),
    )
    term_text = models.CharField(
        _("Other term (free text)"),
        max_length=200,
        blank=True,
        help_text=_("When no CTCAE term of the list fits."),
    )
    grade = models.PositiveSmallIntegerField(
        _("CTCAE grade"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    start_date = models.DateField(verbose_name=_("start date"))
    end_date = models.DateField(null=True, blank=True, verbose_name=_("end date"))
    relation_dexamethasone = models.CharField(
        _("Relation to dexamethasone"), max_length=20, choices=Relatedness.choices
    )
    relation_salvage = models.CharField(
        _("Relation to salvage therapy"), max_length=20, choices=Relatedness.choices
    )
    serious = models.BooleanField(default=False, verbose_name=_("serious"))
    awareness_at = models.DateTimeField(
        _("Site aware of seriousness at"), null=True, blank=True, editable=False
    )
    report_due_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("report due at")
    )
    sponsor_notified_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the alert to the sponsor was delivered (empty: not delivered yet)."),
        verbose_name=_("sponsor notified at"),
    )
    reported_at = models.DateTimeField(
        _("SAE report sent at"), null=True, blank=True, editable=False
    )

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("adverse event")
        verbose_name_plural = _("adverse events")
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
        indexes = [
            # The serious events whose report is still missing (the dashboard's overdue SAE
            # reports, the investigator's worklist): a few rows, where a scan read them all.
            models.Index(
                fields=["report_due_at"],
                condition=Q(serious=True, reported_at__isnull=True, entered_in_error=False),
                name="adverse_event_report_missing",
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(term)s grade %(grade)s") % {"term": self.term_label, "grade": self.grade}

    @property
    def term_label(self) -> str:
        return str(self.term) if self.term_id else self.term_text


class DonorType(models.TextChoices):
    MATCHED_SIBLING = "matched_sibling", _("Matched sibling")
    MATCHED_UNRELATED = "matched_unrelated", _("Matched unrelated")
    MISMATCHED_UNRELATED = "mismatched_unrelated", _("Mismatched unrelated")
    HAPLOIDENTICAL = "haploidentical", _("Haploidentical")
    CORD_BLOOD = "cord_blood", _("Cord blood")


class TransplantDiseaseStatus(models.TextChoices):
    CR = "CR", _("Complete remission (CR)")
    CRI = "CRi", _("CR with incomplete recovery (CRi)")
    MLFS = "MLFS", _("Morphologic leukaemia-free state")
    ACTIVE = "active", _("Active disease")


class Transplant(ClinicalRecord):
    """Allogeneic stem-cell transplantation; allowed at any time during the trial."""

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="transplants", verbose_name=_("patient")
    )
    transplant_date = models.DateField(verbose_name=_("transplant date"))
    donor_type = models.CharField(
        max_length=30, choices=DonorType.choices, verbose_name=_("donor type")
    )
    disease_status = models.CharField(
        _("Disease status at transplant"), max_length=10, choices=TransplantDiseaseStatus.choices
    )
    comment = models.TextField(blank=True, verbose_name=_("comment"))

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("transplant")
        verbose_name_plural = _("transplants")

    def __str__(self) -> str:
        return gettext("Allogeneic transplant %(date)s") % {
            "date": f"{self.transplant_date:%Y-%m-%d}"
        }


class DeviationKind(models.TextChoices):
    DEXAMETHASONE_IN_CONTROL = "dex_in_control", _("Dexamethasone given in the control arm")
    DEXAMETHASONE_MISSING = "dex_missing", _("Dexamethasone not given in the dexamethasone arm")
    REGIMEN_CHANGE = "regimen_change", _("Regimen differs from the planned regimen")


class ProtocolDeviation(ClinicalRecord):
    """A deviation the system detected in the recorded data; flagged, never a refusal."""

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="deviations", verbose_name=_("patient")
    )
    cycle = models.ForeignKey(
        Cycle, on_delete=models.PROTECT, related_name="deviations", verbose_name=_("cycle")
    )
    kind = models.CharField(max_length=20, choices=DeviationKind.choices, verbose_name=_("kind"))
    description = models.TextField(verbose_name=_("description"))
    detected_at = models.DateTimeField(verbose_name=_("detected at"))

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("protocol deviation")
        verbose_name_plural = _("protocol deviations")
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "kind"],
                condition=Q(entered_in_error=False),
                name="deviation_once_per_cycle_and_kind",
            )
        ]

    def __str__(self) -> str:
        return gettext("%(kind)s (cycle %(number)s)") % {
            "kind": self.get_kind_display(),
            "number": self.cycle.number,
        }


class SignatureMeaning(models.TextChoices):
    """The meaning of an electronic signature (21 CFR 11.50(a)(3))."""

    REVIEW = "review", _("I have reviewed these records")
    APPROVAL = "approval", _("I approve these records as accurate and complete")
    RESPONSIBILITY = "responsibility", _("I take responsibility for these records")


class Signature(AuditedModel):
    """An investigator's signature of a patient's treatment-period records (21 CFR 11.50).

    A change to signed data breaks it (broken_at set); signing again adds a new signature.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="signatures")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signer_name = models.CharField(_("Printed name of the signer"), max_length=300)
    signed_at = models.DateTimeField()
    meaning = models.CharField(max_length=20, choices=SignatureMeaning.choices)
    broken_at = models.DateTimeField(null=True, blank=True)
    broken_reason = models.TextField(blank=True)

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
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
        state = gettext("broken") if self.broken_at else gettext("valid")
        return gettext("Signed by %(name)s on %(when)s (%(state)s)") % {
            "name": self.signer_name,
            "when": f"{self.signed_at:%Y-%m-%d %H:%M}",
            "state": state,
        }

    @property
    def valid(self) -> bool:
        return self.broken_at is None
