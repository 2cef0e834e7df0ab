"""The relapse record (docs/protocol.md "Relapse"): one per patient, only after CR/CRi, recorded
by one service from the response assessment, the end of treatment or the relapse form, with
its history; and how EFS, RFS and CIR read it, a relapse on the day of death included."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from analysis.datasets import wide_frame
from analysis.derive import CompetingEvent
from analysis.gather import trial_facts_gather
from tests.analysis.endpoints import patient_competing_event, patient_endpoints
from tests.factories import randomized_patient
from tests.treatment.test_builders import NOW, STARTS, record_cycle
from treatment.models import Relapse, RelapseFoundAt
from treatment.selectors import disease_course
from treatment.services import (
    RelapseFinding,
    end_of_treatment_record,
    relapse_record,
    relapse_withdraw,
    response_record,
    treatment_sign,
)
from trial.audit import record_save
from trial.exceptions import PermissionDenied, StateConflict
from trial.models import Death
from trial.selectors.history import record_history

CR_ON = dt.date(2026, 11, 28)
MARROW_30 = RelapseFinding(bone_marrow=True, marrow_blast_pct=Decimal("30"))


@pytest.fixture
def patient(site_a, coordinator, investigator):
    patient = randomized_patient(site_a, coordinator, investigator, regimen="IC")
    record_cycle(patient, investigator, STARTS[0])
    return patient


@pytest.fixture
def in_cr(patient, investigator):
    _assess(patient, investigator, CR_ON, "CR", "2")
    return patient


def _assess(patient, by, day, response, blasts, assessment=None, reason="", **relapse):
    return response_record(
        patient=patient,
        assessment_date=day,
        response=response,
        marrow_blast_pct=None if blasts is None else Decimal(blasts),
        by=by,
        now=NOW,
        assessment=assessment,
        reason=reason,
        **relapse,
    )


def _relapse(patient, by, day, finding=MARROW_30, **kw):
    return relapse_record(
        patient=patient,
        relapse_date=day,
        finding=finding,
        found_at=kw.pop("found_at", RelapseFoundAt.RELAPSE_FORM),
        by=by,
        now=NOW,
        **kw,
    )


class TestRelapseRecord:
    def test_a_relapse_before_any_remission_is_refused_naming_the_rule(
        self, patient, investigator
    ) -> None:
        _assess(patient, investigator, dt.date(2026, 11, 28), "PR", "12")

        with pytest.raises(ValidationError) as error:
            _relapse(patient, investigator, dt.date(2027, 1, 5))

        (message,) = error.value.messages
        assert message.startswith("A relapse requires a previous CR/CRi (ELN 2017)")
        assert "refractory or progressive disease, not relapse" in message
        assert not Relapse.objects.exists()

    def test_a_relapse_on_the_day_of_the_remission_is_refused(self, in_cr, investigator) -> None:
        with pytest.raises(ValidationError, match="previous CR/CRi"):
            _relapse(in_cr, investigator, CR_ON)

    def test_how_it_was_established_follows_eln_2017(self, in_cr, investigator) -> None:
        cases = [
            (RelapseFinding(), "at least one"),
            (RelapseFinding(bone_marrow=True, marrow_blast_pct=Decimal("4.9")), "≥ 5% marrow"),
            (RelapseFinding(bone_marrow=True), "marrow blast percentage"),
            (RelapseFinding(extramedullary=True), "site of the extramedullary disease"),
        ]
        for finding, message in cases:
            with pytest.raises(ValidationError, match=message):
                _relapse(in_cr, investigator, dt.date(2027, 1, 5), finding)

    def test_the_patient_has_one_relapse(self, in_cr, investigator) -> None:
        _relapse(in_cr, investigator, dt.date(2027, 1, 5))

        with pytest.raises(StateConflict, match="already recorded on 2027-01-05"):
            _relapse(in_cr, investigator, dt.date(2027, 2, 1))

    def test_it_cannot_follow_death_but_may_fall_on_its_day(self, in_cr, investigator) -> None:
        record_save(
            instance=Death(patient=in_cr, death_date=dt.date(2027, 2, 23), cause="leukaemia"),
            by=investigator,
        )

        with pytest.raises(ValidationError, match="died on 2027-02-23"):
            _relapse(in_cr, investigator, dt.date(2027, 2, 24))
        relapse = _relapse(in_cr, investigator, dt.date(2027, 2, 23))

        assert relapse.relapse_date == dt.date(2027, 2, 23)

    def test_the_site_team_records_it_and_a_monitor_may_not(
        self, in_cr, coordinator, monitor
    ) -> None:
        with pytest.raises(PermissionDenied):
            _relapse(in_cr, monitor, dt.date(2027, 1, 5))
        relapse = _relapse(in_cr, coordinator, dt.date(2027, 1, 5))

        assert relapse.recorded_by == coordinator

    def test_recording_it_breaks_the_signature(self, in_cr, investigator) -> None:
        treatment_sign(
            patient=in_cr, by=investigator, password="pass-word-123", meaning="review", now=NOW
        )

        _relapse(in_cr, investigator, dt.date(2027, 1, 5))

        signature = in_cr.signatures.get()
        assert "Relapse of 2027-01-05 added by inv_a" in signature.broken_reason

    def test_a_correction_needs_a_reason_and_is_kept_in_its_history(
        self, in_cr, investigator, coordinator
    ) -> None:
        relapse = _relapse(in_cr, investigator, dt.date(2027, 1, 5))
        correction = RelapseFinding(
            bone_marrow=True, marrow_blast_pct=Decimal("30"), peripheral_blood=True
        )

        with pytest.raises(ValidationError, match="reason"):
            _relapse(in_cr, coordinator, dt.date(2027, 1, 4), correction, relapse=relapse)
        _relapse(
            in_cr,
            coordinator,
            dt.date(2027, 1, 4),
            correction,
            relapse=relapse,
            reason="Blasts were in the blood the day before the marrow",
        )

        latest, created = record_history(Relapse.objects.get(pk=relapse.pk))
        assert (latest.who, latest.kind) == ("coord_a", "changed")
        assert latest.reason == "Blasts were in the blood the day before the marrow"
        changes = {c.field: (c.old, c.new) for c in latest.changes}
        assert changes == {
            "relapse_date": ("2027-01-05", "2027-01-04"),
            "peripheral_blood": ("No", "Yes"),
        }
        assert (created.who, created.kind) == ("inv_a", "created")
        assert Relapse.objects.get(pk=relapse.pk).recorded_by == investigator


class TestTheResponseAssessment:
    def test_relapse_after_cr_records_the_relapse(self, in_cr, investigator) -> None:
        assessment = _assess(in_cr, investigator, dt.date(2027, 1, 5), "REL", "30")

        relapse = Relapse.objects.get(patient=in_cr)
        assert (relapse.relapse_date, relapse.found_at, relapse.assessment) == (
            dt.date(2027, 1, 5),
            RelapseFoundAt.RESPONSE,
            assessment,
        )
        assert relapse.established_by == "bone marrow (30.0% blasts)"
        assert disease_course(in_cr).summary.startswith("Relapse on 2027-01-05")

    def test_the_marrow_rule_is_five_percent_unless_blood_or_extramedullary(
        self, in_cr, investigator
    ) -> None:
        with pytest.raises(ValidationError) as error:
            _assess(in_cr, investigator, dt.date(2027, 1, 5), "REL", "3")
        assert "needs ≥ 5% marrow blasts" in error.value.message_dict["marrow_blast_pct"][0]

        _assess(in_cr, investigator, dt.date(2027, 1, 5), "REL", "3", peripheral_blood=True)

        relapse = Relapse.objects.get(patient=in_cr)
        assert (relapse.bone_marrow, relapse.peripheral_blood) == (False, True)

    def test_progressive_disease_in_a_patient_in_cr_is_refused_as_a_relapse(
        self, in_cr, investigator
    ) -> None:
        with pytest.raises(ValidationError) as error:
            _assess(in_cr, investigator, dt.date(2027, 1, 5), "PD", "30")

        assert error.value.message_dict["response"] == [
            "The patient is in Complete remission (CR) since 2026-11-28: disease after CR/CRi is a relapse "
            "(ELN 2017). Choose “Relapse after CR/CRi”."
        ]

    def test_relapse_before_any_cr_is_refused_beside_the_response(
        self, patient, investigator
    ) -> None:
        with pytest.raises(ValidationError) as error:
            _assess(patient, investigator, dt.date(2026, 12, 1), "REL", "40")

        assert "requires a previous CR/CRi" in error.value.message_dict["response"][0]

    def test_correcting_the_assessment_corrects_its_relapse(self, in_cr, investigator) -> None:
        rel = _assess(in_cr, investigator, dt.date(2027, 1, 5), "REL", "30")

        _assess(
            in_cr, investigator, dt.date(2027, 1, 6), "REL", "35", rel, reason="Date of the smear"
        )

        relapse = Relapse.objects.get(patient=in_cr)
        assert (relapse.relapse_date, relapse.marrow_blast_pct) == (dt.date(2027, 1, 6), 35)
        assert relapse.history.first().history_change_reason == "Date of the smear"

    def test_a_remission_after_all_withdraws_the_relapse_it_reported(
        self, in_cr, investigator
    ) -> None:
        rel = _assess(in_cr, investigator, dt.date(2027, 1, 5), "REL", "30")

        _assess(in_cr, investigator, dt.date(2027, 1, 5), "CR", "3", rel, reason="Misread slide")

        relapse = Relapse.objects.get(patient=in_cr)
        assert relapse.entered_in_error
        assert relapse.history.first().history_change_reason == "Entered in error: Misread slide"
        assert disease_course(in_cr).in_remission


class TestWithdrawal:
    def test_needs_a_reason_and_no_assessment_reporting_it(self, in_cr, investigator) -> None:
        _assess(in_cr, investigator, dt.date(2027, 1, 5), "REL", "30")
        relapse = Relapse.objects.get(patient=in_cr)

        with pytest.raises(ValidationError, match="reason"):
            relapse_withdraw(relapse=relapse, by=investigator, now=NOW, reason=" ")
        with pytest.raises(ValidationError, match="assessment of 2027-01-05 reports this relapse"):
            relapse_withdraw(relapse=relapse, by=investigator, now=NOW, reason="No relapse")

    def test_the_page_marks_it_entered_in_error(self, in_cr, investigator) -> None:
        _relapse(in_cr, investigator, dt.date(2027, 1, 5))
        client = Client()
        client.force_login(investigator)

        response = client.post(
            f"/patients/{in_cr.pk}/treatment/relapse/entered-in-error/",
            {"reason": "Entered for the wrong patient"},
        )

        assert response.status_code == 302
        assert Relapse.objects.get(patient=in_cr).entered_in_error
        assert disease_course(in_cr).relapse is None


class TestTheEndOfTreatment:
    def test_progression_in_cr_asks_for_the_relapse(self, in_cr, investigator) -> None:
        with pytest.raises(ValidationError) as error:
            end_of_treatment_record(
                patient=in_cr,
                end_date=STARTS[2],
                end_reason="progression",
                by=investigator,
                now=NOW,
            )

        assert error.value.message_dict["relapse_date"] == [
            "The patient is in Complete remission (CR) since 2026-11-28: progression after CR/CRi is a relapse "
            "(ELN 2017). Give the date of the relapse and how it was established."
        ]

    def test_progression_without_remission_is_not_a_relapse(self, patient, investigator) -> None:
        end_of_treatment_record(
            patient=patient, end_date=STARTS[2], end_reason="progression", by=investigator, now=NOW
        )

        assert not Relapse.objects.exists()

    def test_the_relapse_it_finds_is_recorded_with_it(self, in_cr, investigator) -> None:
        end_of_treatment_record(
            patient=in_cr,
            end_date=STARTS[2],
            end_reason="progression",
            relapse_date=dt.date(2027, 1, 2),
            relapse_finding=MARROW_30,
            by=investigator,
            now=NOW,
        )

        relapse = Relapse.objects.get(patient=in_cr)
        assert (relapse.relapse_date, relapse.found_at) == (
            dt.date(2027, 1, 2),
            RelapseFoundAt.END_OF_TREATMENT,
        )

    def test_the_relapse_cannot_be_after_the_end(self, in_cr, investigator) -> None:
        with pytest.raises(ValidationError, match="cannot be after its end"):
            end_of_treatment_record(
                patient=in_cr,
                end_date=STARTS[2],
                end_reason="progression",
                relapse_date=STARTS[2] + dt.timedelta(days=1),
                relapse_finding=MARROW_30,
                by=investigator,
                now=NOW,
            )

    def test_a_recorded_relapse_is_enough(self, in_cr, investigator) -> None:
        _assess(in_cr, investigator, dt.date(2027, 1, 5), "REL", "30")

        eot = end_of_treatment_record(
            patient=in_cr, end_date=STARTS[2], end_reason="progression", by=investigator, now=NOW
        )

        assert eot.reason == "progression"
        assert Relapse.objects.filter(patient=in_cr).count() == 1


class TestRelapseOnTheDayOfDeath:
    """Randomised 2026-11-02, CR 2026-11-28, relapse and death both on 2027-02-23.

    2026-11-02 → 2027-02-23 is 28 + 1 (to 1 December) + 31 + 31 + 22 = 113 days; from the CR,
    2026-11-28 → 2027-02-23 is 2 + 1 + 31 + 31 + 22 = 87 days.
    """

    def test_relapse_is_the_event_of_efs_rfs_and_cir(self, in_cr, investigator) -> None:
        record_save(
            instance=Death(patient=in_cr, death_date=dt.date(2027, 2, 23), cause="leukaemia"),
            by=investigator,
        )
        _relapse(in_cr, investigator, dt.date(2027, 2, 23), RelapseFinding(peripheral_blood=True))
        cutoff = dt.date(2027, 6, 30)

        (facts,) = trial_facts_gather(cutoff=cutoff).patients
        rows = patient_endpoints(facts, cutoff)
        wide = wide_frame([facts], cutoff).iloc[0]

        assert (rows["OS"].aval, rows["OS"].evntdesc) == (113, "Death")
        assert (rows["EFS"].aval, rows["EFS"].cnsr, rows["EFS"].evntdesc) == (113, 0, "Relapse")
        assert (rows["RFS"].aval, rows["RFS"].cnsr, rows["RFS"].evntdesc) == (87, 0, "Relapse")
        assert patient_competing_event(facts, cutoff) == CompetingEvent.RELAPSE
        assert (dt.date(2027, 2, 23), "PB", 1.0) == (wide.RLPSDT, wide.RLPSTYP, wide.CIRSTAT)
