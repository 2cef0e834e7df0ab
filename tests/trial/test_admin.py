"""The admin: sponsor administrators only; clinical records read-only, never deleted."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests.factories import eligible_patient
from trial.admin.base import ClinicalRecordAdmin
from trial.models import Patient, Site, User

CLINICAL = ["patient", "consent", "baseline", "eligibilityanswer", "baselinemutation"]
CONFIGURATION = ["site", "user", "membership", "protocolversion", "eligibilitycriterion"]


@pytest.fixture
def patient(site_a: Site, coordinator: User, investigator: User) -> Patient:
    return eligible_patient(site_a, coordinator, investigator)


def _signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


class TestWhoEntersTheAdmin:
    def test_a_sponsor_admin_opens_every_changelist(
        self, client: Client, sponsor_admin: User, patient: Patient
    ) -> None:
        _signed_in(client, sponsor_admin)

        statuses = {
            name: client.get(reverse(f"admin:{name}_changelist")).status_code
            for name in [
                *(f"trial_{n}" for n in [*CLINICAL, *CONFIGURATION, "mutationgene"]),
                "treatment_endoftreatment",
            ]
        }

        assert set(statuses.values()) == {200}, statuses

    def test_a_sponsor_admin_opens_the_history_of_a_patient_and_of_a_site(
        self, client: Client, sponsor_admin: User, patient: Patient
    ) -> None:
        _signed_in(client, sponsor_admin)

        patient_history = client.get(reverse("admin:trial_patient_history", args=[patient.pk]))
        site_history = client.get(reverse("admin:trial_site_history", args=[patient.site_id]))

        assert patient_history.status_code == 200
        assert b"Eligibility confirmed by investigator" in patient_history.content
        assert site_history.status_code == 200

    def test_a_sponsor_admin_signs_in_through_the_admin_form_without_staff_status(
        self, client: Client, sponsor_admin: User
    ) -> None:
        response = client.post(
            reverse("admin:login"),
            {"username": sponsor_admin.username, "password": "pass-word-123"},
        )

        assert response.status_code == 302
        assert client.get(reverse("admin:index")).status_code == 200

    def test_a_coordinator_with_staff_status_cannot_enter(
        self, client: Client, coordinator: User
    ) -> None:
        coordinator.is_staff = True
        coordinator.save()
        _signed_in(client, coordinator)

        response = client.get(reverse("admin:index"))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))

    def test_a_coordinator_with_staff_status_cannot_sign_in_to_the_admin(
        self, client: Client, coordinator: User
    ) -> None:
        coordinator.is_staff = True
        coordinator.save()

        response = client.post(
            reverse("admin:login"),
            {"username": coordinator.username, "password": "pass-word-123"},
        )

        assert response.status_code == 200
        assert b"Please enter the correct username and password" in response.content


class TestClinicalRecordsAreReadOnly:
    def test_every_clinical_model_is_registered_read_only(self) -> None:
        registered = {
            model._meta.model_name
            for model, model_admin in admin.site._registry.items()
            if isinstance(model_admin, ClinicalRecordAdmin)
        }

        assert registered >= {*CLINICAL, "endoftreatment"}

    def test_there_is_no_delete_action_or_delete_page(
        self, client: Client, sponsor_admin: User, patient: Patient
    ) -> None:
        _signed_in(client, sponsor_admin)

        changelist = client.get(reverse("admin:trial_patient_changelist"))
        delete = client.get(reverse("admin:trial_patient_delete", args=[patient.pk]))
        posted = client.post(
            reverse("admin:trial_patient_changelist"),
            {"action": "delete_selected", "_selected_action": [patient.pk], "post": "yes"},
        )

        assert b"delete_selected" not in changelist.content
        assert delete.status_code == 403
        assert Patient.objects.filter(pk=patient.pk).exists()
        assert posted.status_code in {200, 302}

    def test_a_superuser_cannot_delete_a_clinical_record_either(
        self, client: Client, patient: Patient
    ) -> None:
        root = User.objects.create_superuser("root", "root@example.org", "pass-word-123")
        _signed_in(client, root)

        response = client.get(reverse("admin:trial_consent_delete", args=[patient.consent.pk]))

        assert response.status_code == 403

    def test_the_change_page_shows_without_a_save_button(
        self, client: Client, sponsor_admin: User, patient: Patient
    ) -> None:
        _signed_in(client, sponsor_admin)

        page = client.get(reverse("admin:trial_patient_change", args=[patient.pk]))
        posted = client.post(reverse("admin:trial_patient_change", args=[patient.pk]), {"sex": "M"})

        assert page.status_code == 200
        assert b'name="_save"' not in page.content
        assert posted.status_code == 403

    def test_an_old_version_cannot_be_restored(
        self, client: Client, sponsor_admin: User, patient: Patient
    ) -> None:
        _signed_in(client, sponsor_admin)
        first = patient.history.earliest("history_date")
        url = reverse("admin:trial_patient_simple_history", args=[patient.pk, first.history_id])

        shown = client.get(url)
        posted = client.post(url, {"sex": "M", "screening_date": "2026-10-15"})

        assert shown.status_code == 200
        assert posted.status_code == 403
        patient.refresh_from_db()
        assert patient.sex == "F"


class TestConfigurationIsEditable:
    def test_a_sponsor_admin_adds_a_site(self, client: Client, sponsor_admin: User) -> None:
        _signed_in(client, sponsor_admin)

        response = client.post(
            reverse("admin:trial_site_add"),
            {"code": "MRS", "name": "Marseille", "active": "on", "time_zone": "Europe/Paris"},
        )

        assert response.status_code == 302
        site = Site.objects.get(code="MRS")
        assert site.history.get().history_user == sponsor_admin

    def test_a_sponsor_admin_cannot_make_a_superuser(
        self, client: Client, sponsor_admin: User, coordinator: User
    ) -> None:
        _signed_in(client, sponsor_admin)

        page = client.get(reverse("admin:trial_user_change", args=[coordinator.pk]))

        assert page.status_code == 200
        assert b'name="is_superuser"' not in page.content
        assert b'name="memberships-0-role"' in page.content
