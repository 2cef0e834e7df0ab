"""Investigator pages of the treatment period, the overdue SAE page and the admin."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory

from tests.factories import randomized_patient
from tests.treatment.test_builders import STARTS, record_cycle
from treatment.admin import CtcaeTermAdmin, CycleAdmin
from treatment.models import AdverseEvent, CtcaeTerm, Cycle


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def patient(site_a, coordinator, investigator):
    return randomized_patient(site_a, coordinator, investigator, arm="DEX", regimen="IC")


def _cycle_post(**extra):
    data = {
        "start_date": "2026-11-03",
        "regimen": "IC",
        "height_cm": "170",
        "weight_kg": "70",
        "delay_days": "0",
        "amsacrine_planned": "120",
        "amsacrine_given": "120",
        "amsacrine_unit": "mg/m2",
        "cytarabine_planned": "6000",
        "cytarabine_given": "6000",
        "cytarabine_unit": "mg/m2",
        "dexamethasone_planned": "160",
        "dexamethasone_given": "160",
        "dexamethasone_unit": "mg",
    }
    data.update(extra)
    return data


class TestCyclePages:
    def test_the_form_knows_the_regimen_and_the_arm(self, patient, investigator) -> None:
        page = _client(investigator).get(f"/patients/{patient.pk}/treatment/cycles/new/")

        html = page.content.decode()
        assert page.status_code == 200
        assert 'value="IC" selected' in html
        assert "Dexamethasone arm: expected with each cycle." in html
        assert 'name="dexamethasone_planned" value="160"' in html
        assert "azacitidine_given" not in html

    def test_a_cycle_is_recorded_and_its_bsa_shown(self, patient, investigator) -> None:
        client = _client(investigator)

        response = client.post(f"/patients/{patient.pk}/treatment/cycles/new/", _cycle_post())
        timeline = client.get(f"/patients/{patient.pk}/treatment/").content.decode()

        assert response.status_code == 302
        assert Cycle.objects.get(patient=patient).bsa_m2 is not None
        assert '<td data-testid="bsa">1.82</td>' in timeline

    def test_a_refusal_is_shown_on_the_form(self, patient, investigator) -> None:
        response = _client(investigator).post(
            f"/patients/{patient.pk}/treatment/cycles/new/", _cycle_post(start_date="2026-10-01")
        )

        assert response.status_code == 200
        assert "is before randomisation" in response.content.decode()

    def test_a_range_error_a_rule_and_a_dose_show_together_beside_their_fields(
        self, patient, investigator
    ) -> None:
        response = _client(investigator).post(
            f"/patients/{patient.pk}/treatment/cycles/new/",
            _cycle_post(
                start_date="2026-10-01", height_cm="50", delay_days="2", cytarabine_given="3000"
            ),
        )

        form = response.context["form"]
        assert response.status_code == 200
        assert "height_cm" in form.errors
        assert any("before randomisation" in m for m in form.errors["start_date"])
        assert form.errors["delay_reason"] == ["Give the reason why the cycle was delayed."]
        assert form.errors["cytarabine_reduction_reason"] == [
            "Cytarabine: give the reason why less than planned was given."
        ]
        assert not Cycle.objects.exists()

    def test_the_dose_fields_follow_the_regimen_chosen_on_the_form(
        self, patient, investigator
    ) -> None:
        url = f"/patients/{patient.pk}/treatment/cycles/new/"

        reloaded = _client(investigator).get(url, {"regimen": "AZA", "height_cm": "171"})

        html = reloaded.content.decode()
        assert 'value="AZA" selected' in html
        assert 'name="azacitidine_given"' in html and "cytarabine_given" not in html
        assert 'name="height_cm" value="171"' in html
        assert f'hx-get="{url}"' in html

    def test_a_regimen_changed_without_a_reload_shows_its_doses_before_saving(
        self, patient, investigator
    ) -> None:
        response = _client(investigator).post(
            f"/patients/{patient.pk}/treatment/cycles/new/",
            _cycle_post(regimen="AZA", regimen_change_reason="Frail", drugs_for="IC"),
        )

        html = response.content.decode()
        assert response.status_code == 200
        assert "The dose fields now follow the Azacitidine regimen" in html
        assert 'name="azacitidine_given"' in html and "cytarabine_given" not in html
        assert 'name="drugs_for" value="AZA"' in html
        assert not Cycle.objects.exists()

    def test_no_error_shows_a_field_key(self, patient, investigator) -> None:
        response = _client(investigator).post(
            f"/patients/{patient.pk}/treatment/cycles/new/",
            _cycle_post(
                regimen="AZA",
                regimen_change_reason="Frail",
                drugs_for="AZA",
                azacitidine_planned="525",
                azacitidine_given="400",
                azacitidine_unit="mg/m2",
            ),
        )

        html = response.content.decode()
        assert response.context["form"].errors["azacitidine_reduction_reason"] == [
            "Azacitidine: give the reason why less than planned was given."
        ]
        assert "drugs:" not in html and "__all__" not in html and "_reason:" not in html
        assert not Cycle.objects.exists()

    def test_a_new_cycle_asks_no_reason_for_change_and_a_correction_does(
        self, patient, investigator
    ) -> None:
        cycle = record_cycle(patient, investigator, STARTS[0])
        client = _client(investigator)

        new = client.get(f"/patients/{patient.pk}/treatment/cycles/new/").content.decode()
        correction = client.get(f"/patients/{patient.pk}/treatment/cycles/{cycle.pk}/edit/")
        unexplained = client.post(
            f"/patients/{patient.pk}/treatment/cycles/{cycle.pk}/edit/", _cycle_post()
        )

        assert "Reason for change" not in new
        assert "Reason for change" in correction.content.decode()
        assert "reason" in unexplained.context["form"].errors

    def test_every_aria_describedby_target_is_on_the_page(self, patient, investigator) -> None:
        response = _client(investigator).post(
            f"/patients/{patient.pk}/treatment/cycles/new/",
            _cycle_post(start_date="2026-13-45", height_cm="50", delay_days="2"),
        )

        html = response.content.decode()
        targets = {
            t for ids in re.findall(r'aria-describedby="([^"]+)"', html) for t in ids.split()
        }
        assert "id_height_cm_error" in targets
        assert [t for t in targets if f'id="{t}"' not in html] == []

    def test_a_missing_dexamethasone_dose_shows_a_deviation(self, patient, investigator) -> None:
        client = _client(investigator)

        client.post(
            f"/patients/{patient.pk}/treatment/cycles/new/", _cycle_post(dexamethasone_given="")
        )
        timeline = client.get(f"/patients/{patient.pk}/treatment/").content.decode()

        assert "Dexamethasone not given in the dexamethasone arm" in timeline

    def test_a_coordinator_is_refused(self, patient, coordinator) -> None:
        response = _client(coordinator).post(
            f"/patients/{patient.pk}/treatment/cycles/new/", _cycle_post()
        )

        assert response.status_code == 403

    def test_another_site_gets_404(self, patient, investigator_b) -> None:
        assert _client(investigator_b).get(f"/patients/{patient.pk}/treatment/").status_code == 404


class TestSignPage:
    def test_signing_then_a_change_shows_the_broken_signature(self, patient, investigator) -> None:
        cycle = record_cycle(patient, investigator, STARTS[0])
        client = _client(investigator)

        wrong = client.post(
            f"/patients/{patient.pk}/treatment/sign/",
            {"password": "x", "meaning": "approval"},
        )
        client.post(
            f"/patients/{patient.pk}/treatment/sign/",
            {"password": "pass-word-123", "meaning": "approval"},
        )
        signed = client.get(f"/patients/{patient.pk}/treatment/").content.decode()
        client.post(
            f"/patients/{patient.pk}/treatment/cycles/{cycle.pk}/edit/",
            _cycle_post(weight_kg="72", reason="Re-weighed"),
        )
        broken = client.get(f"/patients/{patient.pk}/treatment/").content.decode()

        assert '<button type="submit" class="primary">Sign</button>' in wrong.content.decode()
        assert "password is not correct" in wrong.content.decode()
        assert "I approve these records" in signed and "Signature broken" not in signed
        assert "Signature broken" in broken and "Cycle 1 changed" in broken


class TestAdverseEventPage:
    def test_a_serious_event_is_saved_and_overdue_reports_are_listed(
        self, patient, investigator, data_manager, django_capture_on_commit_callbacks
    ) -> None:
        record_cycle(patient, investigator, STARTS[0])
        post = {
            "term": CtcaeTerm.objects.get(term="Sepsis").pk,
            "grade": "4",
            "start_date": "2026-11-10",
            "relation_dexamethasone": "possible",
            "relation_salvage": "probable",
            "serious": "on",
            "awareness_at": "2026-11-10 08:00",
        }

        with django_capture_on_commit_callbacks(execute=True):
            response = _client(investigator).post(
                f"/patients/{patient.pk}/treatment/adverse-events/new/", post
            )
        overdue = _client(data_manager).get("/safety/overdue/").content.decode()

        assert response.status_code == 302
        event = AdverseEvent.objects.get(patient=patient)
        assert event.awareness_at is not None
        assert event.report_due_at == event.awareness_at + dt.timedelta(hours=24)
        assert "Sepsis" in overdue

    def test_the_safety_page_lists_alerts_not_delivered_yet(
        self, patient, investigator, data_manager
    ) -> None:
        record_cycle(patient, investigator, STARTS[0])
        post = {
            "term": CtcaeTerm.objects.get(term="Sepsis").pk,
            "grade": "4",
            "start_date": "2026-11-10",
            "relation_dexamethasone": "possible",
            "relation_salvage": "probable",
            "serious": "on",
        }
        _client(investigator).post(f"/patients/{patient.pk}/treatment/adverse-events/new/", post)

        page = _client(data_manager).get("/safety/overdue/").content.decode()

        undelivered = page.split('data-testid="undelivered-sae-alerts"')[1].split("</table>")[0]
        assert "Sepsis" in undelivered and str(patient) in undelivered


class TestOtherForms:
    def test_response_transplant_and_end_of_treatment_pages_save(
        self, patient, investigator
    ) -> None:
        # The pages use the real clock: every date here lies before 2026-11-21.
        record_cycle(patient, investigator, STARTS[0])
        client = _client(investigator)
        base = f"/patients/{patient.pk}/treatment"

        r1 = client.post(
            f"{base}/responses/new/",
            {"assessment_date": "2026-11-15", "response": "CR", "marrow_blast_pct": "2"},
        )
        r2 = client.post(
            f"{base}/transplants/new/",
            {
                "transplant_date": "2026-11-18",
                "donor_type": "haploidentical",
                "disease_status": "CR",
            },
        )
        r3 = client.post(f"{base}/end/", {"end_date": "2026-11-17", "end_reason": "transplant"})
        timeline = client.get(f"{base}/").content.decode()

        assert [r.status_code for r in (r1, r2, r3)] == [302, 302, 302]
        assert "Complete remission (CR) (2026-11-15)" in timeline
        assert "Haploidentical" in timeline and "Transplant" in timeline


class TestTreatmentAdmin:
    def test_clinical_records_are_view_only(self, sponsor_admin) -> None:
        request = RequestFactory().get("/")
        request.user = sponsor_admin
        model_admin = CycleAdmin(Cycle, admin.site)

        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)

    def test_the_ctcae_list_is_editable_by_the_sponsor_administrator_only(
        self, sponsor_admin, investigator
    ) -> None:
        model_admin = CtcaeTermAdmin(CtcaeTerm, admin.site)
        request = RequestFactory().get("/")

        request.user = sponsor_admin
        allowed = model_admin.has_change_permission(request)
        request.user = investigator
        refused = model_admin.has_change_permission(request)

        assert (allowed, refused) == (True, False)
