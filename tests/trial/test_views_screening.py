"""Screening pages (PROTOCOL.md "Screening and eligibility", "Who uses it"): each role sees its
pages, the coordinator and the investigator take a patient to enrolment through the forms, and
errors come back next to the fields in plain words."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import eligible_patient, enrolled_patient, screened_patient
from trial.audit import REASON_REQUIRED
from trial.models import Baseline, Consent, Patient, PatientStatus
from trial.selectors.history import record_history

pytestmark = pytest.mark.django_db

PATIENT_PAGES = [
    "workspace:patient_detail",
    "trial:patient_history",
    "trial:consent_edit",
    "trial:baseline_edit",
    "trial:eligibility_edit",
    "trial:eligibility_history",
    "trial:eligibility_confirm",
    "trial:patient_enrol",
    "trial:screen_fail",
]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(name: str, patient: Patient) -> str:
    return reverse(name, kwargs={"patient_id": patient.pk})


def _days_ago(days: int) -> str:
    return (timezone.localdate() - dt.timedelta(days=days)).isoformat()


def _baseline_post(**overrides: str) -> dict[str, str]:
    data = {
        "assessment_date": _days_ago(8),
        "disease_status": "first_relapse",
        "diagnosis_date": _days_ago(500),
        "induction_start_date": _days_ago(495),
        "prior_induction_cycles": "1",
        "first_cr_date": _days_ago(450),
        "relapse_date": _days_ago(12),
        "ecog": "1",
        "wbc": "4.2",
        "blood_blast_pct": "3",
        "marrow_blast_pct": "22",
        "cytogenetic_risk": "intermediate",
        "mrd_pct": "",
        "planned_regimen": "IC",
        "mutation_NPM1": "mutated",
        "mutation_FLT3-ITD": "not_mutated",
        "mutation_RUNX1": "not_tested",
        "mutation_TP53": "not_tested",
    }
    data.update(overrides)
    return data


ALL_MET_POST = {
    "answer_I1": "yes",
    "answer_I2": "yes",
    "answer_I3": "yes",
    "answer_I4": "yes",
    "answer_E1": "no",
    "answer_E2": "no",
}


class TestPagesRender:
    def test_anonymous_user_is_sent_to_the_login_page(self, client: Client) -> None:
        response = client.get(reverse("workspace:patient_list"))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert client.get(reverse("login")).status_code == 200

    @pytest.mark.parametrize("role", ["coordinator", "investigator", "monitor", "data_manager"])
    def test_every_patient_page_renders_for_each_role_that_may_read(
        self, request, role, site_a, coordinator, investigator
    ) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator)
        client = _client(request.getfixturevalue(role))

        pages = [reverse("workspace:home"), reverse("workspace:patient_list")]
        pages += [_url(name, patient) for name in PATIENT_PAGES]
        pages += [_url("trial:consent_history", patient), _url("trial:baseline_history", patient)]

        assert {url: client.get(url).status_code for url in pages} == dict.fromkeys(pages, 200)

    def test_every_page_shows_the_user_name_roles_and_sites(self, coordinator) -> None:
        html = _client(coordinator).get(reverse("workspace:home")).content.decode()

        assert "Test User" in html
        assert "Site coordinator" in html
        assert "PAR" in html
        assert reverse("trial:patient_screen") in html

    def test_monitor_has_no_new_screening_link(self, monitor) -> None:
        html = _client(monitor).get(reverse("workspace:home")).content.decode()

        assert reverse("trial:patient_screen") not in html


class TestScreeningToEnrolmentThroughThePages:
    def test_coordinator_completes_screening_consent_baseline_and_eligibility(
        self, site_a, coordinator, investigator, protocol
    ) -> None:
        client = _client(coordinator)

        response = client.post(
            reverse("trial:patient_screen"),
            {
                "site": site_a.pk,
                "screening_date": _days_ago(10),
                "sex": "F",
                "age_at_screening": "64",
            },
        )
        patient = Patient.objects.get()
        assert response.status_code == 302
        assert response["Location"] == _url("workspace:patient_detail", patient)
        consent = {
            "consent_date": _days_ago(9),
            "form_version": "ICF v2.1",
            "obtained_by": investigator.pk,
        }
        assert client.post(_url("trial:consent_edit", patient), consent).status_code == 302
        assert (
            client.post(_url("trial:baseline_edit", patient), _baseline_post()).status_code == 302
        )
        assert client.post(_url("trial:eligibility_edit", patient), ALL_MET_POST).status_code == 302

        patient.refresh_from_db()
        assert patient.screening_number == "S-PAR-0001"
        assert patient.consent.obtained_by == investigator
        assert patient.baseline.mutations.get(gene__code="NPM1").result == "mutated"
        assert patient.eligibility_answers.count() == 6
        home = _client(investigator).get(reverse("workspace:home")).content.decode()
        assert "Eligibility to confirm (1)" in home
        assert patient.screening_number in home

    def test_investigator_confirms_then_coordinator_enrols(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)
        patient.eligibility_confirmed_at = None
        patient.eligibility_confirmed_by = None
        patient.save()

        confirm = _client(investigator).get(_url("trial:eligibility_confirm", patient))
        confirmed = _client(investigator).post(
            _url("trial:eligibility_confirm", patient), {"confirm": "on"}
        )
        coordinator_client = _client(coordinator)
        enrolled = coordinator_client.post(_url("trial:patient_enrol", patient), {"confirm": "on"})

        patient.refresh_from_db()
        assert "Every criterion is answered and met" in confirm.content.decode()
        assert confirmed.status_code == 302
        assert enrolled.status_code == 302
        assert patient.status == PatientStatus.ENROLLED
        assert patient.subject_id == "PAR-001"
        page = coordinator_client.get(enrolled["Location"]).content.decode()
        assert "Patient enrolled as subject PAR-001." in page

    def test_confirmation_page_lists_what_is_missing(self, site_a, coordinator, investigator):
        patient = screened_patient(site_a, coordinator)

        html = (
            _client(investigator).get(_url("trial:eligibility_confirm", patient)).content.decode()
        )
        refused = _client(investigator).post(
            _url("trial:eligibility_confirm", patient), {"confirm": "on"}
        )

        assert "Informed consent is not recorded." in html
        assert refused.status_code == 200
        assert "Criterion I1 is not answered." in refused.content.decode()

    def test_screen_failure_is_recorded_with_its_reason(self, site_a, coordinator) -> None:
        patient = screened_patient(site_a, coordinator)

        missing = _client(coordinator).post(_url("trial:screen_fail", patient), {"reason": "other"})
        done = _client(coordinator).post(
            _url("trial:screen_fail", patient), {"reason": "consent_refused", "reason_detail": ""}
        )

        patient.refresh_from_db()
        assert "Describe the reason when it is" in missing.content.decode()
        assert done.status_code == 302
        assert patient.status == PatientStatus.SCREEN_FAILED
        assert patient.screen_failure_reason == "consent_refused"

    def test_a_screen_failed_patient_is_refused_consent_and_baseline_by_url(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = screened_patient(site_a, coordinator)
        client = _client(coordinator)
        client.post(_url("trial:screen_fail", patient), {"reason": "consent_refused"})
        consent = {
            "consent_date": _days_ago(1),
            "form_version": "ICF v2.1",
            "obtained_by": investigator.pk,
        }

        opened = client.get(_url("trial:consent_edit", patient), follow=True)
        posted = client.post(_url("trial:consent_edit", patient), consent, follow=True)
        baseline = client.post(_url("trial:baseline_edit", patient), _baseline_post(), follow=True)
        checklist = client.post(_url("trial:eligibility_edit", patient), ALL_MET_POST)

        assert opened.redirect_chain[-1][0] == _url("workspace:patient_detail", patient)
        assert "closed as a screen failure (Consent refused)" in opened.content.decode()
        assert "can no longer be recorded" in posted.content.decode()
        assert "can no longer be recorded" in baseline.content.decode()
        assert checklist.status_code == 302
        assert not Consent.objects.exists()
        assert not patient.eligibility_answers.exists()

    def test_what_was_recorded_before_the_screen_failure_stays_readable_not_editable(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = screened_patient(site_a, coordinator)
        client = _client(coordinator)
        client.post(
            _url("trial:consent_edit", patient),
            {
                "consent_date": _days_ago(1),
                "form_version": "ICF v2.1",
                "obtained_by": investigator.pk,
            },
        )
        client.post(_url("trial:screen_fail", patient), {"reason": "inclusion_not_met"})

        page = client.get(_url("trial:consent_edit", patient)).content.decode()
        refused = client.post(
            _url("trial:consent_edit", patient),
            {
                "consent_date": _days_ago(2),
                "form_version": "ICF v3",
                "obtained_by": investigator.pk,
            },
        )

        assert refused.status_code == 409
        assert Consent.objects.get(patient=patient).form_version == "ICF v2.1"
        assert 'data-testid="read-only"' in page and "closed as a screen failure" in page
        field = re.search(r'<input[^>]*id="id_form_version"[^>]*>', page)
        assert field is not None and "disabled" in field.group()
        assert '<button type="submit" class="primary"' not in page

    def test_enrolling_twice_gives_a_message_not_an_error(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator)
        client = _client(coordinator)

        response = client.post(_url("trial:patient_enrol", patient), {"confirm": "on"}, follow=True)

        assert response.status_code == 200
        assert "this step belongs to screening" in response.content.decode()


class TestFormErrors:
    def test_service_error_is_shown_next_to_its_field_and_the_typed_values_stay(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = screened_patient(site_a, coordinator)
        tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()

        response = _client(coordinator).post(
            _url("trial:consent_edit", patient),
            {
                "consent_date": tomorrow,
                "form_version": "ICF typed 3.0",
                "obtained_by": investigator.pk,
            },
        )

        html = response.content.decode()
        assert response.status_code == 200
        field = html.split('for="id_consent_date"')[1].split('<div class="field')[0]
        assert "is in the future" in field
        assert 'value="ICF typed 3.0"' in html
        assert f'value="{tomorrow}"' in html
        assert not Consent.objects.exists()

    def test_form_error_uses_plain_words_and_keeps_other_values(self, coordinator) -> None:
        response = _client(coordinator).post(
            reverse("trial:patient_screen"),
            {"screening_date": _days_ago(1), "sex": "M", "age_at_screening": "150"},
        )

        html = response.content.decode()
        assert "less than or equal to 120" in html
        assert 'value="150"' in html
        assert f'value="{_days_ago(1)}"' in html
        assert not Patient.objects.exists()

    def test_baseline_rule_error_lands_on_the_field(self, site_a, coordinator, investigator):
        patient = screened_patient(site_a, coordinator)
        Consent.objects.create(
            patient=patient,
            consent_date=dt.date(2026, 10, 16),
            form_version="ICF",
            obtained_by=investigator,
        )

        response = _client(coordinator).post(
            _url("trial:baseline_edit", patient),
            _baseline_post(relapse_date=_days_ago(400), first_cr_date=_days_ago(380)),
        )

        html = response.content.decode()
        field = html.split('for="id_relapse_date"')[1].split('<div class="field')[0]
        assert "Relapse must come after the CR/CRi." in field

    def test_baseline_shows_range_date_order_and_future_date_errors_in_one_submission(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = screened_patient(site_a, coordinator)
        Consent.objects.create(
            patient=patient,
            consent_date=dt.date(2026, 10, 16),
            form_version="ICF",
            obtained_by=investigator,
        )
        tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()

        response = _client(coordinator).post(
            _url("trial:baseline_edit", patient),
            _baseline_post(
                blood_blast_pct="150",
                induction_start_date=_days_ago(505),
                relapse_date=tomorrow,
            ),
        )

        html = response.content.decode()
        field = _field_html(html)
        assert "less than or equal to 100" in field("blood_blast_pct")
        assert "Induction cannot start before diagnosis." in field("induction_start_date")
        assert "is in the future" in field("relapse_date")
        assert not Baseline.objects.exists()

    def test_the_screening_form_shows_an_age_out_of_range_and_a_future_date_together(
        self, site_a, coordinator
    ) -> None:
        tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()

        response = _client(coordinator).post(
            reverse("trial:patient_screen"),
            {"site": site_a.pk, "screening_date": tomorrow, "sex": "M", "age_at_screening": "150"},
        )

        field = _field_html(response.content.decode())
        assert "less than or equal to 120" in field("age_at_screening")
        assert "is in the future" in field("screening_date")


def _field_html(html: str):
    """The markup of one field of a rendered form: its label, input, help and errors."""

    def field(name: str) -> str:
        return html.split(f'for="id_{name}"')[1].split('<div class="field')[0]

    return field


class TestCorrections:
    def test_correcting_consent_without_a_reason_is_refused(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)
        client = _client(coordinator)
        data = {
            "consent_date": "2026-10-16",
            "form_version": "ICF v2.2",
            "obtained_by": investigator.pk,
        }

        form = client.get(_url("trial:consent_edit", patient)).content.decode()
        refused = client.post(_url("trial:consent_edit", patient), data)
        accepted = client.post(
            _url("trial:consent_edit", patient), {**data, "reason": "Typo in version"}
        )

        assert "Reason for change" in form
        assert REASON_REQUIRED in refused.content.decode()
        assert accepted.status_code == 302
        consent = Consent.objects.get(patient=patient)
        assert consent.form_version == "ICF v2.2"
        assert record_history(consent)[0].reason == "Typo in version"

    def test_changing_an_eligibility_answer_needs_a_reason_and_shows_in_history(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)
        client = _client(coordinator)
        changed = {**ALL_MET_POST, "answer_E2": "yes", "note_E2": "Uncontrolled diabetes"}

        refused = client.post(_url("trial:eligibility_edit", patient), changed)
        client.post(_url("trial:eligibility_edit", patient), {**changed, "reason": "Source review"})
        history = client.get(_url("trial:eligibility_history", patient)).content.decode()

        assert REASON_REQUIRED in refused.content.decode()
        assert "Source review" in history
        assert "Uncontrolled diabetes" in history
        patient.refresh_from_db()
        assert not patient.eligibility_confirmed


class TestAccess:
    def test_monitor_gets_403_on_a_data_entry_post(self, site_a, coordinator, monitor) -> None:
        patient = screened_patient(site_a, coordinator)
        data = {"consent_date": "2026-10-16", "form_version": "ICF", "obtained_by": coordinator.pk}

        response = _client(monitor).post(_url("trial:consent_edit", patient), data)

        assert response.status_code == 403
        assert "does not allow you" in response.content.decode()
        assert not Consent.objects.exists()

    def test_monitor_cannot_open_new_screening(self, monitor) -> None:
        assert _client(monitor).post(reverse("trial:patient_screen"), {}).status_code == 403

    def test_coordinator_cannot_confirm_eligibility(self, site_a, coordinator, investigator):
        patient = eligible_patient(site_a, coordinator, investigator)
        patient.eligibility_confirmed_at = None
        patient.save()

        response = _client(coordinator).post(
            _url("trial:eligibility_confirm", patient), {"confirm": "on"}
        )

        assert response.status_code == 403

    @pytest.mark.parametrize(
        "name", [*PATIENT_PAGES, "trial:consent_history", "trial:baseline_history"]
    )
    def test_another_sites_patient_is_not_found(
        self, name, site_a, coordinator, investigator, coordinator_b
    ) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator)
        client = _client(coordinator_b)

        assert client.get(_url(name, patient)).status_code == 404
        assert client.post(_url(name, patient), {"confirm": "on"}).status_code == 404

    def test_new_screening_offers_only_the_users_sites(self, coordinator, site_b) -> None:
        html = _client(coordinator).get(reverse("trial:patient_screen")).content.decode()

        assert "PAR" in html
        assert "LYO" not in html


class TestPatientList:
    def test_list_shows_only_own_sites_and_filters(
        self, site_a, site_b, coordinator, investigator, coordinator_b
    ) -> None:
        enrolled = enrolled_patient(site_a, coordinator, investigator)
        screening_only = screened_patient(site_a, coordinator)
        other_site = screened_patient(site_b, coordinator_b)
        client = _client(coordinator)

        everything = client.get(reverse("workspace:patient_list")).content.decode()
        by_subject = client.get(
            reverse("workspace:patient_list"), {"q": "PAR-001"}
        ).content.decode()
        by_status = client.get(
            reverse("workspace:patient_list"), {"status": "screening"}
        ).content.decode()

        assert enrolled.screening_number in everything
        assert other_site.screening_number not in everything
        assert screening_only.screening_number not in by_subject
        assert enrolled.screening_number in by_subject
        assert enrolled.screening_number not in by_status
        assert "Awaiting informed consent" in by_status


class TestFormsFollowThePermissionTable:
    def test_a_coordinator_reads_the_confirmation_page_without_the_button(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = eligible_patient(site_a, coordinator, investigator)

        as_coordinator = _client(coordinator).get(_url("trial:eligibility_confirm", patient))
        as_investigator = _client(investigator).get(_url("trial:eligibility_confirm", patient))

        assert as_coordinator.status_code == 200
        assert 'data-testid="read-only"' in as_coordinator.content.decode()
        assert 'class="primary">Confirm eligibility' not in as_coordinator.content.decode()
        assert '<button type="submit" class="primary">Confirm eligibility' in (
            as_investigator.content.decode()
        )

    def test_a_monitor_reads_the_baseline_with_disabled_fields_and_no_save(
        self, site_a, coordinator, investigator, monitor
    ) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator)

        html = _client(monitor).get(_url("trial:baseline_edit", patient)).content.decode()

        assert "Save baseline" not in html
        assert 'data-testid="read-only"' in html
        assert 'name="ecog"' in html and "disabled" in html
