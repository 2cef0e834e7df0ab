"""Allocation (docs/protocol.md "Randomisation").

Allocation lists and their slots are concealed: only the trial statistician and the sponsor
administrator see them. A used slot is never changed, and a randomisation is never undone;
a correction is a separate record that leaves the original allocation standing (ITT).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from trial.models import AuditedModel, ClinicalRecord, Patient, Site
from trial.querysets import SiteScopedQuerySet


class Arm(models.TextChoices):
    DEXAMETHASONE = "DEX", "Dexamethasone + salvage"
    CONTROL = "CTRL", "Salvage alone"


class Method(models.TextChoices):
    BLOCKS = "blocks", "Stratified permuted blocks"
    MINIMIZATION = "minimization", "Pocock–Simon minimization"


class Purpose(models.TextChoices):
    TEST = "test", "Test"
    PRODUCTION = "production", "Production"


class AllocationList(AuditedModel):
    """A generated allocation list (or a minimization schedule) and the parameters it came from."""

    code = models.CharField(
        max_length=12,
        unique=True,
        help_text="Short code; prefix of the randomisation numbers it gives.",
    )
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    method = models.CharField(max_length=12, choices=Method.choices, default=Method.BLOCKS)
    seed = models.CharField(max_length=64, unique=True, help_text="Every list has its own seed.")
    block_sizes = models.JSONField(default=list, blank=True)
    factors = models.JSONField(help_text="Stratification factors, in order.")
    slots_per_stratum = models.PositiveIntegerField(default=0)
    minimization_probability = models.FloatField(null=True, blank=True)
    checksum = models.CharField(max_length=64, blank=True)
    active = models.BooleanField(default=False)
    generated_at = models.DateTimeField()
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="one_active_allocation_list"
            ),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Z0-9]{1,12}$"), name="allocation_list_code_format"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.get_purpose_display()}, {self.get_method_display()})"

    def parameters(self) -> dict[str, object]:
        """What the list was generated from; part of the checksum."""
        return {
            "code": self.code,
            "method": self.method,
            "seed": self.seed,
            "block_sizes": ",".join(str(s) for s in self.block_sizes),
            "factors": ",".join(self.factors),
            "slots_per_stratum": self.slots_per_stratum,
            "minimization_probability": self.minimization_probability or "",
        }


class Stratum(AuditedModel):
    """One combination of factor levels of a list; its slots are used in position order."""

    allocation_list = models.ForeignKey(
        AllocationList, on_delete=models.PROTECT, related_name="strata"
    )
    key = models.CharField(max_length=80)
    regimen = models.CharField(max_length=3, blank=True)
    disease_status = models.CharField(max_length=20, blank=True)
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    appended_rounds = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["allocation_list", "key"], name="stratum_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.allocation_list.code} {self.key}"


class AllocationSlot(AuditedModel):
    """One line of the allocation list. Used when a randomisation points at it; never edited."""

    stratum = models.ForeignKey(Stratum, on_delete=models.PROTECT, related_name="slots")
    position = models.PositiveIntegerField()
    block_number = models.PositiveIntegerField()
    block_size = models.PositiveSmallIntegerField()
    arm = models.CharField(max_length=4, choices=Arm.choices)
    append_round = models.PositiveSmallIntegerField(default=0)
    append_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stratum", "position"], name="slot_position_unique")
        ]

    def __str__(self) -> str:
        return f"{self.stratum} #{self.position}"

    @property
    def used(self) -> bool:
        return Randomization.objects.filter(slot_id=self.pk).exists()

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and self.used:
            raise ValidationError("A used allocation slot cannot be changed.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValidationError("Allocation slots are never deleted.")


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
    stratum_site = models.CharField(max_length=8, blank=True, default="", editable=False)
    allocation_list = models.ForeignKey(
        AllocationList,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="randomizations",
        editable=False,
    )
    sequence = models.PositiveIntegerField(null=True, blank=True, editable=False)
    slot = models.OneToOneField(
        AllocationSlot,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="randomization",
        editable=False,
    )
    minimization = models.JSONField(null=True, blank=True, editable=False)

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["allocation_list", "sequence"], name="randomization_sequence_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.randomization_number} ({self.get_arm_display()})"

    @property
    def randomized_on(self) -> dt.date:
        """The day of randomisation in the trial's time zone: day 0 of every time to event."""
        return timezone.localdate(self.randomized_at)

    @property
    def stratum_values(self) -> dict[str, str]:
        """The stratification values used for this allocation, by factor."""
        return {
            "regimen": self.stratum_regimen,
            "disease_status": self.stratum_disease_status,
            "site": self.stratum_site,
        }


class CorrectionKind(models.TextChoices):
    WRONG_STRATUM = "wrong_stratum", "Randomised in the wrong stratum"
    INELIGIBLE = "ineligible", "Randomised although not eligible"
    OTHER = "other", "Other"


class RandomizationCorrection(ClinicalRecord):
    """A documented error in a randomisation; the allocation itself stands (ITT)."""

    randomization = models.ForeignKey(
        Randomization, on_delete=models.PROTECT, related_name="corrections"
    )
    kind = models.CharField(max_length=20, choices=CorrectionKind.choices)
    correct_regimen = models.CharField(max_length=3, blank=True)
    correct_disease_status = models.CharField(max_length=20, blank=True)
    reason = models.TextField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    site_path = "randomization__patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="correction_has_reason")
        ]


class ResultNotice(AuditedModel):
    """The e-mail of a randomisation's result to the site team, once sent: the guard that keeps
    a task run twice (acknowledged late, redelivered) from sending it twice."""

    randomization = models.OneToOneField(
        Randomization, on_delete=models.PROTECT, related_name="result_notice"
    )
    sent_at = models.DateTimeField()
    recipients = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Result of {self.randomization.randomization_number} sent {self.sent_at:%Y-%m-%d}"


TRIAL_CALENDAR_KEY = "trial"


class TrialCalendar(AuditedModel):
    """The one end-of-study date of the trial: first randomisation + the study duration.

    Fixed once, when the first patient is randomised; a single row (key "trial").
    """

    key = models.CharField(max_length=10, default=TRIAL_CALENDAR_KEY, unique=True, editable=False)
    first_randomized_on = models.DateField()
    end_of_study = models.DateField(help_text="Follow-up stops on this date (exclusive).")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(key=TRIAL_CALENDAR_KEY), name="trial_calendar_single_row"
            ),
            models.CheckConstraint(
                condition=Q(end_of_study__gt=F("first_randomized_on")),
                name="trial_calendar_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"End of study {self.end_of_study:%Y-%m-%d}"
