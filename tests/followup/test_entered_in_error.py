"""A death, a withdrawal, a loss to follow-up or an end of treatment marked entered in error from
its page: the record stays, marked, with the user and reason in its history; the follow-up
schedule is refreshed in the same transaction; the derivations no longer count it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import time_machine
from django.db import models
from django.test import Client
from django.urls import reverse

from analysis.gather import consort_facts_gather, trial_facts_gather
from followup.models import Visit, VisitStatus
from followup.services.records import death_record, loss_to_followup_declare, withdrawal_record
from followup.services.refresh import patient_schedule_refresh, visits_refresh
from tests.followup.conftest import followup_patient
from treatment.models import EndOfTreatment
from trial.audit import record_save
from trial.models import LossToFollowUp, Patient, User
from trial.services.records import record_mark_entered_in_error

pytestmark = pytest.mark.django_db

# The pages read the real clock: after every date the builders use.
TODAY = dt.date(2027, 9, 2)
STOP = dt.date(2027, 6, 1)
REASON = "Entered on the wrong patient"


@pytest.fixture(autouse=True)
def after_the_builders() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2027, 9, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


def in_followup(site_a, coordinator, investigator) -> Patient:
    """Treatment ended 2027-01-15; the visits due by today are planned."""
    patient = followup_patient(site_a, coordinator, investigator, remission=True)
    visits_refresh(today=TODAY)
    return patient


def _death(patient: Patient, coordinator: User) -> models.Model:
    return death_record(
        patient=patient, by=coordinator, today=TODAY, death_date=STOP, cause="leukaemia"
    )


def _withdrawal(patient: Patient, coordinator: User) -> models.Model:
    return withdrawal_record(
        patient=patient,
        by=coordinator,
        today=TODAY,
        withdrawal_date=STOP,
        vital_status_may_be_collected=False,
        data_may_be_collected=False,
    )


def _loss(patient: Patient, coordinator: User) -> models.Model:
    # Declared straight from the record: the evidence its declaration asks for is tested in
    # test_services; here only the stop it puts on the schedule matters.
    loss = LossToFollowUp(patient=patient, declared_on=STOP, missed_visits=2, contact_attempts=3)
    record_save(instance=loss, by=coordinator)
    patient_schedule_refresh(patient=patient, today=TODAY)
    return loss


@dataclass(frozen=True)
class Kind:
    record: Callable[[Patient, User], models.Model]
    page: str  # where the link shows
    enters: str  # the fixture of a role that may mark it
    refused: str  # the fixture of a role that may not


STOPS = {
    "death": Kind(_death, "followup:patient", "coordinator", "data_manager"),
    "withdrawal": Kind(_withdrawal, "followup:patient", "coordinator", "monitor"),
    "loss_to_followup": Kind(_loss, "followup:patient", "investigator", "data_manager"),
}


def eot_kind() -> Kind:
    return Kind(
        lambda p, _: EndOfTreatment.objects.get(patient=p),
        "treatment:timeline",
        "investigator",
        "coordinator",
    )


KINDS = {**STOPS, "end_of_treatment": eot_kind()}


def url_of(patient: Patient, record: models.Model) -> str:
    kind = record._meta.model_name
    return f"/patients/{patient.pk}/records/{kind}/{record.pk}/entered-in-error/"


def cancelled_after(patient: Patient, day: dt.date) -> list[int]:
    visits = Visit.objects.filter(patient=patient, window_closes__gt=day)
    return list(visits.filter(status=VisitStatus.CANCELLED).values_list("number", flat=True))


class TestMarkedFromItsPage:
    @pytest.mark.parametrize("kind", KINDS)
    def test_the_record_is_kept_marked_with_the_user_and_reason_in_its_history(
        self, kind: str, request, site_a, coordinator, investigator
    ) -> None:
        patient = in_followup(site_a, coordinator, investigator)
        record = KINDS[kind].record(patient, coordinator)
        user = request.getfixturevalue(KINDS[kind].enters)
        client = Client()
        client.force_login(user)
        page = client.get(reverse(KINDS[kind].page, kwargs={"patient_id": patient.pk}))
        assert url_of(patient, record) in page.content.decode()

        response = client.post(url_of(patient, record), {"reason": REASON})

        assert response.status_code == 302
        record.refresh_from_db()
        last = record.history.latest()
        assert (record.entered_in_error, record.entered_in_error_reason) == (True, REASON)
        assert (last.history_user, last.history_change_reason) == (
            user,
            f"Entered in error: {REASON}",
        )

    @pytest.mark.parametrize("kind", STOPS)
    def test_the_visits_the_stop_cancelled_are_planned_again(
        self, kind: str, request, site_a, coordinator, investigator
    ) -> None:
        patient = in_followup(site_a, coordinator, investigator)
        record = STOPS[kind].record(patient, coordinator)
        assert cancelled_after(patient, STOP)
        client = Client()
        client.force_login(request.getfixturevalue(STOPS[kind].enters))

        client.post(url_of(patient, record), {"reason": REASON})

        assert cancelled_after(patient, STOP) == []
        reopened = Visit.objects.filter(patient=patient, window_closes__gt=STOP)
        assert {v.history.latest().history_change_reason for v in reopened} == {
            "Reopened: the stop that cancelled it no longer applies"
        }

    def test_without_the_end_of_treatment_the_schedule_is_anchored_provisionally(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = in_followup(site_a, coordinator, investigator)
        eot = EndOfTreatment.objects.get(patient=patient)
        open_visits = Visit.objects.filter(patient=patient).exclude(status=VisitStatus.CANCELLED)
        assert not any(v.anchor_provisional for v in open_visits)
        client = Client()
        client.force_login(investigator)

        client.post(url_of(patient, eot), {"reason": REASON})

        open_visits = Visit.objects.filter(patient=patient).exclude(status=VisitStatus.CANCELLED)
        assert open_visits and all(v.anchor_provisional for v in open_visits)
        assert {v.anchor_date for v in open_visits} != {eot.end_date}


class TestNoLongerDerived:
    def test_a_death_entered_in_error_is_no_death(self, site_a, coordinator, investigator) -> None:
        patient = in_followup(site_a, coordinator, investigator)
        death = _death(patient, coordinator)
        assert _facts(patient).death_date == STOP
        client = Client()
        client.force_login(coordinator)

        client.post(url_of(patient, death), {"reason": REASON})

        assert _facts(patient).death_date is None

    def test_an_end_of_treatment_entered_in_error_is_no_end(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = in_followup(site_a, coordinator, investigator)
        client = Client()
        client.force_login(investigator)

        client.post(url_of(patient, EndOfTreatment.objects.get(patient=patient)), {"reason": "x"})

        assert _facts(patient).end_of_treatment_date is None

    @pytest.mark.parametrize(
        ("kind", "flag"), [("withdrawal", "withdrawn"), ("loss_to_followup", "lost_to_follow_up")]
    )
    def test_a_withdrawal_or_loss_entered_in_error_no_longer_counts(
        self, kind: str, flag: str, site_a, coordinator, investigator
    ) -> None:
        patient = in_followup(site_a, coordinator, investigator)
        record = STOPS[kind].record(patient, coordinator)
        assert getattr(_consort(patient), flag) is True
        client = Client()
        client.force_login(investigator)

        client.post(url_of(patient, record), {"reason": REASON})

        assert getattr(_consort(patient), flag) is False


def _facts(patient: Patient):
    [facts] = [p for p in trial_facts_gather(cutoff=TODAY).patients if p.patient_id == patient.pk]
    return facts


def _consort(patient: Patient):
    [facts] = [f for f in consort_facts_gather(cutoff=TODAY) if f.patient_id == patient.pk]
    return facts


class TestRefused:
    @pytest.mark.parametrize("kind", KINDS)
    def test_a_role_that_does_not_enter_it_may_not_mark_it(
        self, kind: str, request, site_a, coordinator, investigator
    ) -> None:
        patient = in_followup(site_a, coordinator, investigator)
        record = KINDS[kind].record(patient, coordinator)
        client = Client()
        client.force_login(request.getfixturevalue(KINDS[kind].refused))
        page = client.get(reverse(KINDS[kind].page, kwargs={"patient_id": patient.pk}))

        refused = client.post(url_of(patient, record), {"reason": REASON})

        record.refresh_from_db()
        assert url_of(patient, record) not in page.content.decode()
        assert (refused.status_code, record.entered_in_error) == (403, False)

    @pytest.mark.parametrize("kind", KINDS)
    def test_a_reason_is_required(
        self, kind: str, request, site_a, coordinator, investigator
    ) -> None:
        patient = in_followup(site_a, coordinator, investigator)
        record = KINDS[kind].record(patient, coordinator)
        cancelled = cancelled_after(patient, STOP)
        client = Client()
        client.force_login(request.getfixturevalue(KINDS[kind].enters))

        response = client.post(url_of(patient, record), {"reason": " "})

        record.refresh_from_db()
        assert (response.status_code, record.entered_in_error) == (200, False)
        assert "This field is required." in response.content.decode()
        assert cancelled_after(patient, STOP) == cancelled


class TestRecordedAgain:
    """One row per patient: recording a death, withdrawal or loss again after the earlier one
    was entered in error makes it count again, with the mark kept in its history."""

    def test_a_death_recorded_again_counts(self, site_a, coordinator, investigator) -> None:
        patient = in_followup(site_a, coordinator, investigator)
        death = _death(patient, coordinator)
        record_mark_entered_in_error(record=death, by=coordinator, reason=REASON, today=TODAY)
        later = STOP + dt.timedelta(days=10)

        again = death_record(
            patient=patient,
            by=coordinator,
            today=TODAY,
            death_date=later,
            cause="leukaemia",
            reason="The death of this patient",
        )

        assert (again.pk, again.entered_in_error) == (death.pk, False)
        assert _facts(patient).death_date == later
        assert [h.entered_in_error for h in again.history.order_by("history_date")] == [
            False,
            True,
            False,
        ]

    def test_a_withdrawal_recorded_again_counts(self, site_a, coordinator, investigator) -> None:
        patient = in_followup(site_a, coordinator, investigator)
        withdrawal = _withdrawal(patient, coordinator)
        record_mark_entered_in_error(record=withdrawal, by=coordinator, reason=REASON, today=TODAY)

        withdrawal_record(
            patient=patient,
            by=coordinator,
            today=TODAY,
            withdrawal_date=STOP,
            vital_status_may_be_collected=False,
            data_may_be_collected=False,
            reason="This patient's withdrawal",
        )

        assert _consort(patient).withdrawn is True

    def test_a_loss_declared_again_counts(
        self, site_a, coordinator, investigator, settings
    ) -> None:
        settings.TRIAL_FOLLOWUP = {
            **settings.TRIAL_FOLLOWUP,
            "MISSED_VISITS_FOR_LOSS": 0,
            "CONTACT_ATTEMPTS_FOR_LOSS": 0,
        }
        patient = in_followup(site_a, coordinator, investigator)
        loss = _loss(patient, coordinator)
        record_mark_entered_in_error(record=loss, by=coordinator, reason=REASON, today=TODAY)

        again = loss_to_followup_declare(patient=patient, by=coordinator, today=TODAY)

        assert (again.pk, again.entered_in_error) == (loss.pk, False)
        assert _consort(patient).lost_to_follow_up is True
