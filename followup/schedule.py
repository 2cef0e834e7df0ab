"""The follow-up schedule as pure date arithmetic (docs/protocol.md "Post-treatment follow-up").

Every target date is computed from the anchor with `add_months` (never from the previous
visit), so a visit due on 31 May after one on 28 February does not drift. Dates are half-open:
a window is [opens, closes); the study runs up to, not including, the end-of-study date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from followup.models import VisitStatus
from trial.dates import add_months


@dataclass(frozen=True)
class FollowupRules:
    early_interval_months: int
    switch_month: int
    late_interval_months: int
    window_days: int
    overdue_grace_days: int
    missed_after_days: int
    create_days_before_window: int
    provisional_anchor_months: int
    missed_visits_for_loss: int
    contact_attempts_for_loss: int
    refresh_batch_size: int

    @classmethod
    def from_settings(cls, **overrides: Any) -> FollowupRules:
        cfg = settings.TRIAL_FOLLOWUP
        values = {name: int(cfg[name.upper()]) for name in cls.__dataclass_fields__}
        values.update(overrides)
        return cls(**values)

    def month_of(self, number: int) -> int:
        """Months after the anchor of visit `number` (1-based): 3, 6, … 24, then 30, 36, …"""
        early_visits = self.switch_month // self.early_interval_months
        if number <= early_visits:
            return number * self.early_interval_months
        last_early = early_visits * self.early_interval_months
        return last_early + (number - early_visits) * self.late_interval_months


@dataclass(frozen=True)
class PlannedVisit:
    number: int
    month: int
    target_date: dt.date
    window_opens: dt.date
    window_closes: dt.date
    overdue_from: dt.date
    missed_from: dt.date


def plan_visit(
    *, anchor: dt.date, number: int, end_of_study: dt.date, rules: FollowupRules
) -> PlannedVisit | None:
    """The dates of one visit, or None when its target falls on or after the end of study.

    The end of study cuts a window short: nothing is expected on or after that date, so the
    window closes there and the visit is overdue, then missed, at the end of study at the latest.
    """
    month = rules.month_of(number)
    target = add_months(anchor, month)
    if target >= end_of_study:
        return None
    window = dt.timedelta(days=rules.window_days)
    closes = min(target + window + dt.timedelta(days=1), end_of_study)
    overdue = min(closes + dt.timedelta(days=rules.overdue_grace_days), end_of_study)
    missed = max(overdue, min(target + dt.timedelta(days=rules.missed_after_days), end_of_study))
    return PlannedVisit(
        number=number,
        month=month,
        target_date=target,
        window_opens=target - window,
        window_closes=closes,
        overdue_from=overdue,
        missed_from=missed,
    )


def visits_due_by(
    *, anchor: dt.date, today: dt.date, end_of_study: dt.date, rules: FollowupRules
) -> Iterator[PlannedVisit]:
    """Every visit that should exist on `today`: its creation date has come, before end of study."""
    horizon = today + dt.timedelta(days=rules.create_days_before_window)
    number = 1
    while True:
        visit = plan_visit(anchor=anchor, number=number, end_of_study=end_of_study, rules=rules)
        if visit is None or visit.window_opens > horizon:
            return
        yield visit
        number += 1


def status_on(visit: PlannedVisit, today: dt.date) -> str:
    """The status the dates give an open visit on `today`."""
    if today >= visit.missed_from:
        return VisitStatus.MISSED
    if today >= visit.overdue_from:
        return VisitStatus.OVERDUE
    if today >= visit.window_opens:
        return VisitStatus.DUE
    return VisitStatus.PLANNED
