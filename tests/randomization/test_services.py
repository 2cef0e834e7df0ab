"""Randomising a patient, allocation lists and corrections (PROTOCOL.md "Randomisation")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from randomization import allocation, selectors, services
from randomization.models import (
    AllocationList,
    AllocationSlot,
    Method,
    Randomization,
    RandomizationCorrection,
)
from tests.factories import NOW, eligible_patient, enrolled_patient
from tests.randomization.conftest import active_list
from trial.exceptions import PermissionDenied, StateConflict
from trial.models import Baseline, Consent
from trial.selectors.history import record_history

pytestmark = pytest.mark.django_db


def _slots(allocation_list: AllocationList, key: str) -> list[AllocationSlot]:
    return list(
        AllocationSlot.objects.filter(
            stratum__allocation_list=allocation_list, stratum__key=key
        ).order_by("position")
    )


class TestPatientRandomize:
    def test_patient_gets_the_first_slot_of_the_stratum_with_who_and_when(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator, regimen="AZA")

        randomization = services.patient_randomize(patient=patient, by=coordinator, now=NOW)

        first = _slots(production_list, "AZA|first_relapse")[0]
        assert randomization.slot == first
        assert randomization.arm == first.arm
        assert randomization.randomization_number == "P1-0001"
        assert (randomization.randomized_by, randomization.randomized_at) == (coordinator, NOW)
        assert (randomization.stratum_regimen, randomization.stratum_disease_status) == (
            "AZA",
            "first_relapse",
        )
        assert randomization.created is True

    def test_successive_patients_take_slots_in_list_order(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        patients = [enrolled_patient(site_a, coordinator, investigator) for _ in range(3)]

        arms = [
            services.patient_randomize(patient=p, by=coordinator, now=NOW).arm for p in patients
        ]

        assert arms == [s.arm for s in _slots(production_list, "IC|first_relapse")[:3]]

    def test_repeated_request_returns_the_existing_allocation(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator)
        first = services.patient_randomize(patient=patient, by=coordinator, now=NOW)

        again = services.patient_randomize(patient=patient, by=investigator, now=NOW)

        assert again.pk == first.pk
        assert again.created is False
        assert Randomization.objects.count() == 1

    def test_a_second_allocation_for_a_patient_is_refused_by_the_database(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator)
        first = services.patient_randomize(patient=patient, by=coordinator, now=NOW)

        with pytest.raises(IntegrityError), transaction.atomic():
            Randomization.objects.create(
                patient=patient,
                arm="CTRL",
                randomization_number="X-1",
                randomized_at=NOW,
                randomized_by=coordinator,
                stratum_regimen="IC",
                stratum_disease_status="first_relapse",
            )
        assert Randomization.objects.get().pk == first.pk

    def test_eligible_but_not_enrolled_patient_is_refused(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)

        with pytest.raises(StateConflict, match="enrolled"):
            services.patient_randomize(patient=patient, by=coordinator, now=NOW)

        assert Randomization.objects.count() == 0

    def test_missing_stratification_value_is_refused_and_nothing_written(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator)
        Baseline.objects.filter(patient=patient).update(entered_in_error=True)

        with pytest.raises(ValidationError, match="salvage regimen"):
            services.patient_randomize(patient=patient, by=coordinator, now=NOW)

        assert Randomization.objects.count() == 0

    def test_consent_entered_in_error_is_refused_and_nothing_written(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator)
        Consent.objects.filter(patient=patient).update(entered_in_error=True)

        with pytest.raises(ValidationError, match="consent"):
            services.patient_randomize(patient=patient, by=coordinator, now=NOW)

        assert Randomization.objects.count() == 0

    @pytest.mark.postgresql
    def test_locks_the_patient_then_the_list_and_writes_only_under_the_list_lock(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        services.patient_randomize(
            patient=enrolled_patient(site_a, coordinator, investigator), by=coordinator, now=NOW
        )
        patient = enrolled_patient(site_a, coordinator, investigator)

        with CaptureQueriesContext(connection) as queries:
            services.patient_randomize(patient=patient, by=coordinator, now=NOW)

        statements = [q["sql"] for q in queries.captured_queries]
        locks = [s for s in statements if "FOR UPDATE" in s]
        assert len(locks) == 2
        assert locks[0].endswith('FOR UPDATE OF "trial_patient"')
        assert 'FROM "randomization_allocationlist"' in locks[1]
        list_lock = next(
            i for i, s in enumerate(statements) if "FOR UPDATE" in s and "allocationlist" in s
        )
        writes = [i for i, s in enumerate(statements) if s.startswith(("INSERT", "UPDATE"))]
        assert writes and min(writes) > list_lock
        # The result e-mail is written with the allocation (the outbox), in the same transaction.
        assert [statements[i].split()[2].strip('"') for i in writes] == [
            "randomization_randomization",
            "randomization_historicalrandomization",
            "trial_outboundmessage",
            "trial_historicaloutboundmessage",
        ]

    def test_empty_stratum_is_refused_without_revealing_the_list(
        self, site_a, coordinator, investigator, statistician
    ) -> None:
        active_list(statistician, slots=2, block_sizes=(2,))
        for _ in range(2):
            services.patient_randomize(
                patient=enrolled_patient(site_a, coordinator, investigator),
                by=coordinator,
                now=NOW,
            )
        patient = enrolled_patient(site_a, coordinator, investigator)

        with pytest.raises(StateConflict) as excinfo:
            services.patient_randomize(patient=patient, by=coordinator, now=NOW)

        message = excinfo.value.message
        assert "no allocation is available" in message
        assert not any(c.isdigit() for c in message)
        assert "DEX" not in message and "CTRL" not in message and "examethasone" not in message
        assert Randomization.objects.count() == 2

    def test_no_active_list_is_refused(self, site_a, coordinator, investigator) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator)

        with pytest.raises(StateConflict, match="no allocation list is active"):
            services.patient_randomize(patient=patient, by=coordinator, now=NOW)

    def test_coordinator_of_another_site_cannot_randomise(
        self, site_a, coordinator, investigator, coordinator_b, production_list
    ) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator)

        with pytest.raises(PermissionDenied):
            services.patient_randomize(patient=patient, by=coordinator_b, now=NOW)

    def test_statistician_cannot_randomise(
        self, site_a, coordinator, investigator, statistician, production_list
    ) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator)

        with pytest.raises(PermissionDenied):
            services.patient_randomize(patient=patient, by=statistician, now=NOW)

    def test_site_team_is_emailed_the_result(
        self, site_a, coordinator, investigator, production_list, django_capture_on_commit_callbacks
    ) -> None:
        coordinator.email, investigator.email = "coord@a.example", "inv@a.example"
        coordinator.save()
        investigator.save()
        patient = enrolled_patient(site_a, coordinator, investigator)

        with django_capture_on_commit_callbacks(execute=True):
            randomization = services.patient_randomize(patient=patient, by=coordinator, now=NOW)

        (message,) = mail.outbox
        assert sorted(message.to) == ["coord@a.example", "inv@a.example"]
        assert randomization.randomization_number in message.body
        assert randomization.get_arm_display() in message.body

    def test_low_stratum_warns_data_manager_and_statistician_only(
        self,
        site_a,
        coordinator,
        investigator,
        statistician,
        data_manager,
        django_capture_on_commit_callbacks,
    ) -> None:
        for user, address in ((statistician, "stat@x.org"), (data_manager, "dm@x.org")):
            user.email = address
            user.save()
        active_list(statistician, slots=4, block_sizes=(4,))
        patient = enrolled_patient(site_a, coordinator, investigator)

        with (
            override_settings(
                TRIAL_RANDOMIZATION={**settings.TRIAL_RANDOMIZATION, "LOW_SLOT_WARNING": 4}
            ),
            django_capture_on_commit_callbacks(execute=True),
        ):
            services.patient_randomize(patient=patient, by=coordinator, now=NOW)

        (warning,) = [m for m in mail.outbox if "unused slot" in m.subject]
        assert sorted(warning.to) == ["dm@x.org", "stat@x.org"]
        assert "IC|first_relapse" in warning.subject


class TestMinimization:
    def test_minimization_list_allocates_with_a_recorded_decision(
        self, site_a, coordinator, investigator, statistician
    ) -> None:
        active_list(statistician, code="M1", method=Method.MINIMIZATION, slots=0, probability=0.8)
        patients = [enrolled_patient(site_a, coordinator, investigator) for _ in range(4)]

        allocations = [
            services.patient_randomize(patient=p, by=coordinator, now=NOW) for p in patients
        ]

        assert [r.randomization_number for r in allocations] == [
            "M1-0001",
            "M1-0002",
            "M1-0003",
            "M1-0004",
        ]
        assert all(r.slot is None and r.minimization for r in allocations)
        assert allocations[0].minimization["preferred"] is None


class TestAllocationLists:
    def test_the_stored_list_is_exactly_what_the_seed_and_parameters_draw(
        self, statistician
    ) -> None:
        generated = services.allocation_list_generate(
            code="T1", purpose="test", seed="s1", block_sizes=[2, 4], factors=["regimen"],
            slots_per_stratum=10, by=statistician, now=NOW,
        )  # fmt: skip

        expected = [
            (key, d.position, d.block_number, d.block_size, d.arm)
            for key in ("AZA", "IC")
            for d in allocation.blocks_draw(seed="s1", key=key, block_sizes=[2, 4], slots=10)
        ]
        stored = [(r[0], r[4], r[5], r[6], r[7]) for r in selectors.slot_rows(generated)]
        assert stored == expected
        assert generated.checksum == selectors.list_checksum(generated)
        assert len(generated.checksum) == 64

    def test_a_seed_is_never_shared_between_lists(self, statistician) -> None:
        services.allocation_list_generate(
            code="T1", purpose="test", seed="same", block_sizes=[2], factors=["regimen"],
            slots_per_stratum=2, by=statistician, now=NOW,
        )  # fmt: skip

        with pytest.raises(ValidationError, match="seed"):
            services.allocation_list_generate(
                code="P1", purpose="production", seed="same", block_sizes=[2],
                factors=["regimen"], slots_per_stratum=2, by=statistician, now=NOW,
            )  # fmt: skip

    def test_test_list_cannot_be_activated_in_production(self, statistician) -> None:
        test_list = services.allocation_list_generate(
            code="T1", purpose="test", seed="t", block_sizes=[2], factors=["regimen"],
            slots_per_stratum=2, by=statistician, now=NOW,
        )  # fmt: skip

        with pytest.raises(ValidationError, match="test list"):
            services.allocation_list_activate(
                allocation_list=test_list, by=statistician, reason="try"
            )

    def test_active_test_list_is_never_used_where_test_lists_are_off(
        self, site_a, coordinator, investigator, statistician
    ) -> None:
        test_list = services.allocation_list_generate(
            code="T1", purpose="test", seed="t", block_sizes=[2],
            factors=["regimen", "disease_status"], slots_per_stratum=2, by=statistician, now=NOW,
        )  # fmt: skip
        AllocationList.objects.filter(pk=test_list.pk).update(active=True)
        patient = enrolled_patient(site_a, coordinator, investigator)

        with pytest.raises(StateConflict, match="test list"):
            services.patient_randomize(patient=patient, by=coordinator, now=NOW)

    def test_only_one_list_is_active(self, statistician) -> None:
        first = active_list(statistician, code="P1", seed="a")
        second = active_list(statistician, code="P2", seed="b")

        first.refresh_from_db()
        assert (first.active, second.active) == (False, True)

    def test_coordinator_cannot_generate_a_list(self, coordinator) -> None:
        with pytest.raises(PermissionDenied):
            services.allocation_list_generate(
                code="P1", purpose="production", seed="x", block_sizes=[2],
                factors=["regimen"], slots_per_stratum=2, by=coordinator, now=NOW,
            )  # fmt: skip

    def test_append_adds_blocks_without_touching_used_slots(
        self, site_a, coordinator, investigator, statistician
    ) -> None:
        allocation_list = active_list(statistician, slots=4, block_sizes=(2, 4))
        services.patient_randomize(
            patient=enrolled_patient(site_a, coordinator, investigator), by=coordinator, now=NOW
        )
        before = [(s.pk, s.position, s.arm) for s in _slots(allocation_list, "IC|first_relapse")]

        added = services.allocation_list_append(
            allocation_list=allocation_list, slots=4, reason="Recruitment above plan",
            by=statistician, key="IC|first_relapse",
        )  # fmt: skip

        after = _slots(allocation_list, "IC|first_relapse")
        assert added >= 4
        assert [(s.pk, s.position, s.arm) for s in after[: len(before)]] == before
        assert [s.position for s in after] == list(range(1, len(after) + 1))
        assert after[-1].append_reason == "Recruitment above plan"
        allocation_list.refresh_from_db()
        report = selectors.allocation_list_verify(allocation_list)
        assert report.ok, report.problems

    def test_append_needs_a_reason(self, statistician) -> None:
        allocation_list = active_list(statistician)

        with pytest.raises(ValidationError, match="reason"):
            services.allocation_list_append(
                allocation_list=allocation_list, slots=4, reason=" ", by=statistician
            )

    def test_used_slot_cannot_be_changed(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        randomization = services.patient_randomize(
            patient=enrolled_patient(site_a, coordinator, investigator), by=coordinator, now=NOW
        )
        slot = AllocationSlot.objects.get(pk=randomization.slot_id)
        slot.arm = "CTRL" if slot.arm == "DEX" else "DEX"

        with pytest.raises(ValidationError, match="used allocation slot"):
            slot.save()
        with pytest.raises(Exception, match="used allocation slot"), transaction.atomic():
            AllocationSlot.objects.filter(pk=slot.pk).update(arm=slot.arm)

    def test_allocation_cannot_be_changed_even_by_sql(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        randomization = services.patient_randomize(
            patient=enrolled_patient(site_a, coordinator, investigator), by=coordinator, now=NOW
        )

        with pytest.raises(Exception, match="cannot be changed"), transaction.atomic():
            Randomization.objects.filter(pk=randomization.pk).update(arm="XX")
        with pytest.raises(Exception, match="never deleted"), transaction.atomic():
            Randomization.objects.filter(pk=randomization.pk).delete()

    def test_export_then_import_gives_the_same_list(self, statistician) -> None:
        original = active_list(statistician, code="P1", seed="exp")
        text = selectors.allocation_list_csv(original)
        AllocationList.objects.filter(pk=original.pk).update(code="OLD", seed="old")

        imported = services.allocation_list_import(text=text, by=statistician, now=NOW)

        assert imported.code == "P1"
        assert imported.active is False
        assert selectors.allocation_list_csv(imported) == text
        assert selectors.allocation_list_verify(imported).ok

    def test_import_of_a_tampered_file_is_refused(self, statistician) -> None:
        original = active_list(statistician, code="P1", seed="exp")
        text = selectors.allocation_list_csv(original)
        AllocationList.objects.filter(pk=original.pk).update(code="OLD", seed="old")
        lines = text.splitlines()
        row = next(i for i, line in enumerate(lines) if line.endswith(",DEX,0"))
        lines[row] = lines[row].replace(",DEX,0", ",CTRL,0")

        with pytest.raises(ValidationError, match="checksum"):
            services.allocation_list_import(text="\n".join(lines), by=statistician, now=NOW)

    def test_verify_reports_use_per_stratum(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        services.patient_randomize(
            patient=enrolled_patient(site_a, coordinator, investigator), by=coordinator, now=NOW
        )

        report = selectors.allocation_list_verify(production_list)

        assert report.ok
        usage = {s.key: (s.used, s.unused) for s in report.strata}
        assert usage["IC|first_relapse"][0] == 1
        assert usage["AZA|refractory"][0] == 0


class TestRandomizationCorrect:
    def test_sponsor_admin_records_a_correction_and_the_allocation_stands(
        self, site_a, coordinator, investigator, sponsor_admin, production_list
    ) -> None:
        randomization = services.patient_randomize(
            patient=enrolled_patient(site_a, coordinator, investigator), by=coordinator, now=NOW
        )

        correction = services.randomization_correct(
            randomization=randomization, kind="wrong_stratum", reason="Regimen was AZA",
            correct_regimen="AZA", by=sponsor_admin, now=NOW,
        )  # fmt: skip

        randomization.refresh_from_db()
        assert randomization.arm == correction.randomization.arm
        assert randomization.stratum_regimen == "IC"
        assert record_history(correction)[0].reason == "Correction: Regimen was AZA"
        assert Randomization.objects.count() == 1

    def test_correction_needs_a_reason_and_a_sponsor_admin(
        self, site_a, coordinator, investigator, sponsor_admin, production_list
    ) -> None:
        randomization = services.patient_randomize(
            patient=enrolled_patient(site_a, coordinator, investigator), by=coordinator, now=NOW
        )

        with pytest.raises(ValidationError):
            services.randomization_correct(
                randomization=randomization, kind="other", reason="", by=sponsor_admin, now=NOW
            )
        with pytest.raises(PermissionDenied):
            services.randomization_correct(
                randomization=randomization, kind="other", reason="x", by=coordinator, now=NOW
            )
        assert RandomizationCorrection.objects.count() == 0


class TestFirstRandomizationFixesTheEndOfStudy:
    def test_the_first_randomisation_fixes_end_of_study_five_years_later_and_later_ones_keep_it(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        from randomization.models import TrialCalendar

        first = enrolled_patient(site_a, coordinator, investigator)
        second = enrolled_patient(site_a, coordinator, investigator)

        services.patient_randomize(patient=first, by=coordinator, now=NOW)
        services.patient_randomize(patient=second, by=coordinator, now=NOW + dt.timedelta(days=40))

        calendar = TrialCalendar.objects.get()
        assert calendar.first_randomized_on == NOW.date()
        assert calendar.end_of_study == NOW.date().replace(year=NOW.year + 5)
        assert calendar.history.count() == 1
