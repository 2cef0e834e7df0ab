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
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from trial.models import AuditedModel, Baseline, ClinicalRecord, Patient, Site, User
from trial.querysets import SiteScopedQuerySet


class Arm(models.TextChoices):
    DEXAMETHASONE = "DEX", _("Dexamethasone + salvage")
    CONTROL = "CTRL", _("Salvage alone")


# The baseline field each stratification factor stratifies on: its choices label the levels.
FACTOR_FIELDS = {"regimen": "planned_regimen", "disease_status": "disease_status"}


def factor_level_label(factor: str, value: str) -> str:
    """A stratification level as people read it, in the active language (a site stays its
    code); an unknown value is shown as it is."""
    if factor not in FACTOR_FIELDS or not value:
        return value
    field = Baseline._meta.get_field(FACTOR_FIELDS[factor])
    assert isinstance(field, models.Field)
    return str(dict(field.flatchoices).get(value, value))


class Method(models.TextChoices):
    BLOCKS = "blocks", _("Stratified permuted blocks")
    MINIMIZATION = "minimization", _("Pocock–Simon minimization")


class Purpose(models.TextChoices):
    TEST = "test", _("Test")
    PRODUCTION = "production", _("Production")


class Source(models.TextChoices):
    GENERATED = "generated", _("Generated in this system")
    IMPORTED = "imported", _("Imported (made by an independent statistician)")


