"""Protocol versions, eligibility criteria, the screening log, consent and baseline
(docs/protocol.md "Screening and eligibility")."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from trial.models.base import AuditedModel, ClinicalRecord
from trial.models.sites import Site
from trial.querysets import SiteScopedQuerySet


class ProtocolVersion(AuditedModel):
    """A version of the protocol; an amendment adds a version and never rewrites one."""

    number = models.CharField(max_length=20, unique=True)
    effective_date = models.DateField(unique=True)
    description = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Protocol v{self.number} (from {self.effective_date:%Y-%m-%d})"


class CriterionKind(models.TextChoices):
    INCLUSION = "inclusion", "Inclusion"
    EXCLUSION = "exclusion", "Exclusion"


class EligibilityCriterion(AuditedModel):
    protocol_version = models.ForeignKey(
        ProtocolVersion, on_delete=models.PROTECT, related_name="criteria"
    )
    code = models.CharField(max_length=10, help_text="For example I3 or E2.")
    kind = models.CharField(max_length=10, choices=CriterionKind.choices)
    text = models.TextField()
    position = models.PositiveSmallIntegerField(default=0)
    editable = models.BooleanField(
        default=False,
        help_text="An example criterion that the sponsor may still adapt in a later version.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["protocol_version", "code"], name="criterion_code_unique_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.text}"

    def is_met_by(self, answer: bool) -> bool:
        """An inclusion criterion must be answered yes, an exclusion criterion no."""
        return answer if self.kind == CriterionKind.INCLUSION else not answer


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"


class PatientStatus(models.TextChoices):
    SCREENING = "screening", "Screening"
    SCREEN_FAILED = "screen_failed", "Screen failure"
    ENROLLED = "enrolled", "Enrolled"


class ScreenFailureReason(models.TextChoices):
    INCLUSION_NOT_MET = "inclusion_not_met", "Inclusion criterion not met"
    EXCLUSION_MET = "exclusion_met", "Exclusion criterion met"
    CONSENT_REFUSED = "consent_refused", "Consent refused"
    DIED = "died", "Died before enrolment"
    INVESTIGATOR_DECISION = "investigator_decision", "Investigator decision"
    OTHER = "other", "Other"


class Patient(ClinicalRecord):
    """A screened person: the screening log entry, and once enrolled, the study subject.

    No names are kept; age and sex are enough for eligibility and the CONSORT counts.
    """

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="patients")
    screening_number = models.CharField(max_length=20, editable=False)
    screening_date = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    age_at_screening = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(120)], help_text="Age in whole years on the screening date."
    )
    protocol_version = models.ForeignKey(
        ProtocolVersion, on_delete=models.PROTECT, related_name="patients", editable=False
    )
    status = models.CharField(
        max_length=20,
        choices=PatientStatus.choices,
        default=PatientStatus.SCREENING,
        editable=False,
    )
    screen_failure_reason = models.CharField(
        max_length=30, choices=ScreenFailureReason.choices, blank=True
    )
    screen_failure_detail = models.TextField(blank=True)
    eligibility_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    eligibility_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    subject_id = models.CharField(max_length=20, null=True, blank=True, unique=True, editable=False)
    enrolled_at = models.DateTimeField(null=True, blank=True, editable=False)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    site_path = "site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "screening_number"], name="patient_screening_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(status="enrolled", subject_id__isnull=False)
                | (~Q(status="enrolled") & Q(subject_id__isnull=True)),
                name="patient_subject_id_iff_enrolled",
            ),
            models.CheckConstraint(
                condition=~Q(status="screen_failed") | ~Q(screen_failure_reason=""),
                name="patient_screen_failure_has_reason",
            ),
        ]
        # The patient list's order (newest screening first): with these, its page of 50 is read
        # from the index instead of sorting every patient of the sites (bench/run load).
        indexes = [
            models.Index(
                fields=["site", "-screening_date", "-screening_number"], name="patient_site_list"
            ),
            models.Index(fields=["-screening_date", "-screening_number"], name="patient_list"),
        ]

    def __str__(self) -> str:
        return self.subject_id or self.screening_number

    @property
    def eligibility_confirmed(self) -> bool:
        return self.eligibility_confirmed_at is not None


class EligibilityAnswer(ClinicalRecord):
    """The answer to one criterion of the patient's protocol version."""

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="eligibility_answers"
    )
    criterion = models.ForeignKey(EligibilityCriterion, on_delete=models.PROTECT, related_name="+")
    answer = models.BooleanField(help_text="Yes when the statement of the criterion holds.")
    note = models.CharField(max_length=500, blank=True)

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "criterion"], name="eligibility_answer_unique"
            )
        ]

    @property
    def met(self) -> bool:
        return self.criterion.is_met_by(self.answer)


