"""The investigator's signature (21 CFR 11.50) and how a later change breaks it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tests.factories import randomized_patient
from tests.treatment.test_builders import NOW, STARTS, record_cycle
from treatment.models import CtcaeTerm, Signature
from treatment.selectors import current_signature
from treatment.services import adverse_event_record, treatment_sign
from trial.exceptions import PermissionDenied, StateConflict

PASSWORD = "pass-word-123"  # tests.factories.UserFactory


@pytest.fixture
def patient(site_a, coordinator, investigator):
    patient = randomized_patient(site_a, coordinator, investigator)
    record_cycle(patient, investigator, STARTS[0])
    return patient


def _sign(patient, by, *, password=PASSWORD, now=NOW):
    return treatment_sign(patient=patient, password=password, meaning="approval", by=by, now=now)


class TestTreatmentSign:
    def test_it_records_name_time_and_meaning(self, patient, investigator) -> None:
        signature = _sign(patient, investigator)

        assert signature.signer_name == investigator.get_full_name()
        assert signature.signed_at == NOW
        assert signature.get_meaning_display().startswith("I approve")
        assert signature.valid

    def test_a_wrong_password_signs_nothing(self, patient, investigator) -> None:
        with pytest.raises(ValidationError, match="password is not correct"):
            _sign(patient, investigator, password="guess")

        assert not Signature.objects.exists()

    def test_a_coordinator_cannot_sign(self, patient, coordinator) -> None:
        with pytest.raises(PermissionDenied):
            _sign(patient, coordinator)

    def test_unchanged_records_are_not_signed_twice(self, patient, investigator) -> None:
        _sign(patient, investigator)

        with pytest.raises(StateConflict, match="have not changed since"):
            _sign(patient, investigator)


class TestSignatureBroken:
    def test_a_later_cycle_correction_breaks_it(self, patient, investigator) -> None:
        signature = _sign(patient, investigator)
        cycle = patient.cycles.get()

        record_cycle(
            patient,
            investigator,
            STARTS[0],
            cycle=cycle,
            reason="Height corrected",
            height_cm=171,
            now=NOW + dt.timedelta(days=1),
        )

        signature.refresh_from_db()
        assert not signature.valid
        assert signature.broken_at == NOW + dt.timedelta(days=1)
        assert "Cycle 1 changed" in signature.broken_reason

    def test_a_new_adverse_event_breaks_it(self, patient, investigator) -> None:
        _sign(patient, investigator)

        adverse_event_record(
            patient=patient,
            term=CtcaeTerm.objects.get(term="Nausea"),
            term_text="",
            grade=1,
            start_date=dt.date(2026, 11, 5),
            end_date=None,
            relation_dexamethasone="not_related",
            relation_salvage="possible",
            serious=False,
            by=investigator,
            now=NOW,
        )

        assert not current_signature(patient).valid

    def test_signing_again_gives_a_valid_signature(self, patient, investigator) -> None:
        _sign(patient, investigator)
        record_cycle(patient, investigator, STARTS[1])

        again = _sign(patient, investigator, now=NOW + dt.timedelta(hours=1))

        assert current_signature(patient) == again and again.valid
        assert Signature.objects.filter(patient=patient).count() == 2
