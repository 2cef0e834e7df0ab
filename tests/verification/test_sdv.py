"""Source-data verification: marks, un-verification by a later change, the plan and progress."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.verification.conftest import NOW, correct_weight
from trial.exceptions import PermissionDenied
from trial.models import Consent
from verification.models import SdvMark
from verification.rules import VerificationRules
from verification.selectors import patient_form_matrix, patient_sdv_progress, sdv_progress_by_site
from verification.services.sdv import sdv_mark


def _row(patient, key):
    return next(row for row in patient_form_matrix(patient) if row.key == key)


class TestSdvMark:
    def test_a_monitor_verifies_a_record_and_the_form_shows_verified(self, patient, monitor):
        consent = Consent.objects.get(patient=patient)

        sdv_mark(record=consent, by=monitor, now=NOW)

        row = _row(patient, "consent")
        assert row.verified and row.status == "verified"
        assert consent.history.count() == 1  # verifying writes no change to the record

    def test_a_coordinator_may_not_verify(self, patient, coordinator):
        with pytest.raises(PermissionDenied):
            sdv_mark(record=Consent.objects.get(patient=patient), by=coordinator, now=NOW)

    def test_an_unknown_field_is_refused(self, patient, monitor):
        with pytest.raises(ValidationError) as error:
            sdv_mark(record=Consent.objects.get(patient=patient), by=monitor, now=NOW, fields=["x"])

        assert "fields" in error.value.message_dict


class TestUnverifiedByAChange:
    def test_a_verified_field_changed_is_unverified_with_the_reason(
        self, cycles, monitor, investigator
    ):
        cycle = cycles[0]
        sdv_mark(record=cycle, by=monitor, now=NOW, fields=["weight_kg", "height_cm"])

        correct_weight(cycle, investigator, "80", reason="Weighed again")

        weight = SdvMark.objects.get(field_name="weight_kg", object_id=cycle.pk)
        height = SdvMark.objects.get(field_name="height_cm", object_id=cycle.pk)
        assert weight.unverified_at is not None
        assert "Weight" in weight.unverified_reason and "Weighed again" in weight.unverified_reason
        assert "inv_a" in weight.unverified_reason
        assert height.unverified_at is None  # a field that did not change stays verified

    def test_a_whole_record_mark_ends_on_any_change_and_the_form_is_no_longer_verified(
        self, cycles, monitor, investigator
    ):
        cycle = cycles[0]
        sdv_mark(record=cycle, by=monitor, now=NOW)
        assert patient_form_matrix(cycle.patient)[0] is not None

        correct_weight(cycle, investigator, "81")

        mark = SdvMark.objects.get(field_name="", object_id=cycle.pk)
        assert mark.unverified_at is not None and mark.history.count() == 2
        assert not _row(cycle.patient, f"cycle-{cycle.pk}").records[0].verified

    def test_verifying_again_adds_a_new_mark(self, cycles, monitor, investigator):
        cycle = cycles[0]
        sdv_mark(record=cycle, by=monitor, now=NOW)
        correct_weight(cycle, investigator, "82")

        sdv_mark(record=cycle, by=monitor, now=NOW)

        assert SdvMark.objects.filter(object_id=cycle.pk).count() == 2
        assert _row(cycle.patient, f"cycle-{cycle.pk}").records[0].verified


class TestPlan:
    def test_always_kinds_are_required_and_others_follow_a_stable_seeded_sample(self, settings):
        rules = VerificationRules.from_settings()

        assert rules.sdv_required(label="trial.consent", pk=7, site_id=1)
        assert rules.sdv_required(label="treatment.adverseevent", pk=7, site_id=1, serious=True)
        drawn = [rules.sdv_required(label="treatment.cycle", pk=pk, site_id=1) for pk in range(400)]
        assert 40 <= sum(drawn) <= 120  # about 20% of 400
        again = [rules.sdv_required(label="treatment.cycle", pk=pk, site_id=1) for pk in range(400)]
        other_site = [
            rules.sdv_required(label="treatment.cycle", pk=pk, site_id=2) for pk in range(400)
        ]
        assert drawn == again and drawn != other_site

    def test_progress_counts_what_the_plan_requires_and_the_worklist_what_remains(
        self, patient, monitor, settings
    ):
        settings.TRIAL_VERIFICATION = {**settings.TRIAL_VERIFICATION, "SDV_SAMPLE_PERCENT": 0}
        before = patient_sdv_progress(patient_form_matrix(patient))

        sdv_mark(record=Consent.objects.get(patient=patient), by=monitor, now=NOW)

        after = sdv_progress_by_site(monitor)[0]
        assert before.verified == 0 and before.required >= 2  # consent, eligibility, randomisation
        assert after.progress.verified == 1
        assert after.progress.to_verify == before.required - 1
        assert len(after.worklist) == after.progress.to_verify
        assert all(item.record.label != "trial.consent" for item in after.worklist)
