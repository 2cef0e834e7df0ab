"""A relapse found at a follow-up visit is recorded by the treatment period's one service, and
every visit that reports it links to that record (docs/protocol.md "Relapse")."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from analysis.gather import trial_facts_gather
from followup.models import Visit
from followup.services.records import visit_record
from followup.services.refresh import visits_refresh
from tests.analysis.endpoints import patient_endpoints
from tests.followup.conftest import followup_patient
from tests.treatment.test_builders import NOW
from treatment.models import Relapse, RelapseFoundAt
from treatment.services import RelapseFinding, relapse_withdraw

pytestmark = pytest.mark.django_db

MARROW = RelapseFinding(bone_marrow=True, marrow_blast_pct=Decimal("12"))


@pytest.fixture
def in_cr(site_a, coordinator, investigator):
    """CR on 2026-12-10, treatment ended 2027-01-15: visit 1 targets 2027-04-15."""
    return followup_patient(site_a, coordinator, investigator, remission=True)


def _visit(patient, number: int = 1) -> Visit:
    visits_refresh(today=dt.date(2027, 7, 10))
    return Visit.objects.get(patient=patient, number=number)


def _record(visit, by, contact=dt.date(2027, 4, 12), **overrides):
    data = {"vital_status": "alive", "disease_status": "relapse"} | overrides
    return visit_record(
        visit=visit, by=by, today=dt.date(2027, 7, 20), contact_date=contact, **data
    )


class TestRelapseFoundAtAVisit:
    def test_is_recorded_and_the_visit_links_to_it(self, in_cr, coordinator) -> None:
        visit = _record(
            _visit(in_cr), coordinator, relapse_date=dt.date(2027, 4, 1), relapse_finding=MARROW
        )

        relapse = Relapse.objects.get(patient=in_cr)
        assert visit.relapse == relapse
        assert (relapse.relapse_date, relapse.found_at, relapse.recorded_by) == (
            dt.date(2027, 4, 1),
            RelapseFoundAt.FOLLOWUP_VISIT,
            coordinator,
        )
        (facts,) = trial_facts_gather(cutoff=dt.date(2027, 6, 30)).patients
        rfs = patient_endpoints(facts, dt.date(2027, 6, 30))["RFS"]
        # 2026-12-10 → 2027-01-10 is 31 days, → 2027-04-01 is 21 (to 31 January) + 28 + 31 + 1
        # = 81 more: 112.
        assert (rfs.adt, rfs.aval, rfs.evntdesc) == (
            dt.date(2027, 4, 1),
            112,
            "Relapse",
        )

    def test_is_refused_for_a_patient_never_in_cr_naming_the_rule(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = followup_patient(site_a, coordinator, investigator)

        with pytest.raises(ValidationError) as error:
            _record(
                _visit(patient),
                coordinator,
                relapse_date=dt.date(2027, 4, 1),
                relapse_finding=MARROW,
            )

        (message,) = error.value.message_dict["disease_status"]
        assert message.startswith("A relapse requires a previous CR/CRi (ELN 2017)")
        assert not Relapse.objects.exists()

    def test_a_later_visit_reports_the_same_relapse(self, in_cr, coordinator) -> None:
        _record(
            _visit(in_cr), coordinator, relapse_date=dt.date(2027, 4, 1), relapse_finding=MARROW
        )
        second = _visit(in_cr, 2)

        with pytest.raises(ValidationError, match="recorded on 2027-04-01"):
            _record(
                second, coordinator, contact=dt.date(2027, 7, 14), relapse_date=dt.date(2027, 7, 1)
            )
        with pytest.raises(ValidationError, match="remission was not kept"):
            _record(second, coordinator, contact=dt.date(2027, 7, 14), disease_status="remission")
        second = _record(second, coordinator, contact=dt.date(2027, 7, 14))

        assert second.relapse == Relapse.objects.get(patient=in_cr)
        with pytest.raises(ValidationError, match="Follow-up visits 1, 2 report this relapse"):
            relapse_withdraw(relapse=second.relapse, by=coordinator, now=NOW, reason="No relapse")

    def test_correcting_the_only_visit_that_found_it_withdraws_it(self, in_cr, coordinator) -> None:
        visit = _record(
            _visit(in_cr), coordinator, relapse_date=dt.date(2027, 4, 1), relapse_finding=MARROW
        )

        visit = _record(
            visit, coordinator, disease_status="remission", reason="Wrong patient's note"
        )

        relapse = Relapse.objects.get(patient=in_cr)
        assert visit.relapse is None and relapse.entered_in_error
        assert relapse.entered_in_error_reason == "Visit 1 corrected: Wrong patient's note"


class TestPagesAndApi:
    """Pages and API read the clock: it reads 2027-04-15, the target of visit 1."""

    TODAY = dt.date(2027, 4, 15)

    @pytest.fixture(autouse=True)
    def clock(self) -> Iterator[None]:
        with time_machine.travel(dt.datetime(2027, 4, 15, 9, 0, tzinfo=dt.UTC), tick=False):
            yield

    @pytest.fixture
    def due(self, in_cr) -> Visit:
        visits_refresh(today=self.TODAY)
        return Visit.objects.get(patient=in_cr, number=1)

    def test_the_visit_form_records_the_relapse_and_the_page_shows_it(
        self, due, coordinator
    ) -> None:
        client = Client()
        client.force_login(coordinator)
        url = f"/followup/patients/{due.patient_id}/visits/{due.pk}/record/"

        form = client.get(url).content.decode()
        response = client.post(
            url,
            {
                "contact_date": "2027-04-15",
                "vital_status": "alive",
                "disease_status": "relapse",
                "relapse_date": "2027-04-10",
                "extramedullary": "on",
                "extramedullary_site": "skin",
            },
        )
        page = client.get(f"/followup/patients/{due.patient_id}/").content.decode()

        assert "In remission: Complete remission (CR) since 2026-12-10" in form
        assert response.status_code == 302
        assert "Relapse on 2027-04-10 (extramedullary (skin))" in page
        assert "relapse of 2027-04-10</a>" in page

    def test_the_api_records_the_relapse_and_gives_its_date(self, due, coordinator) -> None:
        client = APIClient()
        client.force_authenticate(coordinator)

        response = client.post(
            f"/api/v1/patients/{due.patient_id}/followup/visits/{due.pk}/record/",
            {
                "contact_date": "2027-04-15",
                "vital_status": "alive",
                "disease_status": "relapse",
                "relapse_date": "2027-04-10",
                "peripheral_blood": True,
            },
            format="json",
        )

        assert response.status_code == 200, response.json()
        relapse = Relapse.objects.get(patient_id=due.patient_id)
        assert response.json()["relapse"] == relapse.pk
        assert response.json()["relapse_date"] == "2027-04-10"
        assert relapse.peripheral_blood
