"""Pages for the follow-up records a coordinator keeps besides visits: a visit not done, a
withdrawal, contact attempts and the declaration of loss to follow-up."""

from __future__ import annotations

import pytest
from django.utils import timezone

from followup.models import ContactAttempt, Visit, VisitStatus
from trial.models import LossToFollowUp, Withdrawal

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _url(visit: Visit, tail: str) -> str:
    return f"/followup/patients/{visit.patient_id}/{tail}"


class TestVisitNotDonePage:
    def test_records_why_the_visit_was_not_done(self, client, due_visit, coordinator) -> None:
        client.force_login(coordinator)

        response = client.post(
            _url(due_visit, f"visits/{due_visit.pk}/not-done/"),
            {"not_done_reason": "Patient in hospital elsewhere"},
        )

        assert response.status_code == 302
        due_visit.refresh_from_db()
        assert (due_visit.status, due_visit.not_done_reason) == (
            VisitStatus.NOT_DONE,
            "Patient in hospital elsewhere",
        )

    def test_without_a_reason_the_form_says_so_and_nothing_changes(
        self, client, due_visit, coordinator
    ) -> None:
        client.force_login(coordinator)

        response = client.post(_url(due_visit, f"visits/{due_visit.pk}/not-done/"), {})

        assert response.status_code == 200
        assert "This field is required" in response.text
        due_visit.refresh_from_db()
        assert due_visit.status != VisitStatus.NOT_DONE


class TestWithdrawalPage:
    def test_records_the_withdrawal_and_cancels_later_visits(
        self, client, due_visit, coordinator
    ) -> None:
        client.force_login(coordinator)

        response = client.post(
            _url(due_visit, "withdrawal/"),
            {"withdrawal_date": TODAY.isoformat(), "vital_status_may_be_collected": "on"},
        )

        assert response.status_code == 302
        withdrawal = Withdrawal.objects.get(patient_id=due_visit.patient_id)
        assert withdrawal.vital_status_may_be_collected and not withdrawal.data_may_be_collected

    def test_a_date_in_the_future_is_refused_next_to_the_field(
        self, client, due_visit, coordinator
    ) -> None:
        client.force_login(coordinator)

        response = client.post(_url(due_visit, "withdrawal/"), {"withdrawal_date": "2999-01-01"})

        assert response.status_code == 200
        assert "future" in response.text
        assert not Withdrawal.objects.exists()


class TestContactAttemptsAndLossToFollowUp:
    def test_loss_to_follow_up_needs_the_documented_attempts_first(
        self, client, due_visit, coordinator
    ) -> None:
        client.force_login(coordinator)

        refused = client.post(_url(due_visit, "lost-to-follow-up/"), {"comment": "No news"})
        attempt = client.post(
            _url(due_visit, "contact-attempts/new/"),
            {"attempted_on": TODAY.isoformat(), "method": "phone", "outcome": "no_answer"},
        )

        assert refused.status_code == 200 and "contact attempt" in refused.text.lower()
        assert not LossToFollowUp.objects.exists()
        assert attempt.status_code == 302
        assert ContactAttempt.objects.filter(patient_id=due_visit.patient_id).count() == 1

    def test_another_sites_coordinator_gets_404_on_every_form(
        self, client, due_visit, coordinator_b
    ) -> None:
        client.force_login(coordinator_b)

        for tail in (
            "withdrawal/",
            "contact-attempts/new/",
            "lost-to-follow-up/",
            f"visits/{due_visit.pk}/not-done/",
        ):
            assert client.get(_url(due_visit, tail)).status_code == 404


class TestVisitAndDeathPagesAskAReasonOnCorrectionsOnly:
    def test_a_first_entry_asks_no_reason_for_change(self, client, due_visit, coordinator) -> None:
        client.force_login(coordinator)

        visit = client.get(_url(due_visit, f"visits/{due_visit.pk}/record/"))
        death = client.get(_url(due_visit, "death/"))

        assert visit.status_code == death.status_code == 200
        assert "Reason for change" not in visit.text
        assert "Reason for change" not in death.text
