"""Post-treatment follow-up (PROTOCOL.md "Post-treatment follow-up")."""

from django.db import models

from trial.models import ClinicalRecord, Patient
from trial.querysets import SiteScopedQuerySet


class DeathCause(models.TextChoices):
    LEUKAEMIA = "leukaemia", "Leukaemia"
    INFECTION = "infection", "Infection"
    TOXICITY = "toxicity", "Treatment toxicity"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class Death(ClinicalRecord):
    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="death")
    death_date = models.DateField()
    cause = models.CharField(max_length=20, choices=DeathCause.choices)
    cause_detail = models.TextField(blank=True)

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()


class Withdrawal(ClinicalRecord):
    """Withdrawal of consent, with what the patient still allows to be collected."""

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="withdrawal")
    withdrawal_date = models.DateField()
    vital_status_may_be_collected = models.BooleanField(
        default=True, help_text="The patient allows vital status to be collected from records."
    )
    data_may_be_collected = models.BooleanField(
        default=False, help_text="The patient allows further study data to be collected."
    )
    comment = models.TextField(blank=True)

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()
