"""The trial's one end-of-study date (docs/protocol.md "Randomisation": end of study)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from randomization.models import TRIAL_CALENDAR_KEY, Randomization, TrialCalendar
from randomization.rules import RandomizationRules
from trial.dates import add_months
from trial.models import User


def end_of_study_for(first_randomized_on: dt.date) -> dt.date:
    """The first randomisation + the study's duration: follow-up stops on this date."""
    years = RandomizationRules.from_settings().study_duration_years
    return add_months(first_randomized_on, 12 * years)


@transaction.atomic
def study_end_fix(*, first_randomized_at: dt.datetime, by: User | None) -> TrialCalendar:
    """Fix the end of study at first randomisation + the study duration; idempotent.

    The first call wins: later calls (another randomisation, a re-run) return the fixed date
    unchanged, so the date is the same for every user and every patient.
    """
    existing = TrialCalendar.objects.select_for_update().filter(key=TRIAL_CALENDAR_KEY).first()
    if existing is not None:
        return existing
    first_day = timezone.localdate(first_randomized_at)
    calendar = TrialCalendar(
        first_randomized_on=first_day,
        end_of_study=end_of_study_for(first_day),
    )
    calendar.full_clean(validate_unique=False)
    calendar._history_user = by  # type: ignore[attr-defined]
    calendar._change_reason = "Fixed at the first randomisation"  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            calendar.save()
    except IntegrityError:  # fixed at the same instant by a concurrent call: keep theirs
        return TrialCalendar.objects.get(key=TRIAL_CALENDAR_KEY)
    return calendar


def study_end_ensure() -> TrialCalendar | None:
    """Return the trial calendar, fixing it from the earliest randomisation if not yet done."""
    calendar = TrialCalendar.objects.filter(key=TRIAL_CALENDAR_KEY).first()
    if calendar is not None:
        return calendar
    first = (
        Randomization.objects.order_by("randomized_at")
        .values_list("randomized_at", flat=True)
        .first()
    )
    if first is None:
        return None
    return study_end_fix(first_randomized_at=first, by=None)
