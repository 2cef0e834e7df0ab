"""The result e-mail of a randomisation, sent by a Celery task queued on commit."""

from __future__ import annotations

import pytest
from django.core import mail

from randomization import services
from randomization.models import Randomization, ResultNotice
from randomization.tasks import randomization_result_notify
from tests.factories import NOW, enrolled_patient
from trial.models import Site, User

pytestmark = pytest.mark.django_db


def _randomized(site: Site, coordinator: User, investigator: User) -> Randomization:
    coordinator.email, investigator.email = "coord@a.example", "inv@a.example"
    coordinator.save()
    investigator.save()
    patient = enrolled_patient(site, coordinator, investigator)
    return services.patient_randomize(patient=patient, by=coordinator, now=NOW)


class TestRandomizationResultNotify:
    def test_is_acknowledged_late_so_a_killed_worker_leaves_it_to_run_again(self) -> None:
        assert randomization_result_notify.acks_late
        assert randomization_result_notify.reject_on_worker_lost

    def test_is_queued_on_commit_not_run_in_the_request(
        self, site_a, coordinator, investigator, production_list, django_capture_on_commit_callbacks
    ) -> None:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            randomization = _randomized(site_a, coordinator, investigator)

        assert mail.outbox == []
        assert [c.func for c in callbacks] == [randomization_result_notify.delay]
        assert callbacks[0].keywords == {"randomization_pk": randomization.pk}

    def test_sends_the_result_once_to_the_site_team(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        randomization = _randomized(site_a, coordinator, investigator)

        sent = randomization_result_notify.run(randomization_pk=randomization.pk)

        assert sent is True
        (message,) = mail.outbox
        assert sorted(message.to) == ["coord@a.example", "inv@a.example"]
        assert randomization.randomization_number in message.body
        notice = ResultNotice.objects.get(randomization=randomization)
        assert notice.recipients == "coord@a.example, inv@a.example"

    def test_a_second_run_sends_nothing(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        randomization = _randomized(site_a, coordinator, investigator)
        randomization_result_notify.run(randomization_pk=randomization.pk)

        again = randomization_result_notify.run(randomization_pk=randomization.pk)

        assert again is False
        assert len(mail.outbox) == 1
        assert ResultNotice.objects.filter(randomization=randomization).count() == 1

    def test_a_failed_send_leaves_no_marker_so_the_retry_sends(
        self, site_a, coordinator, investigator, production_list, monkeypatch
    ) -> None:
        randomization = _randomized(site_a, coordinator, investigator)

        def refuse(*args: object, **kwargs: object) -> None:
            raise ConnectionRefusedError("SMTP down")

        monkeypatch.setattr("randomization.notifications.send_mail", refuse)
        with pytest.raises(ConnectionRefusedError):
            randomization_result_notify.run(randomization_pk=randomization.pk)
        monkeypatch.undo()

        assert not ResultNotice.objects.filter(randomization=randomization).exists()
        assert randomization_result_notify.run(randomization_pk=randomization.pk) is True
        assert len(mail.outbox) == 1
