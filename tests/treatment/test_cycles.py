"""Cycles and doses: limits per regimen, dates, regimen changes and deviations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.factories import enrolled_patient, randomized_patient
from tests.treatment.test_builders import NOW, STARTS, dose, record_cycle, salvage
from treatment.models import Cycle, DeviationKind, ProtocolDeviation
from treatment.services import end_of_treatment_record, response_record
from trial.exceptions import PermissionDenied, StateConflict
from trial.selectors.history import record_history


def _messages(error: ValidationError) -> str:
    return " ".join(m for messages in error.message_dict.values() for m in messages)


def _open_deviations(patient) -> set[str]:
    return set(
        ProtocolDeviation.objects.filter(patient=patient, entered_in_error=False).values_list(
            "kind", flat=True
        )
    )


@pytest.fixture
def ic_patient(site_a, coordinator, investigator):
    return randomized_patient(site_a, coordinator, investigator, arm="DEX", regimen="IC")


@pytest.fixture
def aza_patient(site_a, coordinator, investigator):
    return randomized_patient(site_a, coordinator, investigator, arm="DEX", regimen="AZA")


class TestEveryErrorAtOnce:
    def test_a_range_error_and_rule_errors_of_a_cycle_come_in_one_answer(
        self, ic_patient, investigator
    ) -> None:
        with pytest.raises(ValidationError) as excinfo:
            record_cycle(
                ic_patient,
                investigator,
                dt.date(2026, 10, 1),
                height_cm=Decimal("50"),
                delay_days=3,
            )

        errors = excinfo.value.message_dict
        assert "greater than or equal to 100" in " ".join(errors["height_cm"])
        assert any("before randomisation" in m for m in errors["start_date"])
        assert errors["delay_reason"] == ["Give the reason why the cycle was delayed."]
        assert not Cycle.objects.exists()


class TestIcCycles:
    def test_the_first_cycle_is_induction_with_its_mosteller_body_surface_area(
        self, ic_patient, investigator
    ) -> None:
        cycle = record_cycle(ic_patient, investigator, STARTS[0])

        assert (cycle.number, cycle.kind) == (1, "induction")
        assert cycle.bsa_m2 == Decimal("1.82")  # √(170 × 70 / 3600) = 1.818
        assert {d.drug for d in cycle.drugs.all()} == {"amsacrine", "cytarabine", "dexamethasone"}

    def test_induction_is_followed_by_up_to_three_consolidations(
        self, ic_patient, investigator
    ) -> None:
        cycles = [record_cycle(ic_patient, investigator, start) for start in STARTS[:4]]

        assert [c.kind for c in cycles] == ["induction"] + ["consolidation"] * 3

    def test_a_fifth_cycle_is_refused_with_a_clear_message(self, ic_patient, investigator) -> None:
        for start in STARTS[:4]:
            record_cycle(ic_patient, investigator, start)

        with pytest.raises(ValidationError) as refused:
            record_cycle(ic_patient, investigator, STARTS[4])

        assert "at most 3 consolidation cycles (4 in all); cycle 5 cannot be recorded" in (
            _messages(refused.value)
        )
        assert Cycle.objects.filter(patient=ic_patient).count() == 4


class TestAzaCycles:
    def test_cycles_are_numbered_and_go_on_past_four(self, aza_patient, investigator) -> None:
        cycles = [record_cycle(aza_patient, investigator, start, regimen="AZA") for start in STARTS]

        assert [c.number for c in cycles] == [1, 2, 3, 4, 5, 6]
        assert {c.kind for c in cycles} == {"azacitidine"}

    def test_no_cycle_after_progression(self, aza_patient, investigator) -> None:
        record_cycle(aza_patient, investigator, STARTS[0], regimen="AZA")
        response_record(
            patient=aza_patient,
            assessment_date=dt.date(2026, 11, 28),
            response="PD",
            marrow_blast_pct=Decimal("40"),
            by=investigator,
            now=NOW,
        )

        with pytest.raises(ValidationError) as refused:
            record_cycle(aza_patient, investigator, STARTS[1], regimen="AZA")

        assert "continues until progression" in _messages(refused.value)


class TestCycleDates:
    def test_no_cycle_for_a_patient_not_randomised(self, site_a, coordinator, investigator) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator)

        with pytest.raises(StateConflict, match="not randomised"):
            record_cycle(patient, investigator, STARTS[0])

    def test_no_cycle_starting_before_randomisation(self, ic_patient, investigator) -> None:
        with pytest.raises(ValidationError) as refused:
            record_cycle(ic_patient, investigator, dt.date(2026, 11, 1))

        assert "before randomisation: the patient was randomised on 2026-11-02" in _messages(
            refused.value
        )

    def test_start_dates_strictly_increase(self, ic_patient, investigator) -> None:
        record_cycle(ic_patient, investigator, STARTS[1])

        with pytest.raises(ValidationError) as refused:
            record_cycle(ic_patient, investigator, STARTS[1])

        assert "start dates must increase: cycle 1 started on 2026-12-01" in _messages(
            refused.value
        )

    def test_a_correction_cannot_move_a_cycle_past_the_next_one(
        self, ic_patient, investigator
    ) -> None:
        first = record_cycle(ic_patient, investigator, STARTS[0])
        record_cycle(ic_patient, investigator, STARTS[1])

        with pytest.raises(ValidationError, match="cycle 2 started"):
            record_cycle(ic_patient, investigator, STARTS[2], cycle=first, reason="Typo")

    def test_a_start_date_in_the_future_is_refused(self, ic_patient, investigator) -> None:
        with pytest.raises(ValidationError, match="in the future"):
            record_cycle(ic_patient, investigator, dt.date(2027, 9, 2))

    def test_no_cycle_after_the_end_of_treatment(self, ic_patient, investigator) -> None:
        record_cycle(ic_patient, investigator, STARTS[0])
        end_of_treatment_record(
            patient=ic_patient,
            end_date=STARTS[0],
            end_reason="toxicity",
            by=investigator,
            now=NOW,
        )

        with pytest.raises(StateConflict, match="treatment period ended on 2026-11-03"):
            record_cycle(ic_patient, investigator, STARTS[1])


class TestCycleCorrection:
    def test_a_correction_needs_a_reason(self, ic_patient, investigator) -> None:
        cycle = record_cycle(ic_patient, investigator, STARTS[0])

        with pytest.raises(ValidationError, match="reason"):
            record_cycle(ic_patient, investigator, STARTS[0], cycle=cycle, weight_kg=Decimal(80))

    def test_a_correction_recomputes_the_bsa_and_keeps_the_reason_in_history(
        self, ic_patient, investigator
    ) -> None:
        cycle = record_cycle(ic_patient, investigator, STARTS[0])

        record_cycle(
            ic_patient,
            investigator,
            STARTS[0],
            cycle=cycle,
            weight_kg=Decimal("80"),
            reason="Weight misread",
        )

        cycle.refresh_from_db()
        assert cycle.bsa_m2 == Decimal("1.94")
        latest = record_history(cycle)[0]
        assert latest.reason == "Weight misread"
        assert {c.field for c in latest.changes} >= {"weight_kg", "bsa_m2"}


class TestRegimen:
    def test_a_regimen_other_than_planned_needs_a_reason(self, ic_patient, investigator) -> None:
        with pytest.raises(ValidationError) as refused:
            record_cycle(ic_patient, investigator, STARTS[0], regimen="AZA")

        assert "planned regimen is IC" in _messages(refused.value)

    def test_a_regimen_change_with_a_reason_raises_a_deviation(
        self, ic_patient, investigator
    ) -> None:
        record_cycle(
            ic_patient,
            investigator,
            STARTS[0],
            regimen="AZA",
            regimen_change_reason="Cardiac function too poor for amsacrine",
        )

        deviation = ProtocolDeviation.objects.get(patient=ic_patient)
        assert deviation.kind == DeviationKind.REGIMEN_CHANGE
        assert "Cardiac function" in deviation.description

    def test_a_drug_of_another_regimen_is_refused(self, ic_patient, investigator) -> None:
        drugs = [*salvage("IC"), dose("azacitidine", "525")]

        with pytest.raises(ValidationError, match="Azacitidine is not part of the IC regimen"):
            record_cycle(ic_patient, investigator, STARTS[0], drugs=drugs)


class TestDexamethasone:
    def test_dexamethasone_in_the_control_arm_is_recorded_with_a_deviation(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = randomized_patient(site_a, coordinator, investigator, arm="CTRL")

        cycle = record_cycle(patient, investigator, STARTS[0], drugs=salvage("IC", dex=True))

        assert cycle.drugs.filter(drug="dexamethasone").exists()
        assert _open_deviations(patient) == {DeviationKind.DEXAMETHASONE_IN_CONTROL}

    def test_the_control_arm_without_dexamethasone_has_no_deviation(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = randomized_patient(site_a, coordinator, investigator, arm="CTRL")

        record_cycle(patient, investigator, STARTS[0], drugs=salvage("IC", dex=False))

        assert _open_deviations(patient) == set()

    def test_dexamethasone_missing_in_its_arm_raises_a_deviation(
        self, ic_patient, investigator
    ) -> None:
        record_cycle(ic_patient, investigator, STARTS[0], drugs=salvage("IC", dex=False))

        assert _open_deviations(ic_patient) == {DeviationKind.DEXAMETHASONE_MISSING}

    def test_a_correction_adding_the_dose_withdraws_the_deviation(
        self, ic_patient, investigator
    ) -> None:
        cycle = record_cycle(ic_patient, investigator, STARTS[0], drugs=salvage("IC", dex=False))

        record_cycle(ic_patient, investigator, STARTS[0], cycle=cycle, reason="Dose was given")

        assert _open_deviations(ic_patient) == set()
        assert ProtocolDeviation.objects.get(patient=ic_patient).entered_in_error


class TestDoses:
    def test_a_reduced_dose_needs_its_reason(self, ic_patient, investigator) -> None:
        drugs = [
            dose("amsacrine", "120", "90"),
            dose("cytarabine", "6000"),
            dose("dexamethasone", "160", unit="mg"),
        ]

        with pytest.raises(ValidationError, match="Amsacrine: give the reason why less"):
            record_cycle(ic_patient, investigator, STARTS[0], drugs=drugs)

    def test_a_reduced_dose_with_its_reason_is_recorded(self, ic_patient, investigator) -> None:
        drugs = [
            dose("amsacrine", "120", "90", reduction_reason="Grade 3 bilirubin"),
            dose("cytarabine", "6000", delayed=True, delay_reason="Infection"),
            dose("dexamethasone", "160", unit="mg"),
        ]

        cycle = record_cycle(ic_patient, investigator, STARTS[0], drugs=drugs)

        amsacrine = cycle.drugs.get(drug="amsacrine")
        assert amsacrine.reduced and amsacrine.reduction_reason == "Grade 3 bilirubin"
        assert cycle.drugs.get(drug="cytarabine").delayed

    def test_a_cycle_delay_needs_its_reason(self, ic_patient, investigator) -> None:
        with pytest.raises(ValidationError):
            record_cycle(ic_patient, investigator, STARTS[0], delay_days=7)


class TestCycleAccess:
    def test_a_coordinator_cannot_enter_cycles(self, ic_patient, coordinator) -> None:
        with pytest.raises(PermissionDenied):
            record_cycle(ic_patient, coordinator, STARTS[0])

    def test_an_investigator_of_another_site_cannot_enter_cycles(
        self, ic_patient, investigator_b
    ) -> None:
        with pytest.raises(PermissionDenied):
            record_cycle(ic_patient, investigator_b, STARTS[0])
