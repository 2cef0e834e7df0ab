"""Where each patient stands in the trial, derived from the records, for a whole list at once.

The stored `Patient.status` only covers screening (screening, screen failure, enrolled); the
rest follows from the records: a randomisation, treatment cycles, an end of treatment, and the
events that take a patient off study (death, withdrawal, loss to follow-up, end of study).
Everything is computed in the database with `Exists` annotations, never row by row.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

from randomization.models import TRIAL_CALENDAR_KEY, Arm, Randomization, TrialCalendar
from treatment.models import Cycle, EndOfTreatment
from trial.models import Death, LossToFollowUp, Patient, PatientStatus, Withdrawal


class TrialStatus(models.TextChoices):
    SCREENING = "screening", gettext_lazy("Screening")
    SCREEN_FAILED = "screen_failed", gettext_lazy("Screen failure")
    ELIGIBLE = "eligible", gettext_lazy("Eligible, not yet enrolled")
    ENROLLED = "enrolled", gettext_lazy("Enrolled, awaiting randomisation")
    RANDOMIZED = "randomized", pgettext_lazy("trial status", "Randomised")
    ON_TREATMENT = "on_treatment", gettext_lazy("On treatment")
    FOLLOW_UP = "follow_up", gettext_lazy("In follow-up")
    OFF_STUDY = "off_study", gettext_lazy("Off study")


class OffStudyReason(models.TextChoices):
    DEATH = "death", gettext_lazy("death")
    WITHDRAWAL = "withdrawal", gettext_lazy("withdrawal")
    LOST = "lost", gettext_lazy("lost to follow-up")
    END_OF_STUDY = "end_of_study", gettext_lazy("end of study")


def _live(model: type[models.Model]) -> Exists:
    return Exists(model.objects.filter(patient=OuterRef("pk"), entered_in_error=False))  # type: ignore[attr-defined]


def with_trial_status(patients: QuerySet[Patient], *, today: dt.date) -> QuerySet[Patient]:
    """Annotate `trial_status`, `off_study_reason` and the randomised `arm` on every patient."""
    end = (
        TrialCalendar.objects.filter(key=TRIAL_CALENDAR_KEY)
        .values_list("end_of_study", flat=True)
        .first()
    )
    study_over = end is not None and today >= end
    randomization = Randomization.objects.filter(patient=OuterRef("pk"), entered_in_error=False)
    annotated = patients.annotate(
        is_randomized=Exists(randomization),
        arm=models.Subquery(randomization.values("arm")[:1]),
        has_cycle=_live(Cycle),
        has_end_of_treatment=_live(EndOfTreatment),
        has_death=_live(Death),
        has_withdrawal=_live(Withdrawal),
        is_lost=_live(LossToFollowUp),
    )
    reasons = [
        When(has_death=True, then=Value(OffStudyReason.DEATH)),
        When(has_withdrawal=True, then=Value(OffStudyReason.WITHDRAWAL)),
        When(is_lost=True, then=Value(OffStudyReason.LOST)),
    ]
    if study_over:
        reasons.append(When(is_randomized=True, then=Value(OffStudyReason.END_OF_STUDY)))
    off_reason = Case(*reasons, default=Value(""), output_field=models.CharField())
    annotated = annotated.annotate(off_study_reason=off_reason)
    return annotated.annotate(
        trial_status=Case(
            When(status=PatientStatus.SCREEN_FAILED, then=Value(TrialStatus.SCREEN_FAILED)),
            When(
                Q(status=PatientStatus.SCREENING, eligibility_confirmed_by__isnull=False),
                then=Value(TrialStatus.ELIGIBLE),
            ),
            When(status=PatientStatus.SCREENING, then=Value(TrialStatus.SCREENING)),
            When(~Q(off_study_reason=""), then=Value(TrialStatus.OFF_STUDY)),
            When(is_randomized=False, then=Value(TrialStatus.ENROLLED)),
            When(has_end_of_treatment=True, then=Value(TrialStatus.FOLLOW_UP)),
            When(has_cycle=True, then=Value(TrialStatus.ON_TREATMENT)),
            default=Value(TrialStatus.RANDOMIZED),
            output_field=models.CharField(),
        )
    )


def status_label(patient: Patient) -> str:
    """The words shown for an annotated patient, e.g. "Off study (death)"."""
    status = TrialStatus(patient.trial_status)  # type: ignore[attr-defined]
    reason = patient.off_study_reason  # type: ignore[attr-defined]
    if status == TrialStatus.OFF_STUDY and reason:
        return gettext("%(status)s (%(reason)s)") % {
            "status": status.label,
            "reason": OffStudyReason(reason).label,
        }
    return str(status.label)


def arm_label(code: str | None) -> str:
    return str(Arm(code).label) if code else ""


def patient_trial_status(patient: Patient, *, today: dt.date) -> Patient:
    """One patient, annotated the same way as the list."""
    return with_trial_status(Patient.objects.filter(pk=patient.pk), today=today).get()
