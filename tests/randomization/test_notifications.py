"""The result e-mail of a randomisation: queued in the outbox with the allocation, sent once by a
worker after the commit."""

from __future__ import annotations

import pytest
from django.core import mail

from randomization import services
from randomization.models import Randomization
from randomization.notifications import RESULT
from tests.factories import NOW, enrolled_patient
from trial.models import MessageStatus, OutboundMessage, Site, User
from trial.outbox import DeliveryFailed
from trial.outbox import delivery as delivery_module
from trial.outbox.delivery import message_deliver
from trial.tasks import message_publish

pytestmark = pytest.mark.django_db


def _randomized(site: Site, coordinator: User, investigator: User) -> Randomization:
    coordinator.email, investigator.email = "coord@a.example", "inv@a.example"
    coordinator.save()
    investigator.save()
    patient = enrolled_patient(site, coordinator, investigator)
    return services.patient_randomize(patient=patient, by=coordinator, now=NOW)


def _result(randomization: Randomization) -> OutboundMessage:
    return OutboundMessage.objects.get(dedup_key=f"{RESULT}:{randomization.pk}")


class TestRandomizationResult:
    def test_is_written_with_the_allocation_and_handed_to_a_worker_on_commit(
        self, site_a, coordinator, investigator, production_list, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            randomization = _randomized(site_a, coordinator, investigator)

        message = _result(randomization)
        assert mail.outbox == []
        assert message.status == MessageStatus.PENDING
        assert message.related == randomization
        assert [c.func for c in callbacks] == [message_publish]
        assert callbacks[0].args == (message.pk,)

    def test_is_sent_once_to_the_site_team(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        randomization = _randomized(site_a, coordinator, investigator)
        message = _result(randomization)

        sent = message_deliver(message_pk=message.pk, now=NOW)
        again = message_deliver(message_pk=message.pk, now=NOW)

        assert (sent, again) == (True, False)
        (email,) = mail.outbox
        assert sorted(email.to) == ["coord@a.example", "inv@a.example"]
        assert randomization.randomization_number in email.subject
        assert randomization.randomization_number in email.body
        assert randomization.get_arm_display() in email.body

    def test_a_repeated_randomisation_request_queues_no_second_result(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        randomization = _randomized(site_a, coordinator, investigator)

        again = services.patient_randomize(patient=randomization.patient, by=coordinator, now=NOW)

        assert again.pk == randomization.pk
        assert OutboundMessage.objects.filter(kind=RESULT).count() == 1

    def test_a_failed_send_stays_pending_and_the_retry_sends(
        self, site_a, coordinator, investigator, production_list, monkeypatch
    ) -> None:
        message = _result(_randomized(site_a, coordinator, investigator))

        def refuse(*args: object, **kwargs: object) -> None:
            raise ConnectionRefusedError("SMTP down")

        monkeypatch.setattr(delivery_module.EmailMessage, "send", refuse)
        with pytest.raises(DeliveryFailed):
            message_deliver(message_pk=message.pk, now=NOW)
        monkeypatch.undo()

        message.refresh_from_db()
        assert (message.status, message.attempts) == (MessageStatus.PENDING, 1)
        assert message.last_error == "ConnectionRefusedError: SMTP down"
        assert message_deliver(message_pk=message.pk, now=NOW) is True
        assert len(mail.outbox) == 1


class TestNoRecipient:
    def test_a_site_team_without_address_is_recorded_not_sent(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator)

        randomization = services.patient_randomize(patient=patient, by=coordinator, now=NOW)

        assert _result(randomization).status == MessageStatus.NO_RECIPIENT
        assert mail.outbox == []
