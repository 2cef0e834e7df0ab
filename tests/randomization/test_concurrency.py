"""Simultaneous randomisations on PostgreSQL: distinct consecutive slots, one allocation each."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection

from randomization import services
from randomization.models import AllocationSlot, Randomization
from tests.factories import NOW, enrolled_patient
from tests.randomization.conftest import active_list
from trial.models import Patient

pytestmark = pytest.mark.postgresql


def _simultaneously(calls: list[Callable[[], object]]) -> tuple[list[object], list[BaseException]]:
    """Run the calls in threads released together; each thread closes its own connection."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(call: Callable[[], object]) -> None:
        try:
            barrier.wait()
            result = call()
            with lock:
                results.append(result)
        except BaseException as error:
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.mark.django_db(transaction=True)
class TestPatientRandomizeConcurrency:
    def test_fifty_simultaneous_patients_get_fifty_distinct_consecutive_slots(
        self, site_a, coordinator, investigator, statistician
    ) -> None:
        allocation_list = active_list(statistician, slots=60)
        patients = [enrolled_patient(site_a, coordinator, investigator) for _ in range(50)]

        def randomize(pk: int) -> Callable[[], object]:
            return lambda: services.patient_randomize(
                patient=Patient.objects.get(pk=pk), by=coordinator, now=NOW
            )

        results, errors = _simultaneously([randomize(p.pk) for p in patients])

        assert errors == []
        assert len(results) == 50
        used = sorted(
            AllocationSlot.objects.filter(
                stratum__allocation_list=allocation_list, randomization__isnull=False
            ).values_list("stratum__key", "position")
        )
        assert used == [("IC|first_relapse", n) for n in range(1, 51)]
        sequences = sorted(s or 0 for s in Randomization.objects.values_list("sequence", flat=True))
        assert sequences == list(range(1, 51))

    def test_twenty_simultaneous_requests_for_one_patient_make_one_allocation(
        self, site_a, coordinator, investigator, statistician
    ) -> None:
        active_list(statistician, slots=10)
        patient = enrolled_patient(site_a, coordinator, investigator)

        def randomize() -> object:
            return services.patient_randomize(
                patient=Patient.objects.get(pk=patient.pk), by=coordinator, now=NOW
            )

        results, errors = _simultaneously([randomize] * 20)

        assert errors == []
        assert Randomization.objects.count() == 1
        assert {r.pk for r in results} == {Randomization.objects.get().pk}
        assert sum(1 for r in results if r.created) == 1