class Consent(ClinicalRecord):
    """Written informed consent; no study procedure may be dated before it."""

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="consent")
    consent_date = models.DateField()
    form_version = models.CharField(max_length=40, help_text="Version of the consent form signed.")
    obtained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()


class DiseaseStatus(models.TextChoices):
    FIRST_RELAPSE = "first_relapse", "First relapse"
    REFRACTORY = "refractory", "Refractory"


class Regimen(models.TextChoices):
    IC = "IC", "Intensive chemotherapy (amsacrine–cytarabine)"
    AZA = "AZA", "Azacitidine"


class CytogeneticRisk(models.TextChoices):
    FAVOURABLE = "favourable", "Favourable"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVERSE = "adverse", "Adverse"
    UNKNOWN = "unknown", "Not known"


class Baseline(ClinicalRecord):
    """Disease history and baseline assessment; also the source of the stratification factors."""

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="baseline")
    assessment_date = models.DateField()
    disease_status = models.CharField(max_length=20, choices=DiseaseStatus.choices)
    diagnosis_date = models.DateField()
    induction_start_date = models.DateField(help_text="Day 1 of the first induction cycle.")
    prior_induction_cycles = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    first_cr_date = models.DateField(
        null=True, blank=True, help_text="Date of the first CR or CRi, if one was reached."
    )
    relapse_date = models.DateField(null=True, blank=True)
    ecog = models.PositiveSmallIntegerField(
        "ECOG performance status", validators=[MaxValueValidator(4)]
    )
    wbc = models.DecimalField(
        "WBC (×10⁹/L)", max_digits=6, decimal_places=2, validators=[MinValueValidator(0)]
    )
    blood_blast_pct = models.DecimalField(
        "Peripheral blood blasts (%)",
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    marrow_blast_pct = models.DecimalField(
        "Bone marrow blasts (%)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    cytogenetic_risk = models.CharField(
        "Cytogenetic risk (ELN 2017)", max_length=20, choices=CytogeneticRisk.choices
    )
    mrd_pct = models.DecimalField(
        "MRD (%)",
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Where measured.",
    )
    planned_regimen = models.CharField(
        "Planned salvage regimen",
        max_length=3,
        choices=Regimen.choices,
        help_text="Chosen by the investigator before randomisation; a stratification factor.",
    )

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()


class MutationGene(AuditedModel):
    """A gene whose mutation status is captured at baseline (configuration)."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return self.code


class MutationResult(models.TextChoices):
    MUTATED = "mutated", "Mutated"
    NOT_MUTATED = "not_mutated", "Not mutated"
    NOT_TESTED = "not_tested", "Not tested"


class BaselineMutation(ClinicalRecord):
    baseline = models.ForeignKey(Baseline, on_delete=models.PROTECT, related_name="mutations")
    gene = models.ForeignKey(MutationGene, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(max_length=20, choices=MutationResult.choices)

    site_path = "baseline__patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["baseline", "gene"], name="baseline_mutation_unique")
        ]
