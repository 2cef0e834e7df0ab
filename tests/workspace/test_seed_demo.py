"""The whole demo seed (every app's part): a history long enough for the analysis to mean
something, with responses, relapses and deaths spread over time."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from followup.models import Visit
from randomization.models import Randomization
from treatment.models import Cycle, EndOfTreatment, Relapse, ResponseAssessment
from trial.models import Death

pytestmark = pytest.mark.django_db


class TestSeedDemo:
    def test_the_demo_has_responses_relapses_and_deaths_spread_over_time(self) -> None:
        call_command("seed_demo", "--today", "2026-11-02", stdout=StringIO())

        randomized = Randomization.objects.count()
        responses = set(ResponseAssessment.objects.values_list("response", flat=True))
        deaths = list(Death.objects.values_list("death_date", flat=True))
        assert Cycle.objects.count() >= randomized - 3  # all but the latest are treated
        assert {"CR", "CRi"} & responses and {"PR", "SD", "PD"} & responses
        assert Relapse.objects.count() >= 2
        assert len(deaths) >= 3 and len(set(deaths)) >= 3
        assert EndOfTreatment.objects.count() >= randomized - 3
        dead = Death.objects.values("patient_id")
        assert not Visit.objects.filter(patient__in=dead, status__in=["planned", "due"]).exists()

    def test_a_second_seed_adds_no_treatment_or_death(self) -> None:
        call_command("seed_demo", "--today", "2026-11-02", stdout=StringIO())
        counts = (Cycle.objects.count(), Relapse.objects.count(), Death.objects.count())

        call_command("seed_demo", "--today", "2026-11-02", stdout=StringIO())

        assert (Cycle.objects.count(), Relapse.objects.count(), Death.objects.count()) == counts
