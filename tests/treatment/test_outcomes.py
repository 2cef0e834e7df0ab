"""Responses, best response, AZA response due, transplant, end of treatment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.factories import randomized_patient
from tests.treatment.test_builders import NOW, STARTS, record_cycle
from treatment.selectors import aza_response_due, aza_response_due_patients, best_response
from treatment.services import end_of_treatment_record, response_record, transplant_record


@pytest.fixture
def patient(site_a, coordinator, investigator):
    patient = randomized_patient(site_a, coordinator, investigator, regimen="IC")
    record_cycle(patient, investigator, STARTS[0])
    return patient


def _assess(patient, by, day, response, blasts):
    return response_record(
        patient=patient,
        assessment_date=day,
        response=response,
        marrow_blast_pct=None if blasts is None else Decimal(blasts),
        by=by,
        now=NOW,
    )


class TestResponseRecord:
    def test_the_assessment_is_linked_to_the_last_cycle_started(
        self, patient, investigator
    ) -> None:
        record_cycle(patient, investigator, STARTS[1])

        assessment = _assess(patient, investigator, dt.date(2026, 12, 20), "CR", "2")

        assert assessment.cycle.number == 2

    def test_a_response_before_any_cycle_is_refused(self, patient, investigator) -> None:
        with pytest.raises(ValidationError, match="no cycle started on or before"):
            _assess(patient, investigator, dt.date(2026, 11, 2), "PR", "10")

    def test_a_remission_with_five_percent_blasts_or_more_is_refused(
        self, patient, investigator
    ) -> None:
        with pytest.raises(ValidationError, match="CR needs fewer than 5% marrow blasts"):
            _assess(patient, investigator, dt.date(2026, 12, 1), "CR", "8")

    def test_a_remission_needs_the_blast_percentage(self, patient, investigator) -> None:
        with pytest.raises(ValidationError, match="marrow blast percentage"):
            _assess(patient, investigator, dt.date(2026, 12, 1), "CRi", None)


class TestBestResponse:
    def test_it_is_derived_from_the_assessments(self, patient, investigator) -> None:
        _assess(patient, investigator, dt.date(2026, 11, 28), "PR", "12")
        cr = _assess(patient, investigator, dt.date(2026, 12, 10), "CR", "1")
        _assess(patient, investigator, dt.date(2027, 2, 10), "REL", "30")

        assert best_response(patient) == cr

    def test_there_is_none_without_assessments(self, patient) -> None:
        assert best_response(patient) is None


class TestAzaResponseDue:
    @pytest.fixture
    def aza(self, site_a, coordinator, investigator):
        aza = randomized_patient(site_a, coordinator, investigator, regimen="AZA")
        for start in STARTS[:3]:
            record_cycle(aza, investigator, start, regimen="AZA")
        return aza

    def test_its_absence_after_cycle_3_is_flagged(self, aza, investigator) -> None:
        assert "due after azacitidine cycle 3" in aza_response_due(aza)
        assert [p for p, _ in aza_response_due_patients(user=investigator)] == [aza]

    def test_an_assessment_after_cycle_3_clears_the_flag(self, aza, investigator) -> None:
        _assess(aza, investigator, dt.date(2027, 1, 30), "SD", "30")

        assert aza_response_due(aza) == ""

    def test_nothing_is_due_before_cycle_3(self, site_a, coordinator, investigator) -> None:
        aza = randomized_patient(site_a, coordinator, investigator, regimen="AZA")
        record_cycle(aza, investigator, STARTS[0], regimen="AZA")

        assert aza_response_due(aza) == ""


class TestTransplant:
    def test_it_is_allowed_after_the_end_of_treatment(self, patient, investigator) -> None:
        end_of_treatment_record(
            patient=patient, end_date=STARTS[1], end_reason="transplant", by=investigator, now=NOW
        )

        transplant = transplant_record(
            patient=patient,
            transplant_date=dt.date(2027, 1, 15),
            donor_type="matched_unrelated",
            disease_status="CR",
            by=investigator,
            now=NOW,
        )

        assert transplant.pk is not None

    def test_it_cannot_precede_randomisation(self, patient, investigator) -> None:
        with pytest.raises(ValidationError, match="randomised on 2026-11-02"):
            transplant_record(
                patient=patient,
                transplant_date=dt.date(2026, 10, 30),
                donor_type="haploidentical",
                disease_status="CR",
                by=investigator,
                now=NOW,
            )


class TestEndOfTreatment:
    def test_recording_it_starts_follow_up_at_once(self, patient, investigator) -> None:
        from followup.models import Visit
        from trial.dates import add_months

        end_of_treatment_record(
            patient=patient,
            end_date=STARTS[1],
            end_reason="completed",
            by=investigator,
            now=dt.datetime.combine(add_months(STARTS[1], 3), dt.time(9), tzinfo=dt.UTC),
        )

        first = Visit.objects.get(patient=patient, number=1)
        assert first.target_date == add_months(STARTS[1], 3)

    def test_it_cannot_precede_the_last_cycle(self, patient, investigator) -> None:
        with pytest.raises(ValidationError, match="Cycle 1 started on 2026-11-03"):
            end_of_treatment_record(
                patient=patient,
                end_date=dt.date(2026, 11, 2),
                end_reason="toxicity",
                by=investigator,
                now=NOW,
            )

    def test_never_started_is_refused_when_cycles_exist(self, patient, investigator) -> None:
        with pytest.raises(ValidationError, match="treatment did start"):
            end_of_treatment_record(
                patient=patient,
                end_date=STARTS[1],
                end_reason="never_started",
                by=investigator,
                now=NOW,
            )

    def test_a_correction_needs_a_reason(self, patient, investigator) -> None:
        end_of_treatment_record(
            patient=patient, end_date=STARTS[1], end_reason="completed", by=investigator, now=NOW
        )

        with pytest.raises(ValidationError, match="reason"):
            end_of_treatment_record(
                patient=patient, end_date=STARTS[1], end_reason="toxicity", by=investigator, now=NOW
            )
