"""The report pages at a cut-off (KM plots, Table 1, CONSORT, secondary endpoints) on the database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from analysis.gather import baseline_facts_gather, consort_facts_gather
from analysis.models import DataCutoff
from analysis.services import cutoff_freeze
from tests.factories import randomized_patient, screened_patient
from trial.audit import record_save
from trial.models import Death, DeathCause, Patient, Site, User
from trial.services.screening import patient_screen_fail

NOW = timezone.make_aware(dt.datetime(2027, 7, 1, 12, 0))
PAGES = ("km", "table1", "consort", "endpoints")


@pytest.fixture
def trial(site_a: Site, coordinator: User, investigator: User) -> list[Patient]:
    dex = randomized_patient(site_a, coordinator, investigator, arm="DEX")
    ctrl = randomized_patient(site_a, coordinator, investigator, arm="CTRL", regimen="AZA")
    death = Death(patient=ctrl, death_date=dt.date(2027, 1, 10), cause=DeathCause.LEUKAEMIA)
    record_save(instance=death, by=investigator)
    failed = screened_patient(site_a, coordinator)
    patient_screen_fail(patient=failed, reason="consent_refused", reason_detail="", by=coordinator)
    return [dex, ctrl, failed]


@pytest.fixture
def cutoff(data_manager: User) -> DataCutoff:
    return cutoff_freeze(
        by=data_manager, cutoff_date=dt.date(2027, 6, 30), reason="Interim analysis", now=NOW
    )


class TestGatherTables:
    def test_reads_the_baseline_of_each_randomised_patient_with_labels(self, trial) -> None:
        facts = baseline_facts_gather(cutoff=dt.date(2027, 6, 30))

        assert sorted((f.arm, f.regimen, f.sex, f.mutations["NPM1"]) for f in facts) == [
            ("CTRL", "AZA", "Female", "Mutated"),
            ("DEX", "IC", "Female", "Mutated"),
        ]

    def test_reads_screen_failures_and_allocations_for_the_consort_flow(self, trial) -> None:
        facts = consort_facts_gather(cutoff=dt.date(2027, 6, 30))

        assert sorted((f.screen_failure_reason or "", f.arm or "") for f in facts) == [
            ("", "CTRL"),
            ("", "DEX"),
            ("Consent refused", ""),
        ]


class TestReportPages:
    def test_a_data_manager_sees_every_page_and_the_km_image(
        self, client: Client, trial, cutoff, data_manager
    ) -> None:
        client.force_login(data_manager)

        pages = {name: client.get(f"/analysis/cutoffs/{cutoff.pk}/{name}/") for name in PAGES}
        png = client.get(f"/analysis/cutoffs/{cutoff.pk}/km/OS.png")
        svg = client.get(f"/analysis/cutoffs/{cutoff.pk}/km/EFS.svg")

        assert {name: r.status_code for name, r in pages.items()} == dict.fromkeys(PAGES, 200)
        assert b"Kaplan\xe2\x80\x93Meier plot of OS by arm" in pages["km"].content
        assert b"Log-rank test" in pages["km"].content
        assert "Consent refused: 1" in pages["consort"].content.decode()
        assert "Clopper–Pearson" in pages["endpoints"].content.decode()
        assert "1 (100.0%)" in pages["table1"].content.decode()
        assert (png["Content-Type"], png.content[:4]) == ("image/png", b"\x89PNG")
        assert svg["Content-Type"] == "image/svg+xml" and b"At risk" in svg.content
        assert client.get(f"/analysis/cutoffs/{cutoff.pk}/km/RFS.png").status_code == 404

    def test_a_coordinator_is_refused_every_report_page(
        self, client: Client, cutoff, coordinator
    ) -> None:
        client.force_login(coordinator)

        answers = [
            client.get(f"/analysis/cutoffs/{cutoff.pk}/{name}/").status_code for name in PAGES
        ]
        answers.append(client.get(f"/analysis/cutoffs/{cutoff.pk}/km/OS.png").status_code)

        assert answers == [403] * 5
