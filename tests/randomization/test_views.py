"""Randomisation pages: confirmation step, printable result, concealment, admin."""

from __future__ import annotations

import pytest
from django.test import Client

from randomization.models import Randomization
from tests.factories import enrolled_patient

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


class TestRandomizePages:
    def test_confirmation_shows_stratification_then_result_is_printable(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator, regimen="AZA")
        url = f"/randomization/patients/{patient.pk}/randomize/"
        client = _client(coordinator)

        confirm = client.get(url)
        unconfirmed = client.post(url, {})
        created_without_confirmation = Randomization.objects.count()
        done = client.post(url, {"confirm": "on"}, follow=True)

        assert "Azacitidine" in confirm.content.decode()
        assert "First relapse" in confirm.content.decode()
        assert unconfirmed.status_code == 200
        assert created_without_confirmation == 0
        page = done.content.decode()
        randomization = Randomization.objects.get()
        assert randomization.randomization_number in page
        assert "@media print" in page
        assert randomization.get_arm_display() in page

    def test_randomised_patient_is_sent_to_the_result_not_randomised_again(
        self, site_a, coordinator, investigator, production_list
    ) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator)
        url = f"/randomization/patients/{patient.pk}/randomize/"
        _client(coordinator).post(url, {"confirm": "on"})

        again = _client(coordinator).post(url, {"confirm": "on"})

        assert again.status_code == 302
        assert Randomization.objects.count() == 1

    def test_patient_of_another_site_is_not_found(
        self, site_a, coordinator, investigator, coordinator_b, production_list
    ) -> None:
        patient = enrolled_patient(site_a, coordinator, investigator)

        response = _client(coordinator_b).get(f"/randomization/patients/{patient.pk}/randomize/")

        assert response.status_code == 404


class TestConcealmentPages:
    @pytest.mark.parametrize("who", ["coordinator", "investigator", "monitor"])
    def test_site_roles_cannot_see_lists_pages_or_admin(
        self, request, who, production_list
    ) -> None:
        user = request.getfixturevalue(who)
        user.is_staff = True
        user.save()
        client = _client(user)

        assert client.get("/randomization/lists/").status_code == 403
        assert client.get(f"/randomization/lists/{production_list.pk}/").status_code == 403
        admin_page = client.get("/admin/randomization/allocationslot/")
        assert admin_page.status_code == 302
        assert admin_page["Location"].startswith("/admin/login/")

    def test_statistician_sees_the_list_and_no_one_changes_or_deletes_slots_in_the_admin(
        self, statistician, sponsor_admin, production_list
    ) -> None:
        client = _client(sponsor_admin)
        slot = production_list.strata.order_by("key").first().slots.order_by("position").first()

        listing = client.get("/admin/randomization/allocationslot/")
        page = _client(statistician).get(f"/randomization/lists/{production_list.pk}/")
        delete = client.post(
            f"/admin/randomization/allocationslot/{slot.pk}/delete/", {"post": "yes"}
        )
        change = client.post(
            f"/admin/randomization/allocationslot/{slot.pk}/change/", {"arm": "CTRL"}
        )

        assert listing.status_code == 200
        assert "Verified" in page.content.decode()
        assert delete.status_code == 403
        assert change.status_code == 403
        slot.refresh_from_db()

    def test_report_page_for_data_manager_only(self, data_manager, coordinator) -> None:
        assert _client(data_manager).get("/randomization/report/").status_code == 200
        assert _client(coordinator).get("/randomization/report/").status_code == 403
