"""Adverse events: terms, grades, SAE notification and its 24-hour deadline, fatal events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from tests.factories import randomized_patient
from tests.treatment.test_builders import NOW, STARTS, record_cycle
from treatment.models import SAE_ALERT, AdverseEvent, CtcaeTerm
from treatment.selectors import sae_alerts_undelivered, sae_overdue
from treatment.services import adverse_event_record, sae_report_record
from trial.exceptions import StateConflict
from trial.models import Death, MessageStatus, OutboundMessage
from trial.outbox import delivery as delivery_module
from trial.outbox.delivery import message_deliver


@pytest.fixture
def patient(site_a, coordinator, investigator):
    patient = randomized_patient(site_a, coordinator, investigator)
    record_cycle(patient, investigator, STARTS[0])
    return patient


def _refuse(*args: object, **kwargs: object) -> None:
    raise ConnectionRefusedError(111, "Connection refused")


def _event(patient, by, *, now=NOW, **kw):
    values = {
        "term": CtcaeTerm.objects.get(term="Febrile neutropenia"),
        "term_text": "",
        "grade": 3,
        "start_date": dt.date(2026, 11, 12),
        "end_date": None,
        "relation_dexamethasone": "unlikely",
        "relation_salvage": "probable",
        "serious": False,
    }
    values.update(kw)
    return adverse_event_record(patient=patient, by=by, now=now, **values)


class TestAdverseEventRecord:
    def test_the_term_comes_from_the_seeded_ctcae_list(self, patient, investigator) -> None:
        event = _event(patient, investigator)

        assert event.term.soc == "Blood and lymphatic system disorders"
        assert CtcaeTerm.objects.count() >= 30

    def test_free_text_is_allowed_when_no_term_fits(self, patient, investigator) -> None:
        event = _event(patient, investigator, term=None, term_text="Steroid-induced myopathy")

        assert event.term_label == "Steroid-induced myopathy"

    def test_an_event_without_a_term_is_refused(self, patient, investigator) -> None:
        with pytest.raises(ValidationError, match="Choose a CTCAE v5 term"):
            _event(patient, investigator, term=None, term_text=" ")

    def test_a_grade_above_5_is_refused(self, patient, investigator) -> None:
        with pytest.raises(ValidationError, match="less than or equal to 5"):
            _event(patient, investigator, grade=6)

    def test_an_event_cannot_end_before_it_starts(self, patient, investigator) -> None:
        with pytest.raises(ValidationError, match="cannot end before it starts"):
            _event(patient, investigator, end_date=dt.date(2026, 11, 10))

    def test_a_non_serious_event_notifies_nobody(self, patient, investigator) -> None:
        _event(patient, investigator)

        assert mail.outbox == []


class TestSeriousAdverseEvent:
    def test_the_sponsor_is_emailed_at_once_and_the_deadline_is_24_hours(
        self, patient, investigator, settings, django_capture_on_commit_callbacks
    ) -> None:
        aware = NOW - dt.timedelta(hours=2)

        with django_capture_on_commit_callbacks(execute=True):
            event = _event(patient, investigator, serious=True, awareness_at=aware)

        assert event.report_due_at == aware + dt.timedelta(hours=24)
        alert = OutboundMessage.objects.get(kind=SAE_ALERT)
        event.refresh_from_db()
        assert alert.related == event and alert.status == MessageStatus.SENT
        assert event.sponsor_notified_at == alert.sent_at
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == [settings.TRIAL_TREATMENT["SPONSOR_SAFETY_EMAIL"]]
        assert "Febrile neutropenia" in message.subject and str(patient) in message.subject
        assert "due by" in message.body

    def test_an_event_that_becomes_serious_notifies_once(
        self, patient, investigator, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            event = _event(patient, investigator)
            _event(patient, investigator, event=event, serious=True, reason="Hospitalised")
            _event(patient, investigator, event=event, serious=True, grade=4, reason="Worse")

        assert len(mail.outbox) == 1

    def test_an_event_serious_again_after_a_correction_alerts_again(
        self, patient, investigator, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            event = _event(patient, investigator, serious=True)
            _event(patient, investigator, event=event, serious=False, reason="Not serious")
            _event(patient, investigator, event=event, serious=True, reason="Serious after all")

        keys = sorted(OutboundMessage.objects.values_list("dedup_key", flat=True))
        assert keys == [f"{SAE_ALERT}:{event.pk}:1", f"{SAE_ALERT}:{event.pk}:2"]
        assert len(mail.outbox) == 2

    def test_an_unreported_sae_past_its_deadline_is_overdue_for_the_data_manager(
        self, patient, investigator, data_manager
    ) -> None:
        event = _event(patient, investigator, serious=True, now=NOW)

        assert list(sae_overdue(user=data_manager, now=NOW + dt.timedelta(hours=23))) == []
        assert list(sae_overdue(user=data_manager, now=NOW + dt.timedelta(hours=25))) == [event]

    def test_a_report_in_time_clears_it(self, patient, investigator, data_manager) -> None:
        event = _event(patient, investigator, serious=True)

        sae_report_record(
            event=event,
            reported_at=NOW + dt.timedelta(hours=5),
            by=investigator,
            now=NOW + dt.timedelta(hours=6),
        )

        assert list(sae_overdue(user=data_manager, now=NOW + dt.timedelta(days=3))) == []

    def test_a_late_report_stays_visible(self, patient, investigator, data_manager) -> None:
        event = _event(patient, investigator, serious=True)

        sae_report_record(
            event=event,
            reported_at=NOW + dt.timedelta(hours=30),
            by=investigator,
            now=NOW + dt.timedelta(hours=31),
        )

        assert list(sae_overdue(user=data_manager, now=NOW + dt.timedelta(days=3))) == [event]

    def test_another_sites_coordinator_does_not_see_it(
        self, patient, investigator, coordinator_b
    ) -> None:
        _event(patient, investigator, serious=True)

        assert list(sae_overdue(user=coordinator_b, now=NOW + dt.timedelta(days=3))) == []

    def test_a_non_serious_event_has_no_report(self, patient, investigator) -> None:
        event = _event(patient, investigator)

        with pytest.raises(StateConflict, match="Only a serious adverse event"):
            sae_report_record(event=event, reported_at=NOW, by=investigator, now=NOW)


class TestSponsorAlertUndelivered:
    def test_the_event_is_saved_unmarked_and_listed_while_the_mail_server_is_down(
        self, patient, investigator, data_manager, monkeypatch, django_capture_on_commit_callbacks
    ) -> None:
        monkeypatch.setattr(delivery_module.EmailMessage, "send", _refuse)

        with django_capture_on_commit_callbacks(execute=True):
            event = _event(patient, investigator, serious=True)

        event.refresh_from_db()
        assert event.sponsor_notified_at is None
        (listed,) = sae_alerts_undelivered(user=data_manager)
        assert listed == event
        assert listed.alert_attempts == 1
        assert "Connection refused" in listed.alert_last_error

    def test_it_is_stamped_and_leaves_the_list_when_the_alert_is_delivered(
        self, patient, investigator, data_manager
    ) -> None:
        event = _event(patient, investigator, serious=True)
        alert = OutboundMessage.objects.get(kind=SAE_ALERT, related_id=event.pk)
        delivered_at = NOW + dt.timedelta(minutes=7)

        message_deliver(message_pk=alert.pk, now=delivered_at)

        event.refresh_from_db()
        assert event.sponsor_notified_at == delivered_at
        assert list(sae_alerts_undelivered(user=data_manager)) == []
        assert event.history.first().history_change_reason == "Alert delivered to the sponsor"

    def test_another_sites_coordinator_does_not_see_it(
        self, patient, investigator, coordinator_b
    ) -> None:
        _event(patient, investigator, serious=True)

        assert list(sae_alerts_undelivered(user=coordinator_b)) == []

    def test_a_correction_made_from_a_copy_read_before_the_delivery_keeps_the_stamp(
        self, patient, investigator
    ) -> None:
        event = _event(patient, investigator, serious=True)
        read_before = AdverseEvent.objects.get(pk=event.pk)
        alert = OutboundMessage.objects.get(kind=SAE_ALERT, related_id=event.pk)
        message_deliver(message_pk=alert.pk, now=NOW + dt.timedelta(minutes=1))

        corrected = _event(
            patient, investigator, event=read_before, serious=True, grade=4, reason="Worse"
        )

        assert corrected.grade == 4
        assert corrected.sponsor_notified_at == NOW + dt.timedelta(minutes=1)


class TestFatalAdverseEvent:
    def test_grade_5_without_a_death_record_is_refused(self, patient, investigator) -> None:
        with pytest.raises(ValidationError, match="needs the patient's death record"):
            _event(patient, investigator, grade=5, serious=True)

    def test_grade_5_agreeing_with_the_death_record_is_accepted(
        self, patient, investigator
    ) -> None:
        Death.objects.create(patient=patient, death_date=dt.date(2026, 11, 20), cause="infection")

        event = _event(patient, investigator, grade=5, serious=True, end_date=dt.date(2026, 11, 20))

        assert event.grade == 5

    def test_grade_5_ending_on_another_day_than_death_is_refused(
        self, patient, investigator
    ) -> None:
        Death.objects.create(patient=patient, death_date=dt.date(2026, 11, 20), cause="infection")

        with pytest.raises(ValidationError, match="ends on the date of death"):
            _event(patient, investigator, grade=5, serious=True, end_date=dt.date(2026, 11, 18))

    def test_grade_5_must_be_serious(self, patient, investigator) -> None:
        Death.objects.create(patient=patient, death_date=dt.date(2026, 11, 20), cause="infection")

        with pytest.raises(ValidationError, match="is a serious adverse event"):
            _event(patient, investigator, grade=5, serious=False)
