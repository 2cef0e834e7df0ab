"""A site coordinator's day in the browser: find a patient, enrol and randomise them with the
allocation confirmed first and shown clearly after, then record a follow-up visit in one click
from the worklist. Another site's coordinator cannot reach the patient."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from followup.models import Visit, VisitStatus
from followup.services.refresh import patient_schedule_refresh
from randomization.models import Randomization
from tests.browser._checks import check_page
from tests.factories import eligible_patient
from tests.followup.conftest import followup_patient
from tests.randomization.conftest import active_list

pytestmark = pytest.mark.django_db(transaction=True)


def _patient_with_visit_due(site, coordinator, investigator):  # type: ignore[no-untyped-def]
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
        assert "Enrolled, waiting for randomisation" in page.content()
        check_page(page)

        page.get_by_role("link", name="Patients", exact=True).first.click()
        page.fill("#id_q", patient.screening_number)
        page.wait_for_function(
            "document.querySelectorAll('[data-testid=patients] tbody tr').length === 1"
        )
        screenshot("patient-list")
        check_page(page)
        page.get_by_role("link", name=patient.screening_number).click()
        page.get_by_role("link", name="Enrol").click()
        page.get_by_label("Enrol this patient").check()
        page.get_by_role("button", name="Enrol").click()

        page.get_by_role("link", name="Randomise this patient").click()
        assert Randomization.objects.filter(patient=patient).count() == 0
        screenshot("randomize-confirm")
        check_page(page)
        page.get_by_role("button", name="Randomise").click()
        assert Randomization.objects.filter(patient=patient).count() == 0  # not confirmed yet
        page.get_by_label("I have checked the stratification values").check()
        page.get_by_role("button", name="Randomise").click()
        allocation = Randomization.objects.get(patient=patient)
        assert allocation.get_arm_display() in page.get_by_test_id("arm").inner_text()
        screenshot("randomize-result")
        check_page(page)

        page.get_by_role("link", name="Overview and screening").click()
        assert allocation.get_arm_display() in page.get_by_test_id("patient-arm").inner_text()
        screenshot("patient-page")
        check_page(page)

        page.get_by_role("link", name="Follow-up", exact=True).first.click()
        screenshot("followup-worklist")
        check_page(page)
        visit = Visit.objects.get(patient=in_followup, number=1)
        page.locator(
            f'a[href="/followup/patients/{in_followup.pk}/visits/{visit.pk}/record/"]'
        ).click()
        page.fill("#id_contact_date", timezone.localdate().isoformat())
        page.select_option("#id_vital_status", "alive")
        page.select_option("#id_disease_status", "remission")
        screenshot("visit-form")
        check_page(page)
        page.get_by_role("button", name="Save").click()
        visit.refresh_from_db()
        assert visit.status == VisitStatus.DONE

        page.get_by_role("button", name="Log out").click()
        login("coord_b")
        response = page.goto(f"/patients/{patient.pk}/")
        assert response is not None and response.status == 404
        response = page.goto(f"/patients/{patient.pk}/treatment/")
        assert response is not None and response.status in (403, 404)
