"""Post-treatment follow-up (PROTOCOL.md "Post-treatment follow-up")."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from trial.models import AuditedModel, ClinicalRecord, Patient, Site
from trial.querysets import SiteScopedQuerySet

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


class VisitStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    DUE = "due", "Due (in window)"
    OVERDUE = "overdue", "Overdue"
    MISSED = "missed", "Missed"
    DONE = "done", "Done"
    NOT_DONE = "not_done", "Not done"
    CANCELLED = "cancelled", "Cancelled"


# Visits the scheduler still moves along by date; the others are settled.
OPEN_STATUSES = (VisitStatus.PLANNED, VisitStatus.DUE, VisitStatus.OVERDUE, VisitStatus.MISSED)
# Visits a coordinator may still record (a missed visit may be documented late).
RECORDABLE_STATUSES = OPEN_STATUSES


class VitalStatus(models.TextChoices):
    ALIVE = "alive", "Alive"
    DEAD = "dead", "Dead"
    UNKNOWN = "unknown", "Unknown"


class FollowupDiseaseStatus(models.TextChoices):
    REMISSION = "remission", "Remission kept"
    RELAPSE = "relapse", "Relapse"
    NOT_IN_REMISSION = "not_in_remission", "Never in remission / persistent disease"
    UNKNOWN = "unknown", "Unknown"


class Visit(ClinicalRecord):
    """A post-treatment visit: planned from the anchor date, then recorded or cancelled.

    Dates are half-open: the window is [window_opens, window_closes); the visit is overdue
    from `overdue_from` and missed from `missed_from`.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="followup_visits")
    number = models.PositiveSmallIntegerField(help_text="1 for the first post-treatment visit.")
    month = models.PositiveSmallIntegerField(help_text="Months after the anchor date.")
    anchor_date = models.DateField(help_text="End of treatment, or the provisional anchor.")
    anchor_provisional = models.BooleanField(default=False)
    target_date = models.DateField()
    window_opens = models.DateField()
    window_closes = models.DateField()
    overdue_from = models.DateField()
    missed_from = models.DateField()
    status = models.CharField(
        max_length=20, choices=VisitStatus.choices, default=VisitStatus.PLANNED
    )
    status_reason = models.CharField(max_length=200, blank=True)
    window_reminded_on = models.DateField(null=True, blank=True, editable=False)
    overdue_reminded_on = models.DateField(null=True, blank=True, editable=False)

    contact_date = models.DateField(null=True, blank=True)
    not_done_reason = models.TextField(blank=True)
    vital_status = models.CharField(max_length=10, choices=VitalStatus.choices, blank=True)
    disease_status = models.CharField(
        max_length=20, choices=FollowupDiseaseStatus.choices, blank=True
    )
    relapse_date = models.DateField(null=True, blank=True)
    new_treatment = models.BooleanField(
        "New anti-leukaemic treatment since the last visit", null=True, blank=True
    )
    new_treatment_detail = models.TextField(blank=True)
    transplant = models.BooleanField("Transplant since the last visit", null=True, blank=True)
    transplant_date = models.DateField(null=True, blank=True)

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()

    class Meta:
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
                condition=~Q(disease_status="relapse") | Q(relapse_date__isnull=False),
                name="visit_relapse_has_date",
            ),
        ]
        indexes = [models.Index(fields=["status", "target_date"], name="visit_status_target")]

    def __str__(self) -> str:
        return f"{self.patient} visit {self.number} (month {self.month})"

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
    PHONE = "phone", "Telephone"
    LETTER = "letter", "Letter"
    EMAIL = "email", "Email"
    GP = "gp", "General practitioner / other hospital"
    REGISTRY = "registry", "Civil registry"
    OTHER = "other", "Other"


class ContactOutcome(models.TextChoices):
    NO_ANSWER = "no_answer", "No answer"
    MESSAGE_LEFT = "message_left", "Message left"
    REACHED_ALIVE = "reached_alive", "Reached; patient alive"
    OTHER = "other", "Other"


class ContactAttempt(ClinicalRecord):
    """A documented attempt to reach a patient (needed before declaring loss to follow-up)."""

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="followup_contact_attempts"
    )
    attempted_on = models.DateField()
    method = models.CharField(max_length=20, choices=ContactMethod.choices)
    outcome = models.CharField(max_length=20, choices=ContactOutcome.choices)
    note = models.TextField(blank=True)

    site_path = "patient__site"
    objects = SiteScopedQuerySet.as_manager()


class NotificationKind(models.TextChoices):
    SITE_REMINDER = "site_reminder", "Daily reminder to site coordinators"
    WEEKLY_DIGEST = "weekly_digest", "Weekly digest to data managers"


class Notification(AuditedModel):
    """One email sent (one per site per day, one digest per week): the guard against repeats."""

    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    day = models.DateField()
    scope = models.CharField(max_length=10, help_text="Site code, or ALL for a trial-wide email.")
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recipients = models.TextField(blank=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "day", "scope"], name="notification_once")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.scope} {self.day:%Y-%m-%d}"


class DataCutoff(AuditedModel):
    """A frozen data cut-off: the date the analysis stops at, who decided it and why."""

    cutoff_date = models.DateField(help_text="Events on or before this date count.")
    reason = models.TextField(help_text="Why this cut-off (interim, final, DSMB …).")
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    frozen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cutoff_date"], name="data_cutoff_unique_date"),
            models.CheckConstraint(condition=~Q(reason=""), name="data_cutoff_has_reason"),
        ]

    def __str__(self) -> str:
        return f"Cut-off {self.cutoff_date:%Y-%m-%d}"


class ExportKind(models.TextChoices):
    SURVIVAL = "survival", "Survival datasets"
    ODM = "odm", "Clinical data (CDISC ODM 1.3.2)"


class ExportStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class DatasetExport(AuditedModel):
    """One export: who asked for it, when, at which cut-off, its files and their checksum."""

    cutoff = models.ForeignKey(DataCutoff, on_delete=models.PROTECT, related_name="exports")
    kind = models.CharField(max_length=10, choices=ExportKind.choices)
    formats = models.JSONField(default=list, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    message = models.TextField(blank=True)
    directory = models.CharField(max_length=200, blank=True, help_text="Under MEDIA_ROOT.")
    files = models.JSONField(default=list, blank=True, help_text="name, sha256, size of each.")
    checksum = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the manifest.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="export_progress_pct"),
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(checksum=""), name="export_done_has_checksum"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.cutoff} ({self.get_status_display()})"
