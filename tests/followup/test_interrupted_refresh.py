"""A refresh cut off halfway (a worker killed, a database lost) leaves every batch either done
or untouched, and running it again completes the work (PROTOCOL.md "Post-treatment follow-up")."""

from __future__ import annotations

import datetime as dt

import pytest

from followup.models import Visit
from followup.services import refresh
from tests.followup.conftest import followup_patient

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2028, 3, 1)


class WorkerKilled(BaseException):
    """Stands for the process dying: not an Exception, so nothing in the service catches it."""


class TestInterruptedRefresh:
    def test_batches_done_stay_done_the_cut_one_is_untouched_and_a_rerun_completes(
        self, site_a, coordinator, investigator, monkeypatch
    ) -> None:
        patients = [followup_patient(site_a, coordinator, investigator) for _ in range(6)]
        real_batch, calls = refresh.visits_refresh_batch, []

        def dying_batch(**kwargs):
            calls.append(kwargs["patient_ids"])
            result = real_batch(**kwargs)
            if len(calls) == 2:  # dies right after batch 2 has committed
                raise WorkerKilled
            return result

        monkeypatch.setattr(refresh, "visits_refresh_batch", dying_batch)
        with pytest.raises(WorkerKilled):
            refresh.visits_refresh(today=AS_OF, batch_size=2)
        done_first = set(Visit.objects.values_list("patient_id", flat=True))
        monkeypatch.setattr(refresh, "visits_refresh_batch", real_batch)

        rerun = refresh.visits_refresh(today=AS_OF, batch_size=2)
        again = refresh.visits_refresh(today=AS_OF, batch_size=2)

        assert done_first == set(calls[0]) | set(calls[1])
        per_patient = {
            p.pk: list(
                Visit.objects.filter(patient=p).order_by("number").values_list("number", flat=True)
            )
            for p in patients
        }
        assert all(
            numbers == list(range(1, len(numbers) + 1)) and numbers
            for numbers in per_patient.values()
        )
        assert len(set(map(len, per_patient.values()))) == 1  # same stage, same schedule
        assert (
            rerun.created
            == sum(map(len, per_patient.values()))
            - Visit.objects.filter(patient_id__in=done_first).count()
        )
        assert (again.created, again.updated, again.cancelled) == (0, 0, 0)

    def test_a_batch_cut_inside_its_transaction_writes_nothing(
        self, site_a, coordinator, investigator, monkeypatch
    ) -> None:
        patient = followup_patient(site_a, coordinator, investigator)

        def dying_update(*args, **kwargs):
            raise WorkerKilled

        # Visits are inserted, then the batch dies before its updates: all of it rolls back.
        monkeypatch.setattr(refresh, "visits_update", dying_update)
        with pytest.raises(WorkerKilled):
            refresh.visits_refresh(today=AS_OF)

        assert not Visit.objects.filter(patient=patient).exists()
        assert not Visit.history.filter(patient_id=patient.pk).exists()
