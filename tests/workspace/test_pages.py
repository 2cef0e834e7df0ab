"""The pages that join the apps: status in the list, role-aware home, dashboard, record history,
ISO-only dates and the htmx search."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from randomization.models import Arm
from tests.factories import NOW, eligible_patient, randomized_patient, screened_patient
from tests.followup.conftest import end_treatment
from tests.treatment.test_builders import STARTS, record_cycle
from trial.audit import record_save
from trial.forms.screening import PatientScreenForm
from trial.forms.widgets import IsoDateField
from trial.models import Death, Patient, Site, User
from workspace.selectors.dashboard import trial_dashboard
from workspace.selectors.status import TrialStatus, with_trial_status

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 20)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _statuses() -> dict[int, str]:
    patients = with_trial_status(Patient.objects.all(), today=TODAY)
    return {p.pk: p.trial_status for p in patients}


class TestTrialStatus:
    def test_each_stage_of_the_trial_is_derived_from_the_records(
        self, site_a: Site, coordinator: User, investigator: User
    ) -> None:
        screening = screened_patient(site_a, coordinator)
        eligible = eligible_patient(site_a, coordinator, investigator)
        randomized = randomized_patient(site_a, coordinator, investigator)
        in_followup = randomized_patient(site_a, coordinator, investigator)
        end_treatment(in_followup, investigator, dt.date(2026, 11, 10))
        dead = randomized_patient(site_a, coordinator, investigator)
        record_save(
            instance=Death(patient=dead, death_date=dt.date(2026, 11, 12), cause="leukaemia"),
            by=investigator,
        )

        statuses = _statuses()

        assert statuses[screening.pk] == TrialStatus.SCREENING
        assert statuses[eligible.pk] == TrialStatus.ELIGIBLE
        assert statuses[randomized.pk] == TrialStatus.RANDOMIZED
        assert statuses[in_followup.pk] == TrialStatus.FOLLOW_UP
        assert statuses[dead.pk] == TrialStatus.OFF_STUDY

    def test_the_list_is_annotated_in_one_query(
        self, site_a: Site, coordinator: User, investigator: User, django_assert_num_queries
    ) -> None:
        for _ in range(3):
            randomized_patient(site_a, coordinator, investigator)

        with django_assert_num_queries(2):  # the end-of-study date, then the list
            _statuses()


class TestPatientListPage:
    def test_status_and_arm_are_shown_and_the_status_filters(
        self, site_a: Site, coordinator: User, investigator: User
    ) -> None:
        randomized = randomized_patient(site_a, coordinator, investigator, arm=Arm.CONTROL)
        screening = screened_patient(site_a, coordinator)
        client = _client(coordinator)

        html = client.get(
            reverse("workspace:patient_list"), {"status": "randomized"}
        ).content.decode()

        assert randomized.screening_number in html
        assert "Salvage alone" in html
        assert screening.screening_number not in html

    def test_an_htmx_search_gets_only_the_table(self, site_a: Site, coordinator: User) -> None:
        patient = screened_patient(site_a, coordinator)

        response = _client(coordinator).get(
            reverse("workspace:patient_list"),
            {"q": patient.screening_number},
            HTTP_HX_REQUEST="true",
        )

        html = response.content.decode()
        assert patient.screening_number in html
        assert "<html" not in html


class TestHome:
    def test_a_coordinator_sees_patients_waiting_for_randomisation(
        self, site_a: Site, coordinator: User, investigator: User
    ) -> None:
        from trial.services import screening

        patient = eligible_patient(site_a, coordinator, investigator)
        screening.patient_enrol(patient=patient, by=coordinator, now=NOW)

        html = _client(coordinator).get(reverse("workspace:home")).content.decode()

        assert "Enrolled, waiting for randomisation (1)" in html
        assert reverse("randomization:randomize", kwargs={"patient_id": patient.pk}) in html
        assert "Trial dashboard" not in html

    def test_an_investigator_sees_signatures_missing(
        self, site_a: Site, coordinator: User, investigator: User
    ) -> None:
        patient = randomized_patient(site_a, coordinator, investigator)
        record_cycle(patient, investigator, STARTS[0])

        html = _client(investigator).get(reverse("workspace:home")).content.decode()

        assert "Signatures missing or broken (1)" in html

    def test_a_data_manager_sees_the_dashboard_and_the_analysis_link(
        self, site_a: Site, coordinator: User, investigator: User, data_manager: User
    ) -> None:
        randomized_patient(site_a, coordinator, investigator)

        html = _client(data_manager).get(reverse("workspace:home")).content.decode()

        assert "Trial dashboard" in html
        assert reverse("analysis:home") in html


class TestDashboard:
    def test_counts_by_site_arm_and_stratum_and_what_is_missing(
        self,
        site_a: Site,
        site_b: Site,
        coordinator: User,
        investigator: User,
        coordinator_b: User,
        investigator_b: User,
        data_manager: User,
    ) -> None:
        randomized_patient(site_a, coordinator, investigator, arm=Arm.DEXAMETHASONE)
        randomized_patient(site_a, coordinator, investigator, arm=Arm.CONTROL)
        randomized_patient(site_b, coordinator_b, investigator_b, arm=Arm.CONTROL)
        screened_patient(site_b, coordinator_b)

        dashboard = trial_dashboard(user=data_manager, now=NOW)

        rows = {row.code: row for row in dashboard.sites}
        assert (rows[site_a.code].dex, rows[site_a.code].ctrl) == (1, 1)
        assert (rows[site_b.code].screened, rows[site_b.code].randomized) == (2, 1)
        assert rows[site_a.code].no_cycles == 2
        assert dashboard.totals.randomized == 3
        assert sum(s.total for s in dashboard.strata) == 3


class TestRecordHistory:
    def test_a_randomisation_history_shows_who_and_what(
        self, site_a: Site, coordinator: User, investigator: User
    ) -> None:
        patient = randomized_patient(site_a, coordinator, investigator)
        url = reverse(
            "trial:record_history",
            kwargs={
                "patient_id": patient.pk,
                "record_type": "randomization",
                "pk": patient.randomization.pk,
            },
        )

        response = _client(investigator).get(url)

        assert response.status_code == 200
        assert "Changes (old → new)" in response.content.decode()

    def test_another_sites_record_is_not_found(
        self, site_a: Site, site_b: Site, coordinator: User, investigator: User, coordinator_b: User
    ) -> None:
        patient = randomized_patient(site_a, coordinator, investigator)
        url = reverse(
            "trial:record_history",
            kwargs={
                "patient_id": patient.pk,
                "record_type": "randomization",
                "pk": patient.randomization.pk,
            },
        )

        assert _client(coordinator_b).get(url).status_code == 404


class TestIsoDates:
    def test_only_yyyy_mm_dd_is_accepted(self) -> None:
        field = IsoDateField()

        assert field.clean("2026-11-17") == dt.date(2026, 11, 17)
        with pytest.raises(Exception, match="YYYY-MM-DD"):
            field.clean("17/11/2026")

    def test_the_input_is_a_text_box_with_placeholder_and_pattern(self, site_a: Site) -> None:
        html = str(PatientScreenForm(sites=Site.objects.all())["screening_date"])

        assert 'type="text"' in html
        assert 'placeholder="YYYY-MM-DD"' in html
        assert 'inputmode="numeric"' in html


class TestIsoDateTimes:
    def test_only_yyyy_mm_dd_hh_mm_is_accepted_in_the_site_time_zone(self) -> None:
        from django.utils import timezone

        from trial.forms.widgets import IsoDateTimeField

        field = IsoDateTimeField()

        value = field.clean("2026-11-17 14:05")
        assert timezone.localtime(value).strftime("%Y-%m-%d %H:%M") == "2026-11-17 14:05"
        with pytest.raises(Exception, match="YYYY-MM-DD HH:MM"):
            field.clean("11/17/2026 2:05 PM")
