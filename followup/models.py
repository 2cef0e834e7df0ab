"""Post-treatment follow-up (docs/protocol.md "Post-treatment follow-up")."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from trial.models import ClinicalRecord, Patient
from trial.querysets import SiteScopedQuerySet


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DUE = "due", _("Due (in window)")
    OVERDUE = "overdue", _("Overdue")
    MISSED = "missed", _("Missed")
    DONE = "done", pgettext_lazy("visit status", "Done")
    NOT_DONE = "not_done", _("Not done")
    CANCELLED = "cancelled", _("Cancelled")


# Visits the scheduler still moves along by date; the others are settled.
OPEN_STATUSES = (VisitStatus.PLANNED, VisitStatus.DUE, VisitStatus.OVERDUE, VisitStatus.MISSED)
# Visits a coordinator may still record (a missed visit may be documented late).
RECORDABLE_STATUSES = OPEN_STATUSES


class VitalStatus(models.TextChoices):
    ALIVE = "alive", _("Alive")
    DEAD = "dead", _("Dead")
    UNKNOWN = "unknown", _("Unknown")


class FollowupDiseaseStatus(models.TextChoices):
    REMISSION = "remission", _("Remission kept")
    RELAPSE = "relapse", _("Relapse")
    NOT_IN_REMISSION = "not_in_remission", _("Never in remission / persistent disease")
    UNKNOWN = "unknown", _("Unknown")


class Visit(ClinicalRecord):
    """A post-treatment visit: planned from the anchor date, then recorded or cancelled.

    Dates are half-open: the window is [window_opens, window_closes); the visit is overdue
    from `overdue_from` and missed from `missed_from`.
    """

    # No index of its own: the unique (patient, number) index serves every lookup by patient,
    # and a second index is a second write per visit (535,000 on a first fill at 100,000).
    patient = models.ForeignKey(
        Patient,
        on_delete=models.PROTECT,
        related_name="followup_visits",
        verbose_name=_("patient"),
        db_index=False,
    )
    number = models.PositiveSmallIntegerField(
        help_text=_("1 for the first post-treatment visit."), verbose_name=_("number")
    )
    month = models.PositiveSmallIntegerField(
        help_text=_("Months after the anchor date."), verbose_name=_("month")
    )
    anchor_date = models.DateField(
        help_text=_("End of treatment, or the provisional anchor."), verbose_name=_("anchor date")
    )
    anchor_provisional = models.BooleanField(default=False, verbose_name=_("anchor provisional"))
    target_date = models.DateField(verbose_name=_("target date"))
    window_opens = models.DateField(verbose_name=_("window opens"))
    window_closes = models.DateField(verbose_name=_("window closes"))
    overdue_from = models.DateField(verbose_name=_("overdue from"))
    missed_from = models.DateField(verbose_name=_("missed from"))
    status = models.CharField(
        max_length=20,
        choices=VisitStatus.choices,
        default=VisitStatus.PLANNED,
        verbose_name=_("status"),
    )
    status_reason = models.CharField(max_length=200, blank=True, verbose_name=_("status reason"))
    window_reminded_on = models.DateField(
        null=True, blank=True, editable=False, verbose_name=_("window reminded on")
    )
    overdue_reminded_on = models.DateField(
        null=True, blank=True, editable=False, verbose_name=_("overdue reminded on")
    )

    contact_date = models.DateField(null=True, blank=True, verbose_name=_("contact date"))
    not_done_reason = models.TextField(blank=True, verbose_name=_("not done reason"))
    vital_status = models.CharField(
        max_length=10, choices=VitalStatus.choices, blank=True, verbose_name=_("vital status")
    )
    disease_status = models.CharField(
        max_length=20,
        choices=FollowupDiseaseStatus.choices,
        blank=True,
        verbose_name=_("disease status"),
    )
    relapse = models.ForeignKey(
        "treatment.Relapse",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text=_("The relapse record this visit reports (disease status relapse)."),
        verbose_name=_("relapse"),
    )
    reported_relapse_date = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "The relapse date a visit held before relapse records, kept as it was "
            "reported; the relapse record holds the date."
        ),
        verbose_name=_("reported relapse date"),
    )
    new_treatment = models.BooleanField(
        _("New anti-leukaemic treatment since the last visit"), null=True, blank=True
    )
    new_treatment_detail = models.TextField(blank=True, verbose_name=_("new treatment detail"))
    transplant = models.BooleanField(_("Transplant since the last visit"), null=True, blank=True)
    transplant_date = models.DateField(null=True, blank=True, verbose_name=_("transplant date"))

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        constraints = [
            models.UniqueConstraint(fields=["patient", "number"], name="visit_unique_number"),
            models.CheckConstraint(
                condition=Q(window_opens__lte=F("target_date"))
                & Q(window_closes__gt=F("window_opens"))
                & Q(missed_from__gte=F("overdue_from")),
                name="visit_window_in_order",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(contact_date__isnull=False),
                name="visit_done_has_contact_date",
            ),
            models.CheckConstraint(
                condition=~Q(status="not_done") | ~Q(not_done_reason=""),
                name="visit_not_done_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(disease_status="relapse")
                | Q(relapse__isnull=False)
                | Q(entered_in_error=True),
                name="visit_relapse_is_linked",
            ),
        ]
        indexes = [models.Index(fields=["status", "target_date"], name="visit_status_target")]

    def __str__(self) -> str:
        return gettext("%(patient)s visit %(number)s (month %(month)s)") % {
            "patient": self.patient,
            "number": self.number,
            "month": self.month,
        }

    def status_on(self, today: dt.date) -> str:
        """The status the dates give on a day, for a visit still open."""
        if today >= self.missed_from:
            return VisitStatus.MISSED
        if today >= self.overdue_from:
            return VisitStatus.OVERDUE
        if today >= self.window_opens:
            return VisitStatus.DUE
        return VisitStatus.PLANNED


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("Telephone")
    LETTER = "letter", _("Letter")
    EMAIL = "email", _("Email")
    GP = "gp", _("General practitioner / other hospital")
    REGISTRY = "registry", _("Civil registry")
    OTHER = "other", _("Other")


class ContactOutcome(models.TextChoices):
    NO_ANSWER = "no_answer", _("No answer")
    MESSAGE_LEFT = "message_left", _("Message left")
    REACHED_ALIVE = "reached_alive", _("Reached; patient alive")
    OTHER = "other", _("Other")


class ContactAttempt(ClinicalRecord):
    """A documented attempt to reach a patient (needed before declaring loss to follow-up)."""

    patient = models.ForeignKey(
        Patient,
        on_delete=models.PROTECT,
        related_name="followup_contact_attempts",
        verbose_name=_("patient"),
    )
    attempted_on = models.DateField(verbose_name=_("attempted on"))
    method = models.CharField(
        max_length=20, choices=ContactMethod.choices, verbose_name=_("method")
    )
    outcome = models.CharField(
        max_length=20, choices=ContactOutcome.choices, verbose_name=_("outcome")
    )
    note = models.TextField(blank=True, verbose_name=_("note"))

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("contact attempt")
        verbose_name_plural = _("contact attempts")
