"""A site coordinator's day in the browser: find a patient, enrol and randomise them with the
allocation confirmed first and shown clearly after, then record a follow-up visit in one click
from the worklist. Another site's coordinator cannot reach the patient."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from followup.models import Visit, VisitStatus
from followup.services.refresh import patient_schedule_refresh
from randomization.models import Randomization
from tests.browser._checks import check_page
from tests.factories import eligible_patient
from tests.followup.conftest import followup_patient
from tests.randomization.conftest import active_list

pytestmark = pytest.mark.django_db(transaction=True)


def _patient_with_visit_due(site, coordinator, investigator):
    """A patient whose treatment ended about three months ago: the first visit is due."""
    today = timezone.localdate()
    patient = followup_patient(
        site,
        coordinator,
        investigator,
        end_date=today - dt.timedelta(days=92),
        randomized_at=timezone.now() - dt.timedelta(days=200),
    )
    patient_schedule_refresh(patient=patient, today=today)
    return patient


class TestCoordinatorJourney:
    def test_coordinator_enrols_randomises_and_records_a_follow_up_visit(
        self,
        page,
        login,
        screenshot,
        site_a,
        coordinator,
        investigator,
        coordinator_b,
        statistician,
    ) -> None:
        active_list(statistician)
        in_followup = _patient_with_visit_due(site_a, coordinator, investigator)
        patient = eligible_patient(site_a, coordinator, investigator)
        login("coord_a")
        expect(page.get_by_text("Enrolled, waiting for randomisation")).to_be_visible()
        check_page(page)

        page.get_by_role("link", name="Patients", exact=True).first.click()
        page.fill("#id_q", patient.screening_number)
        expect(page.locator("[data-testid=patients] tbody tr")).to_have_count(1)
        screenshot("patient-list")
        check_page(page)
        page.get_by_role("link", name=patient.screening_number).click()
        page.get_by_role("link", name="Enrol").click()
        page.get_by_label("Enrol this patient").check()
        page.get_by_role("button", name="Enrol").click()

        page.get_by_role("link", name="Randomise this patient").click()
        expect(page.get_by_label("I have checked the stratification values")).to_be_visible()
        assert Randomization.objects.filter(patient=patient).count() == 0
        screenshot("randomize-confirm")
        check_page(page)
        confirmed = page.get_by_label("I have checked the stratification values")
        page.get_by_role("button", name="Randomise").click()
        assert confirmed.evaluate("box => box.validity.valueMissing")  # the browser held it back
        assert Randomization.objects.filter(patient=patient).count() == 0  # not confirmed yet
        confirmed.check()
        page.get_by_role("button", name="Randomise").click()
        expect(page.get_by_test_id("arm")).to_be_visible()
        allocation = Randomization.objects.get(patient=patient)
        expect(page.get_by_test_id("arm")).to_contain_text(allocation.get_arm_display())
        screenshot("randomize-result")
        check_page(page)

        page.get_by_role("link", name="Overview and screening").click()
        expect(page.get_by_test_id("patient-arm")).to_contain_text(allocation.get_arm_display())
        screenshot("patient-page")
        check_page(page)

        page.get_by_role("link", name="Follow-up", exact=True).first.click()
        expect(page.get_by_test_id("worklist")).to_be_visible()
        screenshot("followup-worklist")
        check_page(page)
        visit = Visit.objects.get(patient=in_followup, number=1)
        page.locator(
            f'a[href="/followup/patients/{in_followup.pk}/visits/{visit.pk}/record/"]'
        ).click()
        expect(page.locator("#id_contact_date")).to_be_visible()
        page.fill("#id_contact_date", timezone.localdate().isoformat())
        page.select_option("#id_vital_status", "alive")
        page.select_option("#id_disease_status", "remission")
        screenshot("visit-form")
        check_page(page)
        page.get_by_role("button", name="Save").click()
        expect(page).not_to_have_url(re.compile("/record/$"))
        visit.refresh_from_db()
        assert visit.status == VisitStatus.DONE

        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(re.compile("/accounts/login/"))
        login("coord_b")
        response = page.goto(f"/patients/{patient.pk}/")
        assert response is not None and response.status == 404
        response = page.goto(f"/patients/{patient.pk}/treatment/")
        assert response is not None and response.status in (403, 404)
