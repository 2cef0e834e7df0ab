"""The verification pages: the patient's forms with SDV ticks, progress, locks, the casebook."""

from __future__ import annotations

import io
import zipfile

from django.test import Client
from pypdf import PdfReader

from cleaning.services.queries import query_raise
from tests.verification.conftest import NOW
from trial.models import Consent
from verification.models import CasebookBuild, Lock, SdvMark
from verification.services.locks import database_lock
from verification.services.sdv import sdv_mark


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


class TestPatientForms:
    def test_a_monitor_ticks_records_and_sees_them_verified(self, patient, monitor) -> None:
        consent = Consent.objects.get(patient=patient)
        url = f"/patients/{patient.pk}/verification/"

        response = _client(monitor).post(url, {"records": [f"consent:{consent.pk}"]})
        page = _client(monitor).get(url).content.decode()

        assert response.status_code == 302
        assert SdvMark.objects.filter(object_id=consent.pk, field_name="").count() == 1
        assert 'data-form="consent"' in page and "status-verified" in page

    def test_a_coordinator_reads_the_matrix_without_ticks_and_is_refused_on_post(
        self, patient, coordinator
    ) -> None:
        consent = Consent.objects.get(patient=patient)
        url = f"/patients/{patient.pk}/verification/"

        page = _client(coordinator).get(url).content.decode()
        refused = _client(coordinator).post(url, {"records": [f"consent:{consent.pk}"]})

        assert 'data-testid="form-matrix"' in page and 'name="records"' not in page
        assert refused.status_code == 403
        assert not SdvMark.objects.exists()

    def test_the_patient_page_shows_the_form_statuses_instead_of_done(
        self, patient, coordinator, monitor
    ) -> None:
        sdv_mark(record=Consent.objects.get(patient=patient), by=monitor, now=NOW)

        page = _client(coordinator).get(f"/patients/{patient.pk}/").content.decode()

        consent_state = page.split('data-testid="step-state-consent">')[1].split("<")[0]
        baseline_state = page.split('data-testid="step-state-baseline">')[1].split("<")[0]
        assert consent_state == "Verified"
        assert baseline_state == "Complete · 1 open query"  # the genes the factories leave out
        assert 'data-testid="form-matrix"' in page

    def test_a_monitor_verifies_named_fields(self, patient, monitor) -> None:
        consent = Consent.objects.get(patient=patient)
        url = f"/patients/{patient.pk}/records/consent/{consent.pk}/verify/"

        response = _client(monitor).post(url, {"fields_verified": ["consent_date"]})

        assert response.status_code == 302
        assert list(SdvMark.objects.values_list("field_name", flat=True)) == ["consent_date"]


class TestProgressPage:
    def test_site_progress_and_the_worklist(self, patient, monitor, settings) -> None:
        settings.TRIAL_VERIFICATION = {**settings.TRIAL_VERIFICATION, "SDV_SAMPLE_PERCENT": 0}
        sdv_mark(record=Consent.objects.get(patient=patient), by=monitor, now=NOW)

        page = _client(monitor).get("/verification/").content.decode()

        progress = page.split('data-testid="site-sdv-PAR">')[1].split("</p>")[0]
        assert progress.startswith("1 of ")
        assert "Informed consent" not in page.split('data-testid="sdv-worklist"')[1]


class TestLockPages:
    def test_a_data_manager_locks_the_database_and_unlocks_with_a_reason(
        self, patient, data_manager
    ) -> None:
        client = _client(data_manager)

        locked = client.post(
            "/verification/locks/", {"cutoff_date": "2026-11-30", "reason": "Interim"}
        )
        lock = Lock.objects.get()
        no_reason = client.post(f"/verification/locks/{lock.pk}/unlock/", {"reason": ""})
        still_locked = Lock.objects.get().in_force
        unlocked = client.post(f"/verification/locks/{lock.pk}/unlock/", {"reason": "Re-opened"})

        assert locked.status_code == 302
        assert no_reason.status_code == 200 and still_locked
        assert unlocked.status_code == 302
        assert Lock.objects.get().unlock_reason == "Re-opened"

    def test_a_monitor_sees_the_locks_without_the_form(self, data_manager, monitor) -> None:
        database_lock(cutoff_date=NOW.date(), by=data_manager, now=NOW)

        page = _client(monitor).get("/verification/locks/").content.decode()

        assert "Database locked at the 2027-09-01 cut-off" in page
        assert "Lock the database</button>" not in page


class TestCasebook:
    def test_the_pdf_holds_the_forms_values_marks_queries_and_audit_trail(
        self, patient, monitor
    ) -> None:
        consent = Consent.objects.get(patient=patient)
        sdv_mark(record=consent, by=monitor, now=NOW)
        query_raise(
            record=consent,
            field_name="form_version",
            category="inconsistent",
            text="Which ICF version was signed?",
            by=monitor,
            now=NOW,
        )

        response = _client(monitor).get(f"/patients/{patient.pk}/casebook.pdf")

        assert response["Content-Type"] == "application/pdf"
        text = _pdf_text(response.content)
        assert f"Casebook of subject {patient.subject_id}" in text
        assert "Informed consent" in text and "ICF v2.1" in text
        assert "verified by monitor_a" in text
        assert "Which ICF version was signed?" in text
        assert "Audit trail" in text and "coord_a" in text

    def test_a_site_build_runs_in_the_worker_and_shows_its_progress(
        self, patient, monitor, django_capture_on_commit_callbacks
    ) -> None:
        client = _client(monitor)

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/verification/casebooks/", {"site": patient.site_id})
        build = CasebookBuild.objects.get()
        page = client.get(response["Location"]).content.decode()
        archive = client.get(f"/verification/casebooks/{build.pk}/download/")

        assert build.state == "done" and (build.done, build.total) == (1, 1)
        assert "1 of 1" in page
        names = zipfile.ZipFile(io.BytesIO(b"".join(archive.streaming_content))).namelist()
        assert len(names) == 1 and names[0].endswith(".pdf")
