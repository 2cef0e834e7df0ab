"""Cut-offs and exports through the services, the command, the task, the API and the pages."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from analysis.gather import trial_facts_gather
from analysis.models import DataCutoff, DatasetExport, ExportStatus
from analysis.services import cutoff_freeze, export_create
from analysis.tasks import export_build_task
from tests.factories import randomized_patient
from trial.audit import record_save
from trial.exceptions import PermissionDenied
from trial.models import Death, DeathCause, Patient, Site, User

NOW = timezone.make_aware(dt.datetime(2025, 7, 1, 12, 0))
RANDOMIZED_AT = timezone.make_aware(dt.datetime(2024, 1, 1, 10, 0))
REPORT_FILES = [
    "km_os.png",
    "km_os.svg",
    "km_efs.png",
    "km_efs.svg",
    "forest_os.png",
    "forest_os.svg",
    "forest_efs.png",
    "forest_efs.svg",
    "cir.png",
    "cir.svg",
    "estimates.csv",
    "km_summary.csv",
    "table1.csv",
    "consort.csv",
    "remission_rate.csv",
    "transplant_rate.csv",
    "adverse_events.csv",
    "consort.json",
]


@pytest.fixture
def dead_patient(site_a: Site, coordinator: User, investigator: User) -> Patient:
    patient = randomized_patient(site_a, coordinator, investigator, randomized_at=RANDOMIZED_AT)
    death = Death(patient=patient, death_date=dt.date(2024, 3, 1), cause=DeathCause.LEUKAEMIA)
    record_save(instance=death, by=investigator)
    return patient


@pytest.fixture
def cutoff(data_manager: User) -> DataCutoff:
    return cutoff_freeze(
        by=data_manager, cutoff_date=dt.date(2025, 6, 30), reason="Final analysis", now=NOW
    )


@pytest.fixture
def settings_media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


class TestCutoffFreeze:
    def test_records_the_date_who_and_why(self, cutoff: DataCutoff, data_manager) -> None:
        assert (cutoff.cutoff_date, cutoff.frozen_by, cutoff.reason) == (
            dt.date(2025, 6, 30),
            data_manager,
            "Final analysis",
        )

    def test_a_statistician_may_export_but_not_freeze(self, statistician: User) -> None:
        with pytest.raises(PermissionDenied):
            cutoff_freeze(by=statistician, cutoff_date=dt.date(2025, 6, 30), reason="x", now=NOW)

    def test_a_cut_off_in_the_future_is_refused(self, data_manager: User) -> None:
        with pytest.raises(ValidationError):
            cutoff_freeze(by=data_manager, cutoff_date=dt.date(2025, 7, 2), reason="x", now=NOW)


class TestGather:
    def test_reads_a_death_into_an_overall_survival_event(self, dead_patient: Patient) -> None:
        facts = trial_facts_gather(cutoff=dt.date(2025, 6, 30))

        (p,) = facts.patients
        # The builders date consent and baseline later: the last date alive stops at death.
        assert (p.death_date, p.last_known_alive, p.randomized_on) == (
            dt.date(2024, 3, 1),
            dt.date(2024, 3, 1),
            dt.date(2024, 1, 1),
        )

    def test_a_patient_randomised_after_the_cut_off_is_left_out(self, dead_patient) -> None:
        assert trial_facts_gather(cutoff=dt.date(2023, 12, 31)).patients == []


class TestExports:
    def test_the_task_builds_the_files_and_records_their_checksum(
        self, dead_patient, cutoff, statistician, settings_media: Path
    ) -> None:
        export = export_create(by=statistician, cutoff=cutoff, formats=["csv", "xpt"], now=NOW)

        export_build_task(export_id=export.pk)

        export.refresh_from_db()
        assert (export.status, export.progress, len(export.checksum)) == ("done", 100, 64)
        adtte = pd.read_csv(settings_media / export.directory / "adtte.csv")
        assert list(zip(adtte.PARAMCD, adtte.AVAL, strict=True)) == [
            ("OS", 60),
            ("OSTC", 60),
            ("EFS", 0),
        ]
        assert [f["name"] for f in export.files] == [
            "adtte.csv",
            "adtte.xpt",
            "adsurv.csv",
            "adsurv.xpt",
            "data_dictionary.csv",
            *REPORT_FILES,
            "manifest.json",
        ]

    def test_the_same_cut_off_reproduces_the_same_checksum(
        self, dead_patient, cutoff, data_manager, settings_media
    ) -> None:
        first = export_create(by=data_manager, cutoff=cutoff, formats=None, now=NOW)
        second = export_create(by=data_manager, cutoff=cutoff, formats=None, now=NOW)

        export_build_task(export_id=first.pk)
        export_build_task(export_id=second.pk)

        first.refresh_from_db()
        second.refresh_from_db()
        assert first.checksum == second.checksum
        assert first.files == second.files

    def test_a_coordinator_may_not_export(self, cutoff, coordinator: User) -> None:
        with pytest.raises(PermissionDenied):
            export_create(by=coordinator, cutoff=cutoff, formats=None, now=NOW)

    def test_the_command_writes_every_format_with_a_progress_bar(
        self, dead_patient, cutoff, data_manager, tmp_path: Path
    ) -> None:
        out = StringIO()

        call_command(
            "survival_export",
            "--cutoff",
            str(cutoff.pk),
            "--user",
            data_manager.username,
            "--out",
            str(tmp_path),
            stdout=out,
        )

        assert "100%" in out.getvalue()
        assert len(list(tmp_path.iterdir())) == 12 + len(REPORT_FILES)
        export = DatasetExport.objects.get()
        assert (export.requested_by, export.cutoff, export.status) == (
            data_manager,
            cutoff,
            ExportStatus.DONE,
        )
        assert export.checksum in out.getvalue()


class TestApi:
    def test_a_data_manager_freezes_and_requests_an_export(
        self, data_manager: User, django_capture_on_commit_callbacks
    ) -> None:
        api = APIClient()
        api.force_authenticate(data_manager)

        frozen = api.post(
            "/api/v1/analysis/cutoffs/",
            {"cutoff_date": "2024-12-31", "reason": "Interim analysis"},
            format="json",
        )
        requested = api.post(
            f"/api/v1/analysis/cutoffs/{frozen.json()['id']}/exports/",
            {"formats": ["csv"]},
            format="json",
        )

        assert frozen.status_code == 201
        assert requested.status_code == 202
        status = api.get(f"/api/v1/analysis/exports/{requested.json()['id']}/")
        assert status.json()["formats"] == ["csv"]

    @pytest.mark.parametrize("role", ["coordinator", "investigator", "monitor"])
    def test_other_roles_are_refused_every_analysis_endpoint(
        self, role: str, request, cutoff: DataCutoff, data_manager: User
    ) -> None:
        export = export_create(by=data_manager, cutoff=cutoff, formats=["csv"], now=NOW)
        api = APIClient()
        api.force_authenticate(request.getfixturevalue(role))

        answers = [
            api.get("/api/v1/analysis/cutoffs/").status_code,
            api.post(
                "/api/v1/analysis/cutoffs/", {"cutoff_date": "2024-12-31", "reason": "x"}
            ).status_code,
            api.post(f"/api/v1/analysis/cutoffs/{cutoff.pk}/exports/").status_code,
            api.get(f"/api/v1/analysis/exports/{export.pk}/").status_code,
            api.get(f"/api/v1/analysis/cutoffs/{cutoff.pk}/estimates/").status_code,
        ]

        assert answers == [403, 403, 403, 403, 403]


class TestEstimatesApi:
    def test_a_statistician_reads_every_estimate_of_the_cut_off(
        self, dead_patient, cutoff, statistician: User
    ) -> None:
        api = APIClient()
        api.force_authenticate(statistician)

        answer = api.get(f"/api/v1/analysis/cutoffs/{cutoff.pk}/estimates/")

        assert answer.status_code == 200
        body = answer.json()
        assert (body["cutoff_date"], body["factors"]) == (
            "2025-06-30",
            ["regimen", "disease_status"],
        )
        rows = {(e["endpoint"], e["analysis"], e["group"]): e for e in body["estimates"]}
        median = rows[("OS", "km_median", "DEX")]
        assert (median["estimate"], median["n"], median["events"], median["unit"]) == (
            60.0,
            1,
            1,
            "days",
        )
        assert rows[("OS", "cox_hr_stratified", "DEX vs CTRL")]["estimate"] is None  # one arm


class TestPages:
    def test_a_data_manager_sees_the_page_and_downloads_a_file(
        self, client: Client, dead_patient, cutoff, data_manager, settings_media
    ) -> None:
        export = export_create(by=data_manager, cutoff=cutoff, formats=["csv"], now=NOW)
        export_build_task(export_id=export.pk)
        client.force_login(data_manager)

        home = client.get("/analysis/")
        page = client.get(f"/analysis/exports/{export.pk}/")
        download = client.get(f"/analysis/exports/{export.pk}/files/adtte.csv")

        assert home.status_code == page.status_code == download.status_code == 200
        assert b"Final analysis" in home.content
        assert b"".join(download.streaming_content).startswith(b"STUDYID,")

    def test_a_site_coordinator_is_refused_the_pages_and_the_files(
        self, client: Client, coordinator, cutoff, data_manager, settings_media
    ) -> None:
        export = export_create(by=data_manager, cutoff=cutoff, formats=["csv"], now=NOW)
        export_build_task(export_id=export.pk)
        client.force_login(coordinator)

        answers = [
            client.get("/analysis/").status_code,
            client.get(f"/analysis/exports/{export.pk}/").status_code,
            client.get(f"/analysis/exports/{export.pk}/files/adtte.csv").status_code,
            client.post(f"/analysis/cutoffs/{cutoff.pk}/export/").status_code,
        ]

        assert answers == [403, 403, 403, 403]

    def test_a_file_not_in_the_export_is_not_found(
        self, client: Client, cutoff, data_manager, settings_media
    ) -> None:
        export = export_create(by=data_manager, cutoff=cutoff, formats=["csv"], now=NOW)
        client.force_login(data_manager)

        assert client.get(f"/analysis/exports/{export.pk}/files/secret.txt").status_code == 404
