import datetime as dt

from followup.models import VisitStatus
from followup.schedule import FollowupRules, plan_visit, status_on, visits_due_by

RULES = FollowupRules.from_settings()
END_OF_STUDY = dt.date(2031, 11, 2)


def _targets(anchor: dt.date, numbers: range) -> list[dt.date]:
    return [
        plan_visit(anchor=anchor, number=n, end_of_study=END_OF_STUDY, rules=RULES).target_date
        for n in numbers
    ]


class TestFollowupRules:
    def test_every_three_months_to_month_24_then_every_six(self) -> None:
        months = [RULES.month_of(n) for n in range(1, 12)]

        assert months == [3, 6, 9, 12, 15, 18, 21, 24, 30, 36, 42]

    def test_rules_follow_configuration(self, settings) -> None:
        settings.TRIAL_FOLLOWUP = {**settings.TRIAL_FOLLOWUP, "SWITCH_MONTH": 12}

        rules = FollowupRules.from_settings()

        assert [rules.month_of(n) for n in range(3, 7)] == [9, 12, 18, 24]


class TestPlanVisit:
    def test_targets_count_from_the_anchor_without_drift(self) -> None:
        targets = _targets(dt.date(2026, 8, 31), range(1, 4))

        assert targets == [dt.date(2026, 11, 30), dt.date(2027, 2, 28), dt.date(2027, 5, 31)]

    def test_window_is_half_open_around_the_target(self) -> None:
        visit = plan_visit(
            anchor=dt.date(2027, 1, 15), number=1, end_of_study=END_OF_STUDY, rules=RULES
        )

        assert (visit.window_opens, visit.target_date, visit.window_closes) == (
            dt.date(2027, 4, 1),
            dt.date(2027, 4, 15),
            dt.date(2027, 4, 30),
        )
        assert status_on(visit, dt.date(2027, 3, 31)) == VisitStatus.PLANNED
        assert status_on(visit, dt.date(2027, 4, 1)) == VisitStatus.DUE
        assert status_on(visit, dt.date(2027, 4, 29)) == VisitStatus.DUE
        assert status_on(visit, dt.date(2027, 4, 30)) == VisitStatus.OVERDUE
        assert status_on(visit, dt.date(2027, 5, 30)) == VisitStatus.MISSED

    def test_month_24_to_30_switch(self) -> None:
        targets = _targets(dt.date(2027, 1, 15), range(7, 11))

        assert targets == [
            dt.date(2028, 10, 15),
            dt.date(2029, 1, 15),
            dt.date(2029, 7, 15),
            dt.date(2030, 1, 15),
        ]

    def test_end_of_study_cuts_a_window_in_half(self) -> None:
        visit = plan_visit(
            anchor=dt.date(2029, 10, 26), number=8, end_of_study=END_OF_STUDY, rules=RULES
        )

        assert visit.target_date == dt.date(2031, 10, 26)
        assert visit.window_opens == dt.date(2031, 10, 12)
        assert visit.window_closes == END_OF_STUDY
        assert visit.missed_from == END_OF_STUDY

    def test_no_visit_on_or_after_the_end_of_study(self) -> None:
        visit = plan_visit(
            anchor=dt.date(2029, 11, 2), number=8, end_of_study=END_OF_STUDY, rules=RULES
        )

        assert visit is None

    def test_visits_come_due_two_weeks_before_their_window(self) -> None:
        due = list(
            visits_due_by(
                anchor=dt.date(2027, 1, 15),
                today=dt.date(2027, 6, 17),
                end_of_study=END_OF_STUDY,
                rules=RULES,
            )
        )

        assert [v.number for v in due] == [1, 2]
