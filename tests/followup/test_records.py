import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from followup.models import ContactAttempt, Visit, VisitStatus
from followup.selectors import last_known_alive, last_known_alive_bulk
from followup.services.records import (
    contact_attempt_record,
    death_record,
    loss_to_followup_declare,
    visit_not_done_record,
    visit_record,
)
from followup.services.refresh import visits_refresh
from tests.followup.conftest import followup_patient
from treatment.services import RelapseFinding
from trial.audit import record_save
from trial.exceptions import PermissionDenied, StateConflict
from trial.models import Death

pytestmark = pytest.mark.django_db


def _first_visit(patient) -> Visit:
    visits_refresh(today=dt.date(2027, 4, 10))
    return Visit.objects.get(patient=patient, number=1)


def _record(visit, by, **overrides):
    data = {
        "contact_date": dt.date(2027, 4, 12),
        "vital_status": "alive",
        "disease_status": "remission",
    }
    data.update(overrides)
    return visit_record(visit=visit, by=by, today=dt.date(2027, 4, 20), **data)


class TestVisitRecord:
    def test_records_the_visit_as_done(self, patient, coordinator) -> None:
        visit = _record(_first_visit(patient), coordinator)

        assert visit.status == VisitStatus.DONE
        assert visit.history.first().history_user == coordinator

    def test_relapse_needs_its_date_and_keeps_the_schedule_going(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = followup_patient(site_a, coordinator, investigator, remission=True)
        visit = _first_visit(patient)
        with pytest.raises(ValidationError) as error:
            _record(visit, coordinator, disease_status="relapse")
        assert "relapse_date" in error.value.message_dict

        _record(
            visit,
            coordinator,
            disease_status="relapse",
            relapse_date=dt.date(2027, 4, 1),
            relapse_finding=RelapseFinding(peripheral_blood=True),
        )
        visits_refresh(today=dt.date(2027, 7, 1))

        assert Visit.objects.filter(patient=patient).count() == 2

    def test_every_problem_of_a_visit_comes_in_one_answer(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = followup_patient(site_a, coordinator, investigator, remission=True)

        with pytest.raises(ValidationError) as error:
            _record(
                _first_visit(patient),
                coordinator,
                contact_date=dt.date(2027, 4, 25),
                vital_status="dead",
                disease_status="relapse",
                transplant=True,
            )

        assert set(error.value.message_dict) == {
            "contact_date",
            "relapse_date",
            "transplant_date",
            "vital_status",
        }

    def test_a_correction_needs_a_reason(self, patient, coordinator) -> None:
        visit = _record(_first_visit(patient), coordinator)

        with pytest.raises(ValidationError):
            _record(visit, coordinator, contact_date=dt.date(2027, 4, 13))
        _record(visit, coordinator, contact_date=dt.date(2027, 4, 13), reason="Typo in date")

    def test_other_sites_may_not_record(self, patient, coordinator_b) -> None:
        with pytest.raises(PermissionDenied):
            _record(_first_visit(patient), coordinator_b)

    def test_a_cancelled_visit_cannot_be_recorded(self, patient, coordinator) -> None:
        visit = _first_visit(patient)
        death_record(
            patient=patient,
            by=coordinator,
            today=dt.date(2027, 4, 20),
            death_date=dt.date(2027, 4, 11),
            cause="leukaemia",
        )

        with pytest.raises(StateConflict):
            _record(visit, coordinator)

    def test_not_done_needs_a_reason(self, patient, coordinator) -> None:
        visit = _first_visit(patient)

        with pytest.raises(ValidationError):
            visit_not_done_record(visit=visit, by=coordinator, not_done_reason=" ")
        visit = visit_not_done_record(visit=visit, by=coordinator, not_done_reason="In hospital")

        assert visit.status == VisitStatus.NOT_DONE


class TestLossToFollowUpDeclare:
    def _attempts(self, patient, by, count: int) -> None:
        for day in range(count):
            contact_attempt_record(
                patient=patient,
                by=by,
                today=dt.date(2027, 9, 1),
                attempted_on=dt.date(2027, 8, 1 + day),
                method="phone",
                outcome="no_answer",
            )

    def test_needs_missed_visits_and_contact_attempts(self, patient, coordinator) -> None:
        visits_refresh(today=dt.date(2027, 9, 1))
        self._attempts(patient, coordinator, 2)

        with pytest.raises(ValidationError):
            loss_to_followup_declare(patient=patient, by=coordinator, today=dt.date(2027, 9, 1))

        self._attempts(patient, coordinator, 1)
        loss = loss_to_followup_declare(patient=patient, by=coordinator, today=dt.date(2027, 9, 1))

        assert (loss.missed_visits, loss.contact_attempts) == (2, 3)
        assert ContactAttempt.objects.count() == 3

    def test_stops_the_schedule(self, patient, coordinator) -> None:
        visits_refresh(today=dt.date(2027, 9, 1))
        self._attempts(patient, coordinator, 3)
        loss_to_followup_declare(patient=patient, by=coordinator, today=dt.date(2027, 9, 1))

        visits_refresh(today=dt.date(2028, 9, 1))

        assert Visit.objects.filter(patient=patient).count() == 2


class TestLastKnownAlive:
    def test_is_the_latest_dated_record_showing_the_patient_alive(
        self, patient, coordinator
    ) -> None:
        _record(_first_visit(patient), coordinator)

        assert last_known_alive(patient) == dt.date(2027, 4, 12)

    def test_is_never_after_death(self, patient, coordinator) -> None:
        death = Death(patient=patient, death_date=dt.date(2027, 1, 10), cause="toxicity")
        record_save(instance=death, by=coordinator)

        assert last_known_alive(patient) == dt.date(2027, 1, 10)

    def test_death_before_a_date_known_alive_is_refused(self, patient, coordinator) -> None:
        _record(_first_visit(patient), coordinator)

        with pytest.raises(ValidationError):
            death_record(
                patient=patient,
                by=coordinator,
                today=dt.date(2027, 4, 20),
                death_date=dt.date(2027, 4, 1),
                cause="other",
            )

    def test_bulk_variant_uses_two_queries(
        self, site_a, coordinator, investigator, django_assert_max_num_queries
    ) -> None:
        patients = [followup_patient(site_a, coordinator, investigator) for _ in range(3)]

        # One for every source of ALIVE_DATE_SOURCES, one for deaths.
        with django_assert_max_num_queries(2):
            dates = last_known_alive_bulk([p.pk for p in patients])

        assert set(dates.values()) == {dt.date(2027, 1, 15)}
