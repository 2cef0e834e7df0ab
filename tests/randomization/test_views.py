"""Randomisation pages: confirmation step, printable result, concealment, admin."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from randomization.models import AllocationList, Randomization
from tests.factories import enrolled_patient
from tests.randomization.conftest import HAND_MADE_LIST, import_external

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


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
        # Printable: the print button (static/js/pages.js) and the print rules of site.css.
        assert "data-print" in page and "css/site.css" in page
        assert "@media print" in (ROOT / "static" / "css" / "site.css").read_text()
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


class TestAllocationListImportPage:
    URL = "/randomization/lists/import/"

    def _check(self, client: Client, text: str):
        upload = SimpleUploadedFile("list.csv", text.encode(), content_type="text/csv")
        return client.post(
            self.URL,
            {
                "file": upload,
                "code": "EXT1",
                "purpose": "production",
                "stated_method": "Permuted blocks of 2 and 4, nQuery, 2026-10-01",
                "block_sizes": "2,4",
                "check": "",
            },
        )

    def test_statistician_checks_the_file_reads_the_report_then_imports_the_file_checked(
        self, statistician
    ) -> None:
        client = _client(statistician)

        checked = self._check(client, HAND_MADE_LIST)
        written_by_the_check = AllocationList.objects.count()
        imported = client.post(self.URL, {**checked.context["confirmation"], "import": ""})
        detail = client.get(imported["Location"])

        report = checked.content.decode()
        assert checked.status_code == 200
        assert "the list can be imported" in report and "Nothing has been written" in report
        assert hashlib.sha256(HAND_MADE_LIST.encode()).hexdigest() in report
        assert "IC|first_relapse</td><td>0</td><td>6</td><td>3</td><td>3</td>" in report
        assert written_by_the_check == 0
        assert imported.status_code == 302
        page = detail.content.decode()
        assert "Verified" in page and "declared block sizes 2, 4" in page
        assert "nQuery, 2026-10-01" in page
        assert hashlib.sha256(HAND_MADE_LIST.encode()).hexdigest() in page
        assert AllocationList.objects.get().imported_by == statistician

    def test_a_malformed_file_shows_its_rows_and_offers_no_import(self, statistician) -> None:
        text = HAND_MADE_LIST.replace("AZA,first_relapse,1,1,2,CTRL", "AZA,first_relapse,1,1,2,X")

        checked = self._check(_client(statistician), text)

        page = checked.content.decode()
        assert "row 10: arm &#x27;X&#x27; is not one of DEX, CTRL" in page
        assert 'name="import"' not in page
        assert AllocationList.objects.count() == 0

    def test_the_import_refuses_a_file_it_was_not_given(self, statistician) -> None:
        client = _client(statistician)
        confirmation = self._check(client, HAND_MADE_LIST).context["confirmation"]

        refused = client.post(self.URL, {**confirmation, "content": "", "import": ""})

        assert refused.status_code == 200
        assert "check it again" in refused.content.decode()
        assert AllocationList.objects.count() == 0

    @pytest.mark.parametrize("who", ["coordinator", "data_manager"])
    def test_other_roles_are_refused(self, request, who) -> None:
        client = _client(request.getfixturevalue(who))

        page = client.get(self.URL)
        posted = self._check(client, HAND_MADE_LIST)

        assert (page.status_code, posted.status_code) == (403, 403)
        assert AllocationList.objects.count() == 0

    def test_the_lists_page_links_to_the_import_and_shows_an_imported_list(
        self, statistician
    ) -> None:
        import_external(statistician)

        page = _client(statistician).get("/randomization/lists/").content.decode()

        assert self.URL in page
        # The source as its label, never the stored code.
        assert "EXT1" in page and "Imported (made by an independent statistician)" in page
        assert "by stat" in page
