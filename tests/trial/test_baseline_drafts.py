"""The baseline saved as a draft: incomplete with what it misses, never counted as data, and
complete once the ordinary save validates everything (trial/services/drafts.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from lxml import etree
from rest_framework.test import APIClient

from analysis.odm import ODM_NS, odm_write
from randomization.selectors import randomization_problems
from tests.factories import ALL_MET, TODAY, baseline_data, eligible_patient, screened_patient
from trial.exceptions import StateConflict
from trial.models import Baseline, MutationGene, Patient, User
from trial.services import screening
from verification.selectors import FormStatus, patient_form_matrix
from verification.services.sdv import sdv_mark

# what a coordinator knows on the first day: the disease history, not yet the assessment
PARTIAL = {
    "disease_status": "first_relapse",
    "diagnosis_date": dt.date(2025, 6, 1),
    "first_cr_date": dt.date(2025, 7, 15),
    "relapse_date": dt.date(2026, 10, 1),
}
MISSING = [
    "assessment_date",
    "induction_start_date",
    "prior_induction_cycles",
    "ecog",
    "wbc",
    "blood_blast_pct",
    "cytogenetic_risk",
    "planned_regimen",
]


def consented(site, coordinator, investigator) -> Patient:
    patient = screened_patient(site, coordinator)
    screening.consent_record(
        patient=patient,
        consent_date=dt.date(2026, 10, 16),
        form_version="ICF v2.1",
        obtained_by=investigator,
        by=coordinator,
        today=TODAY,
    )
    return patient


def draft_saved(patient: Patient, by: User) -> Baseline:
    return screening.baseline_record(
        patient=patient, data=dict(PARTIAL), mutations={}, by=by, today=TODAY, draft=True
    )


def baseline_row(patient: Patient):
    (row,) = [r for r in patient_form_matrix(patient) if r.key == "baseline"]
    return row


class TestBaselineDraft:
    def test_a_draft_is_saved_with_required_fields_missing_and_shown_incomplete(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = consented(site_a, coordinator, investigator)

        baseline = draft_saved(patient, coordinator)

        assert baseline.draft and baseline.assessment_date is None
        row = baseline_row(patient)
        assert row.status == FormStatus.INCOMPLETE
        assert row.missing == [str(Baseline._meta.get_field(n).verbose_name) for n in MISSING]
        assert not row.sdv_required  # nothing to compare with the source yet

    def test_the_ordinary_save_refuses_what_a_draft_leaves_empty(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = consented(site_a, coordinator, investigator)

        with pytest.raises(ValidationError) as refused:
            screening.baseline_record(
                patient=patient, data=dict(PARTIAL), mutations={}, by=coordinator, today=TODAY
            )

        assert sorted(refused.value.message_dict) == sorted(MISSING)
        assert not Baseline.objects.filter(patient=patient).exists()

    def test_a_draft_still_checks_the_values_it_holds(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = consented(site_a, coordinator, investigator)

        with pytest.raises(ValidationError) as refused:
            screening.baseline_record(
                patient=patient,
                data={"ecog": 7, "diagnosis_date": dt.date(2027, 1, 1)},
                mutations={},
                by=coordinator,
                today=TODAY,
                draft=True,
            )

        assert set(refused.value.message_dict) == {"ecog", "diagnosis_date"}

    def test_completing_a_draft_makes_it_complete_and_the_history_says_so(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = consented(site_a, coordinator, investigator)
        draft_saved(patient, coordinator)

        baseline = screening.baseline_record(
            patient=patient, data=baseline_data(), mutations={}, by=coordinator, today=TODAY
        )

        assert not baseline.draft
        assert baseline_row(patient).status == FormStatus.COMPLETE
        history = baseline.history.order_by("history_date")
        reasons = list(history.values_list("history_change_reason", "draft"))
        assert reasons == [("Saved as a draft", True), ("Draft completed", False)]

    def test_a_complete_record_is_not_turned_back_into_a_draft(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)

        with pytest.raises(StateConflict):
            draft_saved(patient, coordinator)

        assert not Baseline.objects.get(patient=patient).draft

    def test_the_database_refuses_a_complete_record_with_an_empty_required_field(
        self, site_a, coordinator, investigator
    ) -> None:
        from django.db import IntegrityError, transaction

        patient = consented(site_a, coordinator, investigator)
        baseline = draft_saved(patient, coordinator)

        with pytest.raises(IntegrityError), transaction.atomic():
            Baseline.objects.filter(pk=baseline.pk).update(draft=False)


class TestADraftCountsAsNoData:
    def test_eligibility_and_enrolment_are_refused_while_the_baseline_is_a_draft(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = consented(site_a, coordinator, investigator)
        draft_saved(patient, coordinator)
        screening.eligibility_record(patient=patient, answers=dict(ALL_MET), by=coordinator)

        with pytest.raises(ValidationError) as refused:
            screening.patient_eligibility_confirm(
                patient=patient, by=investigator, now=timezone.now()
            )

        (problem,) = [p for p in refused.value.messages if "draft" in p]
        assert "Date of the baseline assessment" in problem or "assessment date" in problem
        assert "The baseline record is a draft" in problem
        patient.refresh_from_db()
        assert not patient.eligibility_confirmed
        assert any("draft" in p for p in randomization_problems(patient))

    def test_enrolment_is_refused_for_a_draft_even_after_a_confirmation(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = consented(site_a, coordinator, investigator)
        draft_saved(patient, coordinator)
        # a confirmation that predates the draft cannot be reached through the services; the
        # enrolment checks the baseline itself all the same
        Patient.objects.filter(pk=patient.pk).update(
            eligibility_confirmed_by=investigator, eligibility_confirmed_at=timezone.now()
        )
        patient.refresh_from_db()

        with pytest.raises(ValidationError, match="baseline record is a draft"):
            screening.patient_enrol(patient=patient, by=coordinator, now=timezone.now())

    def test_the_cutoff_export_leaves_the_draft_out(
        self, site_a, coordinator, investigator, tmp_path: Path
    ) -> None:
        eligible_patient(site_a, coordinator, investigator)
        patient = consented(site_a, coordinator, investigator)
        draft_saved(patient, coordinator)

        rows = _baseline_rows(tmp_path, "with-draft")
        screening.baseline_record(
            patient=patient, data=baseline_data(), mutations={}, by=coordinator, today=TODAY
        )
        completed = _baseline_rows(tmp_path, "completed")

        assert len(rows) == 1 and len(completed) == 2
        assert str(patient.pk) not in {r.getparent().getparent().get("SubjectKey") for r in rows}

    def test_source_data_verification_refuses_a_draft(
        self, site_a, coordinator, investigator, monitor
    ) -> None:
        patient = consented(site_a, coordinator, investigator)
        baseline = draft_saved(patient, coordinator)

        with pytest.raises(StateConflict, match="draft"):
            sdv_mark(record=baseline, by=monitor, now=timezone.now())


def _baseline_rows(tmp_path: Path, name: str) -> list[etree._Element]:
    path = odm_write(
        out_path=tmp_path / f"{name}.xml",
        cutoff=dt.date(2027, 6, 30),
        with_audit=False,
        created_at=timezone.now(),
    )
    ns = {"odm": ODM_NS}
    return (
        etree.parse(str(path))
        .getroot()
        .findall(".//odm:FormData[@FormOID='F.BASELINE']/odm:ItemGroupData", ns)
    )


class TestDraftPageAndApi:
    def test_the_page_saves_a_draft_then_completes_it(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = consented(site_a, coordinator, investigator)
        client = Client()
        client.force_login(coordinator)
        url = reverse("trial:baseline_edit", kwargs={"patient_id": patient.pk})

        genes = {f"mutation_{g.code}": "not_tested" for g in MutationGene.objects.all()}
        saved = client.post(
            url, {"disease_status": "refractory", "draft": "1", **genes}, follow=True
        )
        drafted = Baseline.objects.get(patient=patient)
        opened = client.get(url)
        complete = {
            k: ("" if v is None else v.isoformat() if isinstance(v, dt.date) else str(v))
            for k, v in baseline_data(assessment_date=dt.date(2026, 10, 20)).items()
        }
        completed = client.post(url, {**complete, **genes})

        assert saved.status_code == 200
        assert "saved as a draft" in saved.content.decode()
        assert drafted.draft and drafted.disease_status == "refractory"
        page = opened.content.decode()
        assert 'data-testid="baseline-draft"' in page and "Save as draft" in page
        assert completed.status_code == 302
        assert not Baseline.objects.get(patient=patient).draft

    def test_the_api_takes_a_draft_flag_and_a_patch_completes_the_draft(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = consented(site_a, coordinator, investigator)
        client = APIClient()
        client.force_authenticate(coordinator)
        url = f"/api/v1/patients/{patient.pk}/baseline/"
        partial = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in PARTIAL.items()}

        refused = client.put(url, partial, format="json")
        drafted = client.put(url, {**partial, "draft": True}, format="json")
        rest = {k: baseline_data()[k] for k in MISSING}
        rest = {k: v.isoformat() if isinstance(v, dt.date) else str(v) for k, v in rest.items()}
        completed = client.patch(url, rest, format="json")

        assert refused.status_code == 400
        assert {e["attr"] for e in refused.json()["errors"]} == set(MISSING)
        assert drafted.status_code == 200, drafted.json()
        assert drafted.json()["draft"] is True
        assert drafted.json()["missing_fields"] == MISSING
        assert completed.status_code == 200, completed.json()
        assert completed.json()["draft"] is False and completed.json()["missing_fields"] == []
