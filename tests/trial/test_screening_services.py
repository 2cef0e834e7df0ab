"""Screening, consent, baseline, eligibility and enrolment rules (PROTOCOL.md "Screening")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tests.factories import (
    ALL_MET,
    NOW,
    TODAY,
    baseline_data,
    eligible_patient,
    enrolled_patient,
    screened_patient,
)
from trial.exceptions import PermissionDenied, StateConflict
from trial.models import Patient, PatientStatus
from trial.services import screening

pytestmark = pytest.mark.django_db


def _consent(patient, coordinator, investigator, day=dt.date(2026, 10, 16)):
    return screening.consent_record(
        patient=patient,
        consent_date=day,
        form_version="ICF v2.1",
        obtained_by=investigator,
        by=coordinator,
        today=TODAY,
    )


def _errors(excinfo: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(str(m) for m in excinfo.value.messages)


class TestPatientScreen:
    def test_screening_numbers_follow_the_site_sequence(self, site_a, coordinator) -> None:
        first = screened_patient(site_a, coordinator)
        second = screened_patient(site_a, coordinator)

        assert (first.screening_number, second.screening_number) == ("S-PAR-0001", "S-PAR-0002")
        assert first.protocol_version.number == "1.0"

    def test_screening_date_in_the_future_is_refused(self, site_a, coordinator) -> None:
        with pytest.raises(ValidationError) as excinfo:
            screened_patient(site_a, coordinator, screening_date=TODAY + dt.timedelta(days=1))

        assert "in the future" in _errors(excinfo)
        assert Patient.objects.count() == 0

    def test_coordinator_of_another_site_cannot_screen_here(self, site_a, coordinator_b) -> None:
        with pytest.raises(PermissionDenied):
            screened_patient(site_a, coordinator_b)

    def test_monitor_cannot_enter_data(self, site_a, monitor) -> None:
        with pytest.raises(PermissionDenied):
            screened_patient(site_a, monitor)

    def test_data_manager_cannot_enrol_or_screen(self, site_a, data_manager) -> None:
        with pytest.raises(PermissionDenied):
            screened_patient(site_a, data_manager)

    def test_screening_before_any_protocol_version_is_refused(self, site_a, coordinator) -> None:
        with pytest.raises(ValidationError) as excinfo:
            screened_patient(site_a, coordinator, screening_date=dt.date(2018, 1, 1))

        assert "No protocol version" in _errors(excinfo)


class TestBaselineRecord:
    def test_baseline_before_consent_is_refused(self, site_a, coordinator) -> None:
        patient = screened_patient(site_a, coordinator)

        with pytest.raises(ValidationError) as excinfo:
            screening.baseline_record(
                patient=patient, data=baseline_data(), mutations={}, by=coordinator, today=TODAY
            )

        assert "consent" in _errors(excinfo)

    def test_assessment_dated_before_consent_is_refused(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = screened_patient(site_a, coordinator)
        _consent(patient, coordinator, investigator, day=dt.date(2026, 10, 25))

        with pytest.raises(ValidationError) as excinfo:
            screening.baseline_record(
                patient=patient, data=baseline_data(), mutations={}, by=coordinator, today=TODAY
            )

        assert "before the consent" in _errors(excinfo)

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"relapse_date": dt.date(2025, 9, 1)}, "is refractory disease, not first relapse"),
            (
                {
                    "relapse_date": dt.date(2026, 8, 1),
                    "first_cr_date": dt.date(2024, 7, 1),
                    "induction_start_date": dt.date(2024, 5, 1),
                    "diagnosis_date": dt.date(2024, 4, 20),
                },
                "more than 24 months",
            ),
            ({"prior_induction_cycles": 3}, "at most 2 induction cycles"),
            ({"first_cr_date": None}, "needs the date of the CR/CRi"),
            ({"disease_status": "refractory"}, "first relapse, not refractory"),
            (
                {
                    "disease_status": "refractory",
                    "first_cr_date": None,
                    "relapse_date": None,
                    "induction_start_date": dt.date(2026, 10, 1),
                    "diagnosis_date": dt.date(2026, 9, 25),
                },
                "28 days or more after day 1 of induction",
            ),
            ({"relapse_date": dt.date(2026, 12, 1)}, "in the future"),
            (
                {"induction_start_date": dt.date(2025, 5, 1)},
                "Induction cannot start before diagnosis",
            ),
            ({"ecog": 7}, "less than or equal to 4"),
        ],
    )
    def test_inconsistent_disease_history_is_refused_with_its_message(
        self, site_a, coordinator, investigator, overrides, message
    ) -> None:
        patient = screened_patient(site_a, coordinator)
        _consent(patient, coordinator, investigator)

        with pytest.raises(ValidationError) as excinfo:
            screening.baseline_record(
                patient=patient,
                data=baseline_data(**overrides),
                mutations={},
                by=coordinator,
                today=TODAY,
            )

        assert message in _errors(excinfo)
        assert not hasattr(Patient.objects.get(pk=patient.pk), "baseline")

    def test_a_range_error_a_date_order_error_and_a_future_date_come_in_one_answer(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = screened_patient(site_a, coordinator)
        _consent(patient, coordinator, investigator)
        data = baseline_data(
            ecog=7,
            induction_start_date=dt.date(2025, 5, 1),
            assessment_date=TODAY + dt.timedelta(days=3),
        )

        with pytest.raises(ValidationError) as excinfo:
            screening.baseline_record(
                patient=patient, data=data, mutations={}, by=coordinator, today=TODAY
            )

        errors = excinfo.value.message_dict
        assert "less than or equal to 4" in " ".join(errors["ecog"])
        assert "Induction cannot start before diagnosis." in errors["induction_start_date"]
        assert any("is in the future" in m for m in errors["assessment_date"])

    @pytest.mark.parametrize(
        "overrides",
        [
            {},  # first relapse 14 months after CR
            {
                "disease_status": "refractory",
                "relapse_date": dt.date(2025, 9, 1),
            },  # relapse < 90 days
            {
                "disease_status": "refractory",
                "first_cr_date": None,
                "relapse_date": None,
            },  # primary refractory
            {"relapse_date": dt.date(2025, 10, 13)},  # exactly 90 days: first relapse
        ],
    )
    def test_consistent_disease_history_is_accepted(
        self, site_a, coordinator, investigator, overrides
    ) -> None:
        patient = screened_patient(site_a, coordinator)
        _consent(patient, coordinator, investigator)

        baseline = screening.baseline_record(
            patient=patient,
            data=baseline_data(**overrides),
            mutations={"TP53": "mutated"},
            by=coordinator,
            today=TODAY,
        )

        assert baseline.pk is not None
        assert [m.gene.code for m in baseline.mutations.all()] == ["TP53"]

    def test_correcting_the_baseline_needs_a_reason_and_is_kept_in_history(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = screened_patient(site_a, coordinator)
        _consent(patient, coordinator, investigator)
        screening.baseline_record(
            patient=patient, data=baseline_data(), mutations={}, by=coordinator, today=TODAY
        )

        with pytest.raises(ValidationError) as excinfo:
            screening.baseline_record(
                patient=patient, data={"ecog": 2}, mutations={}, by=coordinator, today=TODAY
            )
        assert "reason" in excinfo.value.message_dict

        baseline = screening.baseline_record(
            patient=patient,
            data={"ecog": 2},
            mutations={},
            by=coordinator,
            today=TODAY,
            reason="Transcription error",
        )

        latest = baseline.history.order_by("-history_id").first()
        assert (latest.ecog, latest.history_user, latest.history_change_reason) == (
            2,
            coordinator,
            "Transcription error",
        )


class TestEligibilityConfirm:
    def test_investigator_confirms_an_eligible_patient(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)

        assert patient.eligibility_confirmed_by == investigator
        assert patient.eligibility_confirmed_at is not None

    def test_coordinator_cannot_confirm_eligibility(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = screened_patient(site_a, coordinator)

        with pytest.raises(PermissionDenied):
            screening.patient_eligibility_confirm(patient=patient, by=coordinator, now=NOW)

    def test_every_unmet_criterion_and_rule_is_listed(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = screened_patient(site_a, coordinator, age_at_screening=17)
        _consent(patient, coordinator, investigator)
        screening.baseline_record(
            patient=patient,
            data=baseline_data(ecog=3, marrow_blast_pct=2, blood_blast_pct=0),
            mutations={},
            by=coordinator,
            today=TODAY,
        )
        screening.eligibility_record(
            patient=patient, answers={**ALL_MET, "E1": True}, by=coordinator
        )

        with pytest.raises(ValidationError) as excinfo:
            screening.patient_eligibility_confirm(patient=patient, by=investigator, now=NOW)

        text = _errors(excinfo)
        for expected in ("at least 18 years", "E1 is not met", "ECOG 3", "5% marrow blasts"):
            assert expected in text
        assert Patient.objects.get(pk=patient.pk).eligibility_confirmed_at is None

    def test_changing_an_answer_after_confirmation_requires_confirming_again(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)

        screening.eligibility_record(
            patient=patient, answers={"E2": True}, by=coordinator, reason="Diabetes found"
        )

        assert Patient.objects.get(pk=patient.pk).eligibility_confirmed_at is None


class TestPatientEnrol:
    def test_enrolment_gives_site_code_and_sequence(
        self, site_a, coordinator, investigator
    ) -> None:
        first = enrolled_patient(site_a, coordinator, investigator)
        second = enrolled_patient(site_a, coordinator, investigator)

        assert (first.subject_id, second.subject_id) == ("PAR-001", "PAR-002")
        assert first.status == PatientStatus.ENROLLED

    def test_enrolment_without_confirmed_eligibility_is_refused(self, site_a, coordinator) -> None:
        patient = screened_patient(site_a, coordinator)

        with pytest.raises(ValidationError) as excinfo:
            screening.patient_enrol(patient=patient, by=coordinator, now=NOW)

        assert "confirm eligibility" in _errors(excinfo)
        assert Patient.objects.get(pk=patient.pk).subject_id is None

    def test_a_patient_is_enrolled_once(self, site_a, coordinator, investigator) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator)

        with pytest.raises(StateConflict):
            screening.patient_enrol(patient=patient, by=coordinator, now=NOW)

    def test_subject_numbers_are_never_reused_after_a_screen_failure(
        self, site_a, coordinator, investigator
    ) -> None:
        failed = eligible_patient(site_a, coordinator, investigator)
        screening.patient_screen_fail(
            patient=failed, reason="consent_refused", reason_detail="", by=coordinator
        )
        enrolled = enrolled_patient(site_a, coordinator, investigator)

        assert enrolled.subject_id == "PAR-001"
        assert Patient.objects.get(pk=failed.pk).subject_id is None


class TestPatientScreenFail:
    def test_screen_failure_records_the_reason(self, site_a, coordinator) -> None:
        patient = screened_patient(site_a, coordinator)

        screening.patient_screen_fail(
            patient=patient, reason="exclusion_met", reason_detail="APL", by=coordinator
        )

        patient.refresh_from_db()
        assert (patient.status, patient.screen_failure_reason) == ("screen_failed", "exclusion_met")

    def test_other_without_detail_is_refused(self, site_a, coordinator) -> None:
        patient = screened_patient(site_a, coordinator)

        with pytest.raises(ValidationError):
            screening.patient_screen_fail(
                patient=patient, reason="other", reason_detail=" ", by=coordinator
            )
