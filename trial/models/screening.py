"""Protocol versions, eligibility criteria, the screening log, consent and baseline
(docs/protocol.md "Screening and eligibility")."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from trial.models.base import AuditedModel, ClinicalRecord
from trial.models.sites import Site
from trial.querysets import SiteScopedQuerySet


class ProtocolVersion(AuditedModel):
    """A version of the protocol; an amendment adds a version and never rewrites one."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    effective_date = models.DateField(_("effective date"), unique=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("protocol version")
        verbose_name_plural = _("protocol versions")

    def __str__(self) -> str:
        return gettext("Protocol v%(number)s (from %(date)s)") % {
            "number": self.number,
            "date": f"{self.effective_date:%Y-%m-%d}",
        }


class CriterionKind(models.TextChoices):
    INCLUSION = "inclusion", _("Inclusion")
    EXCLUSION = "exclusion", _("Exclusion")


class EligibilityCriterion(AuditedModel):
    protocol_version = models.ForeignKey(
        ProtocolVersion,
        on_delete=models.PROTECT,
        related_name="criteria",
        verbose_name=_("protocol version"),
    )
    code = models.CharField(_("code"), max_length=10, help_text=_("For example I3 or E2."))
    kind = models.CharField(_("kind"), max_length=10, choices=CriterionKind.choices)
    text = models.TextField(_("text"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    editable = models.BooleanField(
        _("editable"),
        default=False,
        help_text=_("An example criterion that the sponsor may still adapt in a later version."),
    )

    # Its label is the protocol's wording, not the interface's: pages mark it as such.
    protocol_text = True

    class Meta:
        verbose_name = _("eligibility criterion")
        verbose_name_plural = _("eligibility criteria")
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
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")


class PatientStatus(models.TextChoices):
    SCREENING = "screening", _("Screening")
    SCREEN_FAILED = "screen_failed", _("Screen failure")
    ENROLLED = "enrolled", _("Enrolled")


class ScreenFailureReason(models.TextChoices):
    INCLUSION_NOT_MET = "inclusion_not_met", _("Inclusion criterion not met")
    EXCLUSION_MET = "exclusion_met", _("Exclusion criterion met")
    CONSENT_REFUSED = "consent_refused", _("Consent refused")
    DIED = "died", _("Died before enrolment")
    INVESTIGATOR_DECISION = "investigator_decision", _("Investigator decision")
    OTHER = "other", _("Other")


class Patient(ClinicalRecord):
    """A screened person: the screening log entry, and once enrolled, the study subject.

    No names are kept; age and sex are enough for eligibility and the CONSORT counts.
    """

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="patients", verbose_name=_("site")
    )
    screening_number = models.CharField(_("screening number"), max_length=20, editable=False)
    screening_date = models.DateField(_("screening date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    age_at_screening = models.PositiveSmallIntegerField(
        _("age at screening"),
        validators=[MaxValueValidator(120)],
        help_text=_("Age in whole years on the screening date."),
    )
    protocol_version = models.ForeignKey(
        ProtocolVersion,
        on_delete=models.PROTECT,
        related_name="patients",
        editable=False,
        verbose_name=_("protocol version"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=PatientStatus.choices,
        default=PatientStatus.SCREENING,
        editable=False,
    )
    screen_failure_reason = models.CharField(
        _("screen failure reason"), max_length=30, choices=ScreenFailureReason.choices, blank=True
    )
    screen_failure_detail = models.TextField(_("screen failure details"), blank=True)
    eligibility_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("eligibility confirmed by"),
    )
    eligibility_confirmed_at = models.DateTimeField(
        _("eligibility confirmed at"), null=True, blank=True, editable=False
    )
    subject_id = models.CharField(
        _("subject identifier"), max_length=20, null=True, blank=True, unique=True, editable=False
    )
    enrolled_at = models.DateTimeField(_("enrolled at"), null=True, blank=True, editable=False)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("enrolled by"),
    )

    site_path = "site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
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
        Patient,
        on_delete=models.PROTECT,
        related_name="eligibility_answers",
        verbose_name=_("patient"),
    )
    criterion = models.ForeignKey(
        EligibilityCriterion,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("criterion"),
    )
    answer = models.BooleanField(
        _("answer"), help_text=_("Yes when the statement of the criterion holds.")
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("eligibility answer")
        verbose_name_plural = _("eligibility answers")
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "criterion"], name="eligibility_answer_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.patient} · {self.criterion.code}"

    @property
    def met(self) -> bool:
        return self.criterion.is_met_by(self.answer)


class Consent(ClinicalRecord):
    """Written informed consent; no study procedure may be dated before it."""

    patient = models.OneToOneField(
        Patient, on_delete=models.PROTECT, related_name="consent", verbose_name=_("patient")
    )
    consent_date = models.DateField(_("date of consent"))
    form_version = models.CharField(
        _("consent form version"),
        max_length=40,
        help_text=_("Version of the consent form signed."),
    )
    obtained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("consent obtained by"),
    )

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("informed consent")
        verbose_name_plural = _("informed consents")

    def __str__(self) -> str:
        return str(self.patient)


