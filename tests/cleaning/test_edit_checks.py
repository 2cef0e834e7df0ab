"""The automatic edit checks: each declared rule allows what it should and flags (soft) or
refuses (hard) what it should; a system query closes itself once the data hold; a finding may
be confirmed at entry (docs/protocol.md "Data cleaning and locking")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cleaning.checks.registry import EDIT_CHECKS
from cleaning.models import QueryState
from cleaning.services.edit_checks import edit_checks_run
from followup.services.records import death_record
from tests.cleaning.conftest import IN_WINDOW, OUT_OF_WINDOW, TODAY, record_visit, system_queries
from tests.factories import TODAY as SCREENING_TODAY
from tests.factories import enrolled_patient, randomized_patient, screened_patient
from tests.treatment.test_builders import NOW as TREATMENT_NOW
from tests.treatment.test_builders import STARTS, dose, record_cycle
from treatment.models import AdverseEvent, ResponseAssessment
from treatment.services import adverse_event_record, response_record, sae_report_record
from trial.audit import record_save
from trial.models import Baseline, Death
from trial.services.screening import (
    baseline_record,
    consent_record,
    eligibility_problems,
)

pytestmark = pytest.mark.django_db


def _states(record) -> list[tuple[str, str]]:
    return [(q.rule_id, q.state) for q in system_queries(record)]


class TestTheRegistry:
    def test_every_check_has_a_unique_id_a_severity_and_models_to_watch(self) -> None:
        ids = [c.id for c in EDIT_CHECKS]

        assert len(ids) == len(set(ids)) >= 10
        assert all(c.models and c.severity in ("hard", "soft") for c in EDIT_CHECKS)


class TestVisitWindow:
    def test_a_visit_in_its_window_opens_no_query(self, visit, coordinator) -> None:
        record_visit(visit, coordinator, IN_WINDOW)

        assert system_queries(visit) == []

    def test_a_visit_outside_its_window_is_saved_with_a_query_that_closes_once_corrected(
        self, visit, coordinator
    ) -> None:
        record_visit(visit, coordinator, OUT_OF_WINDOW)
        visit.refresh_from_db()
        [query] = system_queries(visit)
        assert visit.contact_date == OUT_OF_WINDOW  # soft: the save went through
        assert (query.rule_id, query.field_name, query.state) == (
            "FU-VISIT-WINDOW",
            "contact_date",
            QueryState.OPEN,
        )
        assert "2027-04-01 to 2027-04-29" in query.finding

        record_visit(visit, coordinator, IN_WINDOW, reason="Date typed wrong")

        query.refresh_from_db()
        assert query.state == QueryState.CLOSED and query.closed_by is None
        last = query.transitions.order_by("-at", "-pk").first()
        assert last.note.startswith("Closed by FU-VISIT-WINDOW: the data now satisfy the check")
        assert "coord_a" in last.note

    def test_a_value_confirmed_at_entry_opens_its_query_already_answered(
        self, visit, coordinator
    ) -> None:
        record_visit(visit, coordinator, OUT_OF_WINDOW, confirmation="Seen early, by agreement.")

        [query] = system_queries(visit)
        assert query.state == QueryState.ANSWERED
        answer = query.messages.get(kind="answer")
        assert (answer.author, answer.text) == (coordinator, "Seen early, by agreement.")


class TestDose:
    @pytest.fixture
    def patient(self, site_a, coordinator, investigator):
        return randomized_patient(site_a, coordinator, investigator)

    def test_the_planned_dose_given_opens_no_query(self, patient, investigator) -> None:
        cycle = record_cycle(patient, investigator, STARTS[0])

        assert all(system_queries(d) == [] for d in cycle.drugs.all())

    def test_ten_times_the_planned_cytarabine_is_flagged_with_the_bsa_based_doses(
        self, patient, investigator
    ) -> None:
        drugs = [dose("amsacrine", "120"), dose("cytarabine", "6000", "60000")]

        cycle = record_cycle(patient, investigator, STARTS[0], drugs=drugs)

        cytarabine = cycle.drugs.get(drug="cytarabine")
        [query] = system_queries(cytarabine)
        assert (query.rule_id, query.field_name) == ("TRT-DOSE", "given_dose")
        assert "1000%" in query.finding and f"BSA {cycle.bsa_m2} m²" in query.finding
        assert system_queries(cycle.drugs.get(drug="amsacrine")) == []

    @pytest.mark.parametrize(("given", "flagged"), [("2900", True), ("3100", False)])
    def test_below_half_the_planned_dose_is_flagged(
        self, patient, investigator, given, flagged
    ) -> None:
        drugs = [dose("cytarabine", "6000", given, reduction_reason="Renal function")]

        cycle = record_cycle(patient, investigator, STARTS[0], drugs=drugs)

        assert bool(system_queries(cycle.drugs.get(drug="cytarabine"))) is flagged

    def test_the_thresholds_come_from_the_settings(self, patient, investigator, settings) -> None:
        settings.TRIAL_CLEANING = {**settings.TRIAL_CLEANING, "DOSE_MAX_PERCENT": 200}
        drugs = [dose("cytarabine", "6000", "9000")]

        cycle = record_cycle(patient, investigator, STARTS[0], drugs=drugs)

        assert system_queries(cycle.drugs.get()) == []


class TestScreening:
    def test_a_consent_dated_before_the_screening_date_is_flagged(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = screened_patient(site_a, coordinator)  # screened 2026-10-15

        consent = consent_record(
            patient=patient,
            consent_date=dt.date(2026, 10, 10),
            form_version="ICF v2.1",
            obtained_by=investigator,
            by=coordinator,
            today=SCREENING_TODAY,
        )

        [query] = system_queries(consent)
        assert (query.rule_id, query.field_name) == ("SCR-CONSENT-DATE", "consent_date")

    def test_a_consent_on_the_screening_date_is_not_flagged(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = screened_patient(site_a, coordinator)

        consent = consent_record(
            patient=patient,
            consent_date=patient.screening_date,
            form_version="ICF v2.1",
            obtained_by=investigator,
            by=coordinator,
            today=SCREENING_TODAY,
        )

        assert system_queries(consent) == []

    def test_a_12_year_old_is_flagged_at_screening_and_still_refused_at_confirmation(
        self, site_a, coordinator
    ) -> None:
        patient = screened_patient(site_a, coordinator, age_at_screening=12)

        [query] = system_queries(patient)
        assert (query.rule_id, query.field_name) == ("SCR-AGE", "age_at_screening")
        assert any("at least 18" in p for p in eligibility_problems(patient))

    def test_an_adult_is_not_flagged(self, site_a, coordinator) -> None:
        patient = screened_patient(site_a, coordinator, age_at_screening=18)

        assert system_queries(patient) == []


class TestBaselineAtEnrolment:
    def test_missing_mutation_results_are_flagged_at_enrolment_until_recorded(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator)  # NPM1, FLT3-ITD only
        baseline = Baseline.objects.get(patient=patient)
        [query] = system_queries(baseline)
        assert (query.rule_id, query.field_name) == ("ENR-BASELINE", "mutations")
        assert "RUNX1, TP53" in query.finding

        baseline_record(
            patient=patient,
            data={},
            mutations={"RUNX1": "not_tested", "TP53": "not_mutated"},
            by=coordinator,
            today=SCREENING_TODAY,
            reason="Results received",
        )

        query.refresh_from_db()
        assert query.state == QueryState.CLOSED

    def test_empty_marrow_blasts_are_flagged_only_once_the_patient_is_enrolled(
        self, site_a, coordinator, investigator, settings
    ) -> None:
        settings.TRIAL_CLEANING = {**settings.TRIAL_CLEANING, "BASELINE_REQUIRED_GENES": []}
        patient = enrolled_patient(
            site_a, coordinator, investigator, marrow_blast_pct=None, blood_blast_pct=Decimal(5)
        )

        [query] = system_queries(Baseline.objects.get(patient=patient))

        assert query.field_name == "marrow_blast_pct"
        enrolled = patient.history.filter(history_change_reason="Enrolled").get()
        assert query.raised_at >= enrolled.history_date  # flagged by the enrolment, not before


class TestResponses:
    @pytest.fixture
    def patient(self, site_a, coordinator, investigator):
        patient = randomized_patient(site_a, coordinator, investigator)
        record_cycle(patient, investigator, STARTS[0])
        return patient

    def _response(self, patient, by, day: dt.date, **kw) -> ResponseAssessment:
        data = {"response": "CR", "marrow_blast_pct": Decimal("2.0")}
        data.update(kw)
        return response_record(
            patient=patient, assessment_date=day, by=by, now=TREATMENT_NOW, **data
        )

    def test_a_cr_on_day_1_of_cycle_1_is_flagged(self, patient, investigator) -> None:
        assessment = self._response(patient, investigator, STARTS[0])

        [query] = system_queries(assessment)
        assert (query.rule_id, query.field_name) == ("TRT-RESPONSE-EARLY", "assessment_date")
        assert "day 1 of cycle 1" in query.finding

    def test_a_response_from_the_configured_day_is_not_flagged(self, patient, investigator) -> None:
        assessment = self._response(patient, investigator, STARTS[0] + dt.timedelta(days=20))

        assert system_queries(assessment) == []

    def test_blasts_against_the_response_are_refused_by_the_service(
        self, patient, investigator
    ) -> None:
        with pytest.raises(ValidationError) as error:
            self._response(patient, investigator, STARTS[1], marrow_blast_pct=Decimal("12"))

        assert "marrow_blast_pct" in error.value.message_dict

    def test_blasts_against_the_response_are_refused_by_the_check_on_any_save_path(
        self, patient, investigator
    ) -> None:
        row = ResponseAssessment(
            patient=patient,
            cycle=patient.cycles.get(),
            assessment_date=STARTS[1],
            response="CR",
            marrow_blast_pct=Decimal("12"),
        )

        with pytest.raises(ValidationError) as error:
            record_save(instance=row, by=investigator)

        assert "fewer than 5%" in error.value.message_dict["marrow_blast_pct"][0]
        assert row.pk is None and not ResponseAssessment.objects.exists()


class TestAdverseEvents:
    @pytest.fixture
    def patient(self, site_a, coordinator, investigator):
        return randomized_patient(site_a, coordinator, investigator)

    def _event(self, patient, by, **kw) -> AdverseEvent:
        data = {
            "term": None,
            "term_text": "Sepsis",
            "grade": 3,
            "start_date": dt.date(2026, 11, 20),
            "end_date": None,
            "relation_dexamethasone": "not_related",
            "relation_salvage": "possible",
            "serious": True,
        }
        data.update(kw)
        return adverse_event_record(patient=patient, by=by, now=TREATMENT_NOW, **data)

    def test_a_grade_5_event_without_death_is_refused_on_any_save_path(
        self, patient, investigator
    ) -> None:
        with pytest.raises(ValidationError):
            self._event(patient, investigator, grade=5)
        row = AdverseEvent(
            patient=patient,
            term_text="Sepsis",
            grade=5,
            start_date=dt.date(2026, 11, 20),
            relation_dexamethasone="not_related",
            relation_salvage="possible",
            serious=True,
            report_due_at=TREATMENT_NOW,
        )

        with pytest.raises(ValidationError) as error:
            record_save(instance=row, by=investigator)

        assert "death record" in error.value.message_dict["grade"][0]

    def test_a_grade_5_event_with_the_death_is_allowed(self, patient, investigator) -> None:
        death_day = dt.date(2026, 11, 25)
        record_save(
            instance=Death(patient=patient, death_date=death_day, cause="infection"),
            by=investigator,
        )

        event = self._event(patient, investigator, grade=5, end_date=death_day)

        assert system_queries(event) == []

    def test_an_sae_reported_after_24_hours_is_flagged(self, patient, investigator) -> None:
        aware = TREATMENT_NOW - dt.timedelta(days=3)
        event = self._event(patient, investigator, awareness_at=aware)

        sae_report_record(
            event=event,
            reported_at=aware + dt.timedelta(hours=50),
            by=investigator,
            now=TREATMENT_NOW,
        )

        [query] = system_queries(event)
        assert (query.rule_id, query.field_name) == ("TRT-SAE-24H", "reported_at")
        assert "50 h after" in query.finding

    def test_an_sae_reported_in_time_is_not_flagged(self, patient, investigator) -> None:
        aware = TREATMENT_NOW - dt.timedelta(days=3)
        event = self._event(patient, investigator, awareness_at=aware)

        sae_report_record(
            event=event,
            reported_at=aware + dt.timedelta(hours=2),
            by=investigator,
            now=TREATMENT_NOW,
        )

        assert system_queries(event) == []

    def test_an_unreported_sae_waits_for_the_nightly_run_which_knows_the_time(
        self, patient, investigator
    ) -> None:
        event = self._event(patient, investigator, awareness_at=TREATMENT_NOW)
        assert system_queries(event) == []  # a save does not read the clock

        edit_checks_run(now=TREATMENT_NOW + dt.timedelta(hours=30))

        [query] = system_queries(event)
        assert "report not sent" in query.finding


class TestDeathAndVisits:
    def test_a_death_before_a_visit_recording_the_patient_alive_is_refused_both_ways(
        self, done_visit, coordinator
    ) -> None:
        death = death_record(
            patient=done_visit.patient,
            by=coordinator,
            today=TODAY,
            death_date=dt.date(2027, 4, 15),
            cause="leukaemia",
        )

        with pytest.raises(ValidationError) as on_visit:
            record_visit(done_visit, coordinator, dt.date(2027, 4, 18), reason="Typo")
        with pytest.raises(ValidationError) as on_death:
            death_record(
                patient=done_visit.patient,
                by=coordinator,
                today=TODAY,
                death_date=dt.date(2027, 4, 5),
                cause="leukaemia",
                reason="Date from the GP",
            )

        assert (
            "after the death recorded on 2027-04-15"
            in on_visit.value.message_dict["vital_status"][0]
        )
        assert (
            "recorded the patient alive on 2027-04-12"
            in on_death.value.message_dict["death_date"][0]
        )
        death.refresh_from_db()
        assert death.death_date == dt.date(2027, 4, 15)

    def test_a_death_after_the_last_visit_alive_is_allowed(self, done_visit, coordinator) -> None:
        death = death_record(
            patient=done_visit.patient,
            by=coordinator,
            today=TODAY,
            death_date=dt.date(2027, 4, 15),
            cause="leukaemia",
        )

        assert system_queries(death) == [] and system_queries(done_visit) == []
