"""The demo seed: realistic, complete and idempotent."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from trial.demo import DEMO_PASSWORD, demo_seed_trial
from trial.models import (
    Baseline,
    EligibilityAnswer,
    EligibilityCriterion,
    Membership,
    MutationGene,
    Patient,
    PatientStatus,
    Role,
    Site,
    User,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 2)


def _snapshot() -> dict[str, int]:
    models = [Site, User, Membership, Patient, Baseline, EligibilityAnswer, EligibilityCriterion]
    counts = {m.__name__: m.objects.count() for m in models}
    counts |= {f"{m.__name__} history": m.history.count() for m in models}
    return counts


class TestDemoSeed:
    def test_seed_creates_sites_logins_and_patients_at_every_step(self) -> None:
        logins = demo_seed_trial(today=TODAY)

        patients = Patient.objects.all()
        failed = patients.filter(status=PatientStatus.SCREEN_FAILED)
        enrolled = patients.filter(status=PatientStatus.ENROLLED)
        assert sorted(Site.objects.values_list("code", flat=True)) == ["LIL", "LYO", "PAR"]
        assert {m.role for m in Membership.objects.all()} == set(Role)
        assert all(row["password"] == DEMO_PASSWORD for row in logins.values())
        assert User.objects.get(username="coordinator").check_password(DEMO_PASSWORD)
        assert patients.count() >= 24
        assert failed.count() >= 3
        assert all(p.screen_failure_reason for p in failed)
        assert enrolled.count() > patients.count() / 2
        assert all(p.subject_id for p in enrolled)
        assert patients.filter(status=PatientStatus.SCREENING).count() >= 4
        assert set(MutationGene.objects.values_list("code", flat=True)) >= {"NPM1", "TP53"}
        codes = EligibilityCriterion.objects.filter(editable=True).values_list("code", flat=True)
        assert sorted(codes) == ["E1", "E2", "E3", "E4"]
        assert max(p.screening_date for p in patients) <= TODAY

    def test_second_run_changes_nothing_and_prints_the_same_logins(self) -> None:
        first, second = StringIO(), StringIO()

        call_command("seed_demo", "--today", TODAY.isoformat(), stdout=first)
        before = _snapshot()
        call_command("seed_demo", "--today", TODAY.isoformat(), stdout=second)

        assert _snapshot() == before
        assert first.getvalue() == second.getvalue()
        assert "coordinator" in first.getvalue() and DEMO_PASSWORD in first.getvalue()

    def test_every_demo_user_has_an_address_so_the_demo_really_sends_its_emails(self) -> None:
        demo_seed_trial(today=TODAY)

        addresses = list(User.objects.exclude(username="admin").values_list("email", flat=True))

        assert addresses and all(a.endswith("@demo.dexaml.example") for a in addresses)

    def test_a_user_seeded_without_an_address_gets_one_with_a_history_reason(self) -> None:
        demo_seed_trial(today=TODAY)
        User.objects.filter(username="monitor").update(email="")

        demo_seed_trial(today=TODAY)

        monitor = User.objects.get(username="monitor")
        assert monitor.email == "monitor@demo.dexaml.example"
        assert (
            monitor.history.first().history_change_reason == "Demo address for the trial's e-mails"
        )

    def test_the_command_is_refused_under_production_settings(self, settings) -> None:
        settings.DEMO_DATA_ALLOWED = False

        with pytest.raises(CommandError, match="refused"):
            call_command("seed_demo", "--today", "2026-11-02", stdout=StringIO())

        assert not User.objects.exists()