class DiseaseStatus(models.TextChoices):
    FIRST_RELAPSE = "first_relapse", _("First relapse")
    REFRACTORY = "refractory", _("Refractory")


class Regimen(models.TextChoices):
    IC = "IC", _("Intensive chemotherapy (amsacrine–cytarabine)")
    AZA = "AZA", _("Azacitidine")


class CytogeneticRisk(models.TextChoices):
    FAVOURABLE = "favourable", _("Favourable")
    INTERMEDIATE = "intermediate", _("Intermediate")
    ADVERSE = "adverse", _("Adverse")
    UNKNOWN = "unknown", _("Not known")


class Baseline(ClinicalRecord):
    """Disease history and baseline assessment; also the source of the stratification factors.

    A long form may be saved as a draft with required fields left empty (the fields the
    completeness rule of `trial.services.drafts` names are nullable for that reason only): a
    draft is never counted as data until the ordinary save completes it (docs/protocol.md
    "Data cleaning and locking")."""

    patient = models.OneToOneField(
        Patient, on_delete=models.PROTECT, related_name="baseline", verbose_name=_("patient")
    )
    draft = models.BooleanField(
        _("draft"),
        default=False,
        help_text=_("Saved with required fields missing; not counted as data."),
    )
    assessment_date = models.DateField(_("assessment date"), null=True, blank=True)
    disease_status = models.CharField(
        _("disease status"), max_length=20, choices=DiseaseStatus.choices, blank=True
    )
    diagnosis_date = models.DateField(_("diagnosis date"), null=True, blank=True)
    induction_start_date = models.DateField(
        _("induction start date"),
        null=True,
        blank=True,
        help_text=_("Day 1 of the first induction cycle."),
    )
    prior_induction_cycles = models.PositiveSmallIntegerField(
        _("prior induction cycles"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
    )
    first_cr_date = models.DateField(
        _("first CR date"),
        null=True,
        blank=True,
        help_text=_("Date of the first CR or CRi, if one was reached."),
    )
    relapse_date = models.DateField(_("relapse date"), null=True, blank=True)
    ecog = models.PositiveSmallIntegerField(
        _("ECOG performance status"), null=True, blank=True, validators=[MaxValueValidator(4)]
    )
    wbc = models.DecimalField(
        _("WBC (×10⁹/L)"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    blood_blast_pct = models.DecimalField(
        _("Peripheral blood blasts (%)"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    marrow_blast_pct = models.DecimalField(
        _("Bone marrow blasts (%)"),
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    cytogenetic_risk = models.CharField(
        _("Cytogenetic risk (ELN 2017)"),
        max_length=20,
        choices=CytogeneticRisk.choices,
        blank=True,
    )
    mrd_pct = models.DecimalField(
        _("MRD (%)"),
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Where measured."),
    )
    planned_regimen = models.CharField(
        _("Planned salvage regimen"),
        max_length=3,
        choices=Regimen.choices,
        blank=True,
        help_text=_("Chosen by the investigator before randomisation; a stratification factor."),
    )

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("baseline record")
        verbose_name_plural = _("baseline records")
        constraints = [
            # the database's own word that only a draft leaves a required field empty
            models.CheckConstraint(
                condition=Q(draft=True)
                | (
                    Q(
                        assessment_date__isnull=False,
                        diagnosis_date__isnull=False,
                        induction_start_date__isnull=False,
                        prior_induction_cycles__isnull=False,
                        ecog__isnull=False,
                        wbc__isnull=False,
                        blood_blast_pct__isnull=False,
                    )
                    & ~Q(disease_status="")
                    & ~Q(cytogenetic_risk="")
                    & ~Q(planned_regimen="")
                ),
                name="baseline_complete_unless_draft",
            ),
        ]

    def __str__(self) -> str:
        return str(self.patient)


class MutationGene(AuditedModel):
    """A gene whose mutation status is captured at baseline (configuration)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("mutation gene")
        verbose_name_plural = _("mutation genes")

    def __str__(self) -> str:
        return self.code


class MutationResult(models.TextChoices):
    MUTATED = "mutated", _("Mutated")
    NOT_MUTATED = "not_mutated", _("Not mutated")
    NOT_TESTED = "not_tested", _("Not tested")


class BaselineMutation(ClinicalRecord):
    baseline = models.ForeignKey(
        Baseline,
        on_delete=models.PROTECT,
        related_name="mutations",
        verbose_name=_("baseline record"),
    )
    gene = models.ForeignKey(
        MutationGene, on_delete=models.PROTECT, related_name="+", verbose_name=_("gene")
    )
    result = models.CharField(_("result"), max_length=20, choices=MutationResult.choices)

    site_path = "baseline__patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("baseline mutation result")
        verbose_name_plural = _("baseline mutation results")
        constraints = [
            models.UniqueConstraint(fields=["baseline", "gene"], name="baseline_mutation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.baseline} · {self.gene.code}"
