import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from followup.demo import demo_seed_followup
from followup.models import Visit, VisitStatus
from tests.api_errors import error_fields
from tests.factories import randomized_patient

pytestmark = pytest.mark.django_db


# Pages and API read today's date from the clock: the visit is due today.
TODAY = timezone.localdate()


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


class TestWorklistApi:
    def test_lists_the_due_visits_of_the_users_sites(
        self, due_visit, coordinator, coordinator_b
    ) -> None:
        mine = _api(coordinator).get("/api/v1/followup/worklist/")
        theirs = _api(coordinator_b).get("/api/v1/followup/worklist/")

        assert [v["id"] for v in mine.json()] == [due_visit.pk]
        assert theirs.json() == []

    def test_shows_the_end_of_study_to_every_user(self, due_visit, monitor) -> None:
        response = _api(monitor).get("/api/v1/followup/study-end/")

        assert response.json()["end_of_study"] == "2031-11-02"


class TestVisitRecordApi:
    def test_records_a_visit(self, due_visit, coordinator) -> None:
        url = f"/api/v1/patients/{due_visit.patient_id}/followup/visits/{due_visit.pk}/record/"

        response = _api(coordinator).post(
            url,
            {
                "contact_date": TODAY.isoformat(),
                "vital_status": "alive",
                "disease_status": "remission",
            },
            format="json",
        )

        assert response.status_code == 200, response.json()
        assert response.json()["status"] == VisitStatus.DONE

    def test_another_sites_patient_is_not_found(self, due_visit, coordinator_b) -> None:
        url = f"/api/v1/patients/{due_visit.patient_id}/followup/visits/{due_visit.pk}/record/"

        response = _api(coordinator_b).post(url, {}, format="json")

        assert response.status_code == 404

    def test_a_missing_relapse_date_is_a_field_error(self, due_visit, coordinator) -> None:
        url = f"/api/v1/patients/{due_visit.patient_id}/followup/visits/{due_visit.pk}/record/"

        response = _api(coordinator).post(
            url,
            {
                "contact_date": TODAY.isoformat(),
                "vital_status": "alive",
                "disease_status": "relapse",
            },
            format="json",
        )

        assert response.status_code == 400
        assert "relapse_date" in error_fields(response)


class TestDeathApi:
    def test_death_cancels_the_open_visit(self, due_visit, coordinator) -> None:
        response = _api(coordinator).post(
            f"/api/v1/patients/{due_visit.patient_id}/followup/death/",
            {"death_date": TODAY.isoformat(), "cause": "leukaemia"},
            format="json",
        )

        assert response.status_code == 201
        due_visit.refresh_from_db()
        assert due_visit.status == VisitStatus.CANCELLED


class TestPages:
    def test_worklist_page_lists_visits_and_the_end_of_study(
        self, client, due_visit, coordinator
    ) -> None:
        client.force_login(coordinator)

        response = client.get("/followup/")

        assert response.status_code == 200
        assert (
            f"/followup/patients/{due_visit.patient_id}/visits/{due_visit.pk}/record/"
            in response.text
        )
        assert "2031-11-02" in response.text

    def test_visit_form_records_the_visit(self, client, due_visit, coordinator) -> None:
        client.force_login(coordinator)
        url = f"/followup/patients/{due_visit.patient_id}/visits/{due_visit.pk}/record/"

        response = client.post(
            url,
            {
                "contact_date": TODAY.isoformat(),
                "vital_status": "alive",
                "disease_status": "remission",
            },
        )

        assert response.status_code == 302
        due_visit.refresh_from_db()
        assert due_visit.status == VisitStatus.DONE

    def test_patient_page_of_another_site_is_not_found(
        self, client, due_visit, coordinator_b
    ) -> None:
        client.force_login(coordinator_b)

        assert client.get(f"/followup/patients/{due_visit.patient_id}/").status_code == 404

    def test_death_form_shows_service_errors(self, client, due_visit, coordinator) -> None:
        client.force_login(coordinator)

        response = client.post(
            f"/followup/patients/{due_visit.patient_id}/death/",
            {"death_date": "2020-01-01", "cause": "leukaemia"},
        )

        assert response.status_code == 200
        assert "before randomisation" in response.text


class TestDemoSeed:
    def test_records_end_of_treatment_and_schedules_visits(
        self, site_a, coordinator, investigator
    ) -> None:
        for _ in range(3):
            randomized_patient(site_a, coordinator, investigator)

        result = demo_seed_followup(today=dt.date(2027, 11, 2))

        assert result.created > 0
        assert Visit.objects.filter(anchor_provisional=False).exists()
