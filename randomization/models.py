"""Allocation (PROTOCOL.md "Randomisation")."""

from django.conf import settings
from django.db import models

from trial.models import ClinicalRecord, Patient
from trial.querysets import SiteScopedQuerySet


class Arm(models.TextChoices):
    DEXAMETHASONE = "DEX", "Dexamethasone + salvage"
    CONTROL = "CTRL", "Salvage alone"


class Randomization(ClinicalRecord):
    """The patient's one and only allocation; never undone (intention to treat)."""

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="randomization")
    arm = models.CharField(max_length=4, choices=Arm.choices, editable=False)
    randomization_number = models.CharField(max_length=20, unique=True, editable=False)
    randomized_at = models.DateTimeField(editable=False, help_text="Day 0 of overall survival.")
    randomized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    # Stratification values as they were used, kept with the allocation.
    stratum_regimen = models.CharField(max_length=3, editable=False)
    stratum_disease_status = models.CharField(max_length=20, editable=False)

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.randomization_number} ({self.get_arm_display()})"
