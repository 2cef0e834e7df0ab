"""Facts about the patient that every later period needs: death, withdrawal of consent and loss
to follow-up. Treatment checks a fatal adverse event against the death; follow-up stops at any
of them; the analysis censors or counts events from them. They are recorded on the follow-up
pages (docs/protocol.md "Post-treatment follow-up")."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from trial.models.base import ClinicalRecord
from trial.models.screening import Patient
from trial.querysets import SiteScopedQuerySet


class DeathCause(models.TextChoices):
    LEUKAEMIA = "leukaemia", _("Leukaemia")
    INFECTION = "infection", _("Infection")
    TOXICITY = "toxicity", _("Treatment toxicity")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class Death(ClinicalRecord):
    patient = models.OneToOneField(
        Patient, on_delete=models.PROTECT, related_name="death", verbose_name=_("patient")
    )
    death_date = models.DateField(_("date of death"))
    cause = models.CharField(_("cause"), max_length=20, choices=DeathCause.choices)
    cause_detail = models.TextField(_("cause details"), blank=True)

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("death")
        verbose_name_plural = _("deaths")

    def __str__(self) -> str:
        return str(self.patient)


class Withdrawal(ClinicalRecord):
    """Withdrawal of consent, with what the patient still allows to be collected."""

    patient = models.OneToOneField(
        Patient, on_delete=models.PROTECT, related_name="withdrawal", verbose_name=_("patient")
    )
    withdrawal_date = models.DateField(_("withdrawal date"))
    vital_status_may_be_collected = models.BooleanField(
        _("vital status may be collected"),
        default=True,
        help_text=_("The patient allows vital status to be collected from records."),
    )
    data_may_be_collected = models.BooleanField(
        _("data may be collected"),
        default=False,
        help_text=_("The patient allows further study data to be collected."),
    )
    comment = models.TextField(_("comment"), blank=True)

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("withdrawal of consent")
        verbose_name_plural = _("withdrawals of consent")

    def __str__(self) -> str:
        return str(self.patient)


class LossToFollowUp(ClinicalRecord):
    """Declared after the configured number of missed visits and documented contact attempts."""

    patient = models.OneToOneField(
        Patient,
        on_delete=models.PROTECT,
        related_name="loss_to_followup",
        verbose_name=_("patient"),
    )
    declared_on = models.DateField(_("declared on"))
    missed_visits = models.PositiveSmallIntegerField(
        _("missed visits"), help_text=_("Missed visits at declaration.")
    )
    contact_attempts = models.PositiveSmallIntegerField(
        _("contact attempts"), help_text=_("Documented contact attempts at declaration.")
    )
    comment = models.TextField(_("comment"), blank=True)

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("loss to follow-up")
        verbose_name_plural = _("losses to follow-up")

    def __str__(self) -> str:
        return str(self.patient)
