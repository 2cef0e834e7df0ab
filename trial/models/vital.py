"""Facts about the patient that every later period needs: death, withdrawal of consent and loss
to follow-up. Treatment checks a fatal adverse event against the death; follow-up stops at any
of them; the analysis censors or counts events from them. They are recorded on the follow-up
pages (docs/protocol.md "Post-treatment follow-up")."""

from __future__ import annotations

from django.db import models

from trial.models.base import ClinicalRecord
from trial.models.screening import Patient
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


class LossToFollowUp(ClinicalRecord):
    """Declared after the configured number of missed visits and documented contact attempts."""

    patient = models.OneToOneField(
        Patient, on_delete=models.PROTECT, related_name="loss_to_followup"
    )
    declared_on = models.DateField()
    missed_visits = models.PositiveSmallIntegerField(help_text="Missed visits at declaration.")
    contact_attempts = models.PositiveSmallIntegerField(
        help_text="Documented contact attempts at declaration."
    )
    comment = models.TextField(blank=True)

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()
