import datetime as dt
import gc
import threading
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from followup.models import Visit, VisitStatus
from followup.services import refresh
from followup.services.records import death_record, withdrawal_record
from followup.services.refresh import visits_refresh
from randomization.models import TrialCalendar
from randomization.services.calendar import study_end_fix
from tests.factories import NOW
from tests.followup.conftest import end_treatment, followup_patient
from trial import bulk

pytestmark = pytest.mark.django_db


def _visits(patient) -> list[tuple[int, str]]:
    return list(
        Visit.objects.filter(patient=patient).order_by("number").values_list("number", "status")
    )


class TestVisitsRefresh:
    def test_creates_the_visit_entering_its_window(self, patient) -> None:
        result = visits_refresh(today=dt.date(2027, 4, 1))

        assert _visits(patient) == [(1, VisitStatus.DUE)]
        assert result.created == 1
        visit = Visit.objects.get(patient=patient)
        assert visit.target_date == dt.date(2027, 4, 15)
        assert visit.window_reminded_on == dt.date(2027, 4, 1)

    def test_marks_overdue_then_missed(self, patient) -> None:
        visits_refresh(today=dt.date(2027, 4, 1))

        visits_refresh(today=dt.date(2027, 4, 30))
        assert _visits(patient) == [(1, VisitStatus.OVERDUE)]
        visits_refresh(today=dt.date(2027, 5, 30))
        assert _visits(patient) == [(1, VisitStatus.MISSED)]

    def test_a_run_repeated_changes_nothing(self, patient) -> None:
        visits_refresh(today=dt.date(2027, 7, 2))
        history = Visit.history.count()

        again = visits_refresh(today=dt.date(2027, 7, 2))

        assert (again.created, again.updated, again.cancelled) == (0, 0, 0)
        assert Visit.history.count() == history

    def test_a_run_as_of_years_later_plans_every_visit_since(self, patient) -> None:
        visits_refresh(today=dt.date(2031, 6, 1))

        visits = _visits(patient)
        assert [n for n, _ in visits] == list(range(1, 13))
        assert {s for _, s in visits} == {VisitStatus.MISSED}
        targets = list(
            Visit.objects.filter(patient=patient, number__in=[8, 9])
            .order_by("number")
            .values_list("target_date", flat=True)
        )
        assert targets == [dt.date(2029, 1, 15), dt.date(2029, 7, 15)]

    def test_the_schedule_stops_at_the_end_of_study(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = followup_patient(
            site_a, coordinator, investigator, end_date=dt.date(2029, 10, 26)
        )

        visits_refresh(today=dt.date(2033, 1, 1))

        last = Visit.objects.filter(patient=patient).order_by("-number").first()
        assert last.number == 8
        assert last.window_closes == dt.date(2031, 11, 2)
        assert last.status == VisitStatus.MISSED

    def test_death_between_two_visits_cancels_the_later_ones(self, patient, coordinator) -> None:
        visits_refresh(today=dt.date(2027, 6, 20))  # visit 1 missed... visit 2 planned

        death_record(
            patient=patient,
            by=coordinator,
            today=dt.date(2027, 7, 5),
            death_date=dt.date(2027, 7, 3),
            cause="infection",
        )
        visits_refresh(today=dt.date(2028, 6, 1))

        assert _visits(patient) == [(1, VisitStatus.MISSED), (2, VisitStatus.CANCELLED)]
        cancelled = Visit.objects.get(patient=patient, number=2)
        assert cancelled.status_reason == "Death on 2027-07-03"
        assert cancelled.history.first().history_change_reason.startswith("Cancelled: Death")

    def test_withdrawal_stops_the_schedule(self, patient, coordinator) -> None:
        visits_refresh(today=dt.date(2027, 4, 1))

        withdrawal_record(
            patient=patient,
            by=coordinator,
            today=dt.date(2027, 4, 10),
            withdrawal_date=dt.date(2027, 4, 10),
            vital_status_may_be_collected=True,
            data_may_be_collected=False,
        )
        visits_refresh(today=dt.date(2029, 1, 1))

        assert _visits(patient) == [(1, VisitStatus.CANCELLED)]

    def test_patient_without_end_of_treatment_is_followed_from_a_provisional_anchor(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = followup_patient(site_a, coordinator, investigator, end_date=None)

        visits_refresh(today=dt.date(2027, 8, 1))

        visit = Visit.objects.get(patient=patient)
        assert (visit.anchor_date, visit.anchor_provisional) == (dt.date(2027, 5, 2), True)
        assert visit.status == VisitStatus.DUE

    def test_end_of_treatment_recorded_late_re_anchors_open_visits(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = followup_patient(site_a, coordinator, investigator, end_date=None)
        visits_refresh(today=dt.date(2027, 8, 1))

        end_treatment(patient, investigator, dt.date(2027, 3, 10))
        visits_refresh(today=dt.date(2027, 8, 1))

        visit = Visit.objects.get(patient=patient, number=1)
        assert (visit.anchor_date, visit.anchor_provisional) == (dt.date(2027, 3, 10), False)
        assert visit.target_date == dt.date(2027, 6, 10)
        assert visit.status == VisitStatus.MISSED
        assert visit.history.count() == 2

    def test_patient_never_treated_is_followed_from_the_recorded_end(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = followup_patient(site_a, coordinator, investigator, end_date=None)
        end_treatment(patient, investigator, dt.date(2026, 11, 10), reason="never_started")

        visits_refresh(today=dt.date(2027, 2, 1))

        assert Visit.objects.get(patient=patient).target_date == dt.date(2027, 2, 10)

    def test_the_command_runs_the_same_refresh_at_any_date(self, patient) -> None:
        call_command("followup_refresh", "--as-of", "2027-04-01")

        assert _visits(patient) == [(1, VisitStatus.DUE)]

    def test_a_batch_runs_with_the_cycle_collector_paused(
        self, patient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        collecting: list[bool] = []

        def records_read(queryset: Any) -> list[Any]:
            collecting.append(gc.isenabled())
            return bulk.records_read(queryset)

        monkeypatch.setattr(refresh, "records_read", records_read)

        visits_refresh(today=dt.date(2027, 4, 1))

        assert collecting == [False]  # one batch, its visits read with the collector paused
        assert gc.isenabled()


class TestStudyEnd:
    def test_is_derived_from_the_earliest_randomisation(self, patient) -> None:
        visits_refresh(today=dt.date(2027, 4, 1))

        calendar = TrialCalendar.objects.get()
        assert (calendar.first_randomized_on, calendar.end_of_study) == (
            dt.date(2026, 11, 2),
            dt.date(2031, 11, 2),
        )

    def test_fix_is_idempotent_and_the_first_date_wins(self, coordinator) -> None:
        first = study_end_fix(first_randomized_at=NOW, by=coordinator)

        again = study_end_fix(first_randomized_at=NOW + dt.timedelta(days=40), by=coordinator)

        assert again.pk == first.pk
        assert again.end_of_study == dt.date(2031, 11, 2)
        assert TrialCalendar.objects.count() == 1
        assert first.history.count() == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
class TestConcurrentRefresh:
    def test_two_simultaneous_runs_create_each_visit_once(
        self, site_a, coordinator, investigator
    ) -> None:
        patients = [followup_patient(site_a, coordinator, investigator) for _ in range(3)]
        errors: list[BaseException] = []

        def run() -> None:
            try:
                visits_refresh(today=dt.date(2028, 1, 20), batch_size=2)
            except BaseException as error:
                errors.append(error)
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        assert Visit.objects.count() == 3 * 4
        assert all(len(_visits(p)) == 4 for p in patients)