class AllocationList(AuditedModel):
    """An allocation list (or a minimization schedule): generated here from a seed, or imported
    from an independent statistician's file, with where it came from (docs/protocol.md
    "Randomisation")."""

    code = models.CharField(
        max_length=12,
        unique=True,
        help_text=_("Short code; prefix of the randomisation numbers it gives."),
    )
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    method = models.CharField(max_length=12, choices=Method.choices, default=Method.BLOCKS)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.GENERATED)
    seed = models.CharField(
        max_length=64, blank=True, help_text=_("Every generated list has its own seed.")
    )
    block_sizes = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            "Sizes drawn from (generated) or declared by the statistician (imported; "
            "empty when the list declares no blocks)."
        ),
    )
    factors = models.JSONField(help_text=_("Stratification factors, in order."))
    slots_per_stratum = models.PositiveIntegerField(default=0)
    minimization_probability = models.FloatField(null=True, blank=True)
    checksum = models.CharField(max_length=64, blank=True)
    active = models.BooleanField(default=False)
    generated_at = models.DateTimeField(null=True, blank=True)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    # Provenance of an imported list, in place of a seed.
    imported_at = models.DateTimeField(null=True, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    file_sha256 = models.CharField(max_length=64, blank=True, help_text=_("Of the imported file."))
    stated_method = models.TextField(
        blank=True, help_text=_("How the statistician says the list was made (imported lists).")
    )
    balance_tolerance = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "Imported list without declared blocks: the largest difference between the "
            "arms' counts in a stratum, as stated by the importer."
        ),
    )

    class Meta:
        verbose_name = _("allocation list")
        verbose_name_plural = _("allocation lists")
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=Q(active=True), name="one_active_allocation_list"
            ),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Z0-9]{1,12}$"), name="allocation_list_code_format"
            ),
            models.UniqueConstraint(
                fields=["seed"],
                condition=~Q(seed=""),
                name="allocation_list_seed_unique",
                violation_error_message=_(
                    "This seed is already used: every list has its own seed."
                ),
            ),
            models.CheckConstraint(
                condition=Q(
                    source="generated",
                    generated_at__isnull=False,
                    generated_by__isnull=False,
                    seed__gt="",
                )
                | Q(
                    source="imported",
                    imported_at__isnull=False,
                    imported_by__isnull=False,
                    file_sha256__regex=r"^[0-9a-f]{64}$",
                ),
                name="allocation_list_has_provenance",
                violation_error_message=_(
                    "A generated list needs its seed, an imported list its "
                    "provenance (who imported which file, when)."
                ),
            ),
        ]

    def __str__(self) -> str:
        how = gettext("imported") if self.imported else self.get_method_display()
        return f"{self.code} ({self.get_purpose_display()}, {how})"

    @property
    def imported(self) -> bool:
        return self.source == Source.IMPORTED

    @property
    def entered_at(self) -> dt.datetime | None:
        """When the list entered this system: generated or imported."""
        return self.imported_at if self.imported else self.generated_at

    @property
    def entered_by(self) -> User | None:
        return self.imported_by if self.imported else self.generated_by

    def parameters(self) -> dict[str, object]:
        """What the list was generated from (or, imported, which file and which structure it
        declares); part of the checksum."""
        if self.imported:
            return {
                "code": self.code,
                "source": self.source,
                "file_sha256": self.file_sha256,
                "block_sizes": ",".join(str(s) for s in self.block_sizes),
                "factors": ",".join(self.factors),
                "balance_tolerance": ""
                if self.balance_tolerance is None
                else self.balance_tolerance,
            }
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
        verbose_name = _("stratum")
        verbose_name_plural = _("strata")
        constraints = [
            models.UniqueConstraint(fields=["allocation_list", "key"], name="stratum_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.allocation_list.code} {self.key}"


class AllocationSlot(AuditedModel):
    """One line of the allocation list. Used when a randomisation points at it; never edited."""

    stratum = models.ForeignKey(Stratum, on_delete=models.PROTECT, related_name="slots")
    position = models.PositiveIntegerField()
    # 0 and 0: an imported list that declares no blocks.
    block_number = models.PositiveIntegerField()
    block_size = models.PositiveSmallIntegerField()
    arm = models.CharField(max_length=4, choices=Arm.choices)
    append_round = models.PositiveSmallIntegerField(default=0)
    append_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("allocation slot")
        verbose_name_plural = _("allocation slots")
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
            raise ValidationError(_("A used allocation slot cannot be changed."))
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValidationError(_("Allocation slots are never deleted."))


class Randomization(ClinicalRecord):
    """The patient's one and only allocation; never undone (intention to treat)."""

    patient = models.OneToOneField(
        Patient, on_delete=models.PROTECT, related_name="randomization", verbose_name=_("patient")
    )
    arm = models.CharField(max_length=4, choices=Arm.choices, editable=False, verbose_name=_("arm"))
    randomization_number = models.CharField(
        max_length=20, unique=True, editable=False, verbose_name=_("randomization number")
    )
    randomized_at = models.DateTimeField(
        editable=False, help_text=_("Day 0 of overall survival."), verbose_name=_("randomized at")
    )
    randomized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("randomized by"),
    )
    # Stratification values as they were used, kept with the allocation.
    stratum_regimen = models.CharField(
        max_length=3, editable=False, verbose_name=_("stratum regimen")
    )
    stratum_disease_status = models.CharField(
        max_length=20, editable=False, verbose_name=_("stratum disease status")
    )
    stratum_site = models.CharField(
        max_length=8, blank=True, default="", editable=False, verbose_name=_("stratum site")
    )
    allocation_list = models.ForeignKey(
        AllocationList,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="randomizations",
        editable=False,
        verbose_name=_("allocation list"),
    )
    sequence = models.PositiveIntegerField(
        null=True, blank=True, editable=False, verbose_name=_("sequence")
    )
    slot = models.OneToOneField(
        AllocationSlot,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="randomization",
        editable=False,
        verbose_name=_("slot"),
    )
    minimization = models.JSONField(
        null=True, blank=True, editable=False, verbose_name=_("minimization")
    )

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("randomisation")
        verbose_name_plural = _("randomisations")
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

    @property
    def stratum_regimen_label(self) -> str:
        return factor_level_label("regimen", self.stratum_regimen)

    @property
    def stratum_disease_status_label(self) -> str:
        return factor_level_label("disease_status", self.stratum_disease_status)


class CorrectionKind(models.TextChoices):
    WRONG_STRATUM = "wrong_stratum", _("Randomised in the wrong stratum")
    INELIGIBLE = "ineligible", _("Randomised although not eligible")
    OTHER = "other", _("Other")


class RandomizationCorrection(ClinicalRecord):
    """A documented error in a randomisation; the allocation itself stands (ITT)."""

    randomization = models.ForeignKey(
        Randomization,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("randomization"),
    )
    kind = models.CharField(max_length=20, choices=CorrectionKind.choices, verbose_name=_("kind"))
    correct_regimen = models.CharField(max_length=3, blank=True, verbose_name=_("correct regimen"))
    correct_disease_status = models.CharField(
        max_length=20, blank=True, verbose_name=_("correct disease status")
    )
    reason = models.TextField(verbose_name=_("reason"))
    recorded_at = models.DateTimeField(verbose_name=_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    site_path = "randomization__patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("randomisation correction")
        verbose_name_plural = _("randomisation corrections")
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="correction_has_reason")
        ]

    @property
    def correct_regimen_label(self) -> str:
        return factor_level_label("regimen", self.correct_regimen)

    @property
    def correct_disease_status_label(self) -> str:
        return factor_level_label("disease_status", self.correct_disease_status)


TRIAL_CALENDAR_KEY = "trial"


class TrialCalendar(AuditedModel):
    """The one end-of-study date of the trial: first randomisation + the study duration.

    Fixed once, when the first patient is randomised; a single row (key "trial").
    """

    key = models.CharField(max_length=10, default=TRIAL_CALENDAR_KEY, unique=True, editable=False)
    first_randomized_on = models.DateField()
    end_of_study = models.DateField(help_text=_("Follow-up stops on this date (exclusive)."))

    class Meta:
        verbose_name = _("trial calendar")
        verbose_name_plural = _("trial calendars")
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
        return gettext("End of study %(date)s") % {"date": f"{self.end_of_study:%Y-%m-%d}"}
