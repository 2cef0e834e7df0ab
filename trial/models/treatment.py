"""Treatment period (PROTOCOL.md "Treatment period")."""

from django.db import models

from trial.models.base import ClinicalRecord
from trial.models.screening import Patient
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
