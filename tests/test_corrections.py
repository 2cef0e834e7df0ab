"""Corrections never lose data: every correction page opens with the record's current values,
and saving it with one field changed leaves every other field as it was."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import lxml.html
import pytest
import time_machine
from django.db import models
from django.test import Client
from rest_framework.test import APIClient

from followup.models import Visit
from followup.services.records import (
    death_record,
    visit_not_done_record,
    visit_record,
    withdrawal_record,
)
from followup.services.refresh import visits_refresh
from tests.api_errors import error_fields
from tests.followup.conftest import followup_patient
from tests.treatment.test_builders import NOW as TREATMENT_NOW
from treatment.models import CtcaeTerm, Cycle, EndOfTreatment, Relapse, ResponseAssessment
from treatment.selectors import first_remission
from treatment.services import RelapseFinding, adverse_event_record, transplant_record
from trial.models import Baseline, Consent, EligibilityAnswer, Patient, User

pytestmark = pytest.mark.django_db

# The pages read the real clock: after every date the builders use (last: 2027-09-01).
TODAY = dt.date(2027, 9, 2)
REASON = "Corrected against the source document"


@pytest.fixture(autouse=True)
def after_the_builders() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2027, 9, 2, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


def prefilled(client: Client, url: str, field: str) -> dict[str, Any]:
    """What the browser would send back from the page's form holding `field`, untouched."""
    page = client.get(url)
    assert page.status_code == 200, url
    forms = [f for f in lxml.html.fromstring(page.content).forms if field in f.inputs]
    assert forms, f"{url} has no form with {field}"
    data: dict[str, Any] = {}
    for name, value in forms[0].form_values():
        data.setdefault(name, []).append(value)
    return {name: values if len(values) > 1 else values[0] for name, values in data.items()}


def values_of(record: models.Model) -> dict[str, Any]:
    record.refresh_from_db()
    return {f.attname: getattr(record, f.attname) for f in record._meta.concrete_fields}


def rows_of(case: Case) -> list[dict[str, Any]]:
    if not case.rows:
        return []
    return list(getattr(case.record, case.rows).order_by("pk").values())


@dataclass(frozen=True)
class Case:
    """A recorded record, the page that corrects it, and one field to change there."""

    url: str
    user: User
    record: models.Model
    field: str
    value: str
    changes: tuple[str, ...] = ()  # the record's fields expected to change, if not `field`
    rows: str = ""  # the record's rows kept beside it (a cycle's doses), unchanged too


def in_followup(site_a, coordinator, investigator) -> Patient:
    """Randomised, one cycle, CR on 2026-12-10, treatment ended 2027-01-15."""
    return followup_patient(site_a, coordinator, investigator, remission=True)


def _visit(patient: Patient, number: int = 1) -> Visit:
    visits_refresh(today=TODAY)
    return Visit.objects.get(patient=patient, number=number)


def visit_with_relapse(patient: Patient, coordinator: User) -> Visit:
    return visit_record(
        visit=_visit(patient),
        by=coordinator,
        today=TODAY,
        contact_date=dt.date(2027, 4, 12),
        vital_status="alive",
        disease_status="relapse",
        relapse_date=dt.date(2027, 4, 1),
        relapse_finding=RelapseFinding(bone_marrow=True, marrow_blast_pct=Decimal("12")),
        new_treatment=True,
        new_treatment_detail="FLAG-Ida",
    )


def _consent(p: Patient, c: User, i: User) -> Case:
    return Case(
        f"/patients/{p.pk}/consent/", c, Consent.objects.get(patient=p), "form_version", "ICF v2.2"
    )


def _baseline(p: Patient, c: User, i: User) -> Case:
    return Case(f"/patients/{p.pk}/baseline/", c, Baseline.objects.get(patient=p), "wbc", "12.5")


def _patient(p: Patient, c: User, i: User) -> Case:
    return Case(f"/patients/{p.pk}/edit/", c, p, "age_at_screening", "65")


def _cycle(p: Patient, c: User, i: User) -> Case:
    cycle = Cycle.objects.get(patient=p)
    url = f"/patients/{p.pk}/treatment/cycles/{cycle.pk}/edit/"
    # the body surface area is derived from the weight
    return Case(url, i, cycle, "weight_kg", "71.5", changes=("weight_kg", "bsa_m2"), rows="drugs")


def _eligibility(p: Patient, c: User, i: User) -> Case:
    answer = EligibilityAnswer.objects.get(patient=p, criterion__code="I1")
    url = f"/patients/{p.pk}/eligibility/"
    return Case(url, c, answer, "note_I1", "Checked on the source", changes=("note",))


def _response(p: Patient, c: User, i: User) -> Case:
    row = ResponseAssessment.objects.get(patient=p)
    url = f"/patients/{p.pk}/treatment/responses/{row.pk}/edit/"
    return Case(url, i, row, "comment", "Marrow read twice")


def _adverse_event(p: Patient, c: User, i: User) -> Case:
    event = adverse_event_record(
        patient=p,
        term=CtcaeTerm.objects.get(term="Febrile neutropenia"),
        term_text="",
        grade=3,
        start_date=dt.date(2026, 11, 10),
        end_date=dt.date(2026, 11, 20),
        relation_dexamethasone="unlikely",
        relation_salvage="probable",
        serious=False,
        by=i,
        now=TREATMENT_NOW,
    )
    url = f"/patients/{p.pk}/treatment/adverse-events/{event.pk}/edit/"
    return Case(url, i, event, "end_date", "2026-11-22")


def _transplant(p: Patient, c: User, i: User) -> Case:
    row = transplant_record(
        patient=p,
        transplant_date=dt.date(2027, 3, 1),
        donor_type="matched_unrelated",
        disease_status="CR",
        comment="",
        by=i,
        now=TREATMENT_NOW,
    )
    url = f"/patients/{p.pk}/treatment/transplants/{row.pk}/edit/"
    return Case(url, i, row, "comment", "Conditioning FLAMSA")


def _end_of_treatment(p: Patient, c: User, i: User) -> Case:
    row = EndOfTreatment.objects.get(patient=p)
    return Case(f"/patients/{p.pk}/treatment/end/", i, row, "comment", "Last cycle as planned")


def _relapse(p: Patient, c: User, i: User) -> Case:
    relapse = visit_with_relapse(p, c).relapse
    assert relapse is not None
    return Case(f"/patients/{p.pk}/treatment/relapse/", i, relapse, "comment", "Confirmed by FISH")


def _visit_contact_date(p: Patient, c: User, i: User) -> Case:
    visit = visit_with_relapse(p, c)
    url = f"/followup/patients/{p.pk}/visits/{visit.pk}/record/"
    return Case(url, c, visit, "contact_date", "2027-04-13")


def _visit_not_done(p: Patient, c: User, i: User) -> Case:
    visit = visit_not_done_record(visit=_visit(p), by=c, not_done_reason="Patient abroad")
    url = f"/followup/patients/{p.pk}/visits/{visit.pk}/not-done/"
    return Case(url, c, visit, "not_done_reason", "Patient abroad until May")


def _death(p: Patient, c: User, i: User) -> Case:
    death = death_record(
        patient=p, by=c, today=TODAY, death_date=dt.date(2027, 6, 1), cause="leukaemia"
    )
    return Case(f"/followup/patients/{p.pk}/death/", c, death, "cause_detail", "Refractory relapse")


def _withdrawal(p: Patient, c: User, i: User) -> Case:
    withdrawal = withdrawal_record(
        patient=p,
        by=c,
        today=TODAY,
        withdrawal_date=dt.date(2027, 5, 1),
        vital_status_may_be_collected=True,
        data_may_be_collected=False,
        comment="",
    )
    url = f"/followup/patients/{p.pk}/withdrawal/"
    return Case(url, c, withdrawal, "comment", "Moved to another country")


CASES: dict[str, Callable[[Patient, User, User], Case]] = {
    "consent": _consent,
    "baseline": _baseline,
    "eligibility": _eligibility,
    "patient": _patient,
    "cycle": _cycle,
    "response": _response,
    "adverse_event": _adverse_event,
    "transplant": _transplant,
    "end_of_treatment": _end_of_treatment,
    "relapse": _relapse,
    "visit": _visit_contact_date,
    "visit_not_done": _visit_not_done,
    "death": _death,
    "withdrawal": _withdrawal,
}


# The API operations that correct each kind with PATCH, under /api/v1/patients/<id>/.
API_PATHS: dict[str, Callable[[Any], str]] = {
    "patient": lambda record: "",
    "consent": lambda record: "consent/",
    "baseline": lambda record: "baseline/",
    "cycle": lambda record: f"cycles/{record.pk}/",
    "response": lambda record: f"responses/{record.pk}/",
    "adverse_event": lambda record: f"adverse-events/{record.pk}/",
    "transplant": lambda record: f"transplants/{record.pk}/",
    "end_of_treatment": lambda record: "end-of-treatment/",
    "visit": lambda record: f"followup/visits/{record.pk}/record/",
}


class TestCorrectionApis:
    @pytest.mark.parametrize("kind", API_PATHS)
    def test_a_patch_changes_only_the_field_sent(
        self, kind: str, site_a, coordinator, investigator
    ) -> None:
        patient = in_followup(site_a, coordinator, investigator)
        case = CASES[kind](patient, coordinator, investigator)
        api = APIClient()
        api.force_authenticate(case.user)
        before, rows_before = values_of(case.record), rows_of(case)
        url = f"/api/v1/patients/{patient.pk}/{API_PATHS[kind](case.record)}"

        response = api.patch(url, {case.field: case.value, "reason": REASON}, format="json")

        assert response.status_code == 200, response.json()
        after = values_of(case.record)
        changed = {k for k in after if after[k] != before[k]}
        assert changed == set(case.changes or [case.field])
        assert rows_of(case) == rows_before

    def test_a_patch_without_a_reason_changes_nothing(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = in_followup(site_a, coordinator, investigator)
        case = _visit_contact_date(patient, coordinator, investigator)
        api = APIClient()
        api.force_authenticate(coordinator)
        before = values_of(case.record)
        url = f"/api/v1/patients/{patient.pk}/followup/visits/{case.record.pk}/record/"

        response = api.patch(url, {"contact_date": "2027-04-13"}, format="json")

        assert (response.status_code, "reason" in error_fields(response)) == (400, True)
        assert values_of(case.record) == before


class TestCorrectionPages:
    @pytest.mark.parametrize("kind", CASES)
    def test_one_field_corrected_leaves_every_other_field_unchanged(
        self, kind: str, site_a, coordinator, investigator
    ) -> None:
        case = CASES[kind](
            in_followup(site_a, coordinator, investigator), coordinator, investigator
        )
        client = Client()
        client.force_login(case.user)
        before, rows_before = values_of(case.record), rows_of(case)
        data = prefilled(client, case.url, case.field) | {case.field: case.value, "reason": REASON}

        response = client.post(case.url, data)

        assert response.status_code == 302, response.content.decode()[-3000:]
        after = values_of(case.record)
        changed = {k for k in after if after[k] != before[k]}
        assert changed == set(case.changes or [case.field])
        assert rows_of(case) == rows_before
        assert case.record.history.latest().history_change_reason == REASON

    def test_a_visit_corrected_for_its_date_keeps_its_relapse(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = in_followup(site_a, coordinator, investigator)
        case = _visit_contact_date(patient, coordinator, investigator)
        relapse = Relapse.objects.get(patient=patient)
        client = Client()
        client.force_login(coordinator)
        data = prefilled(client, case.url, "contact_date")

        client.post(case.url, data | {"contact_date": "2027-04-13", "reason": REASON})

        visit = Visit.objects.get(pk=case.record.pk)
        relapse.refresh_from_db()
        assert (visit.disease_status, visit.relapse_id, visit.new_treatment) == (
            "relapse",
            relapse.pk,
            True,
        )
        assert (relapse.entered_in_error, relapse.relapse_date) == (False, dt.date(2027, 4, 1))
        assert data["disease_status"] == "relapse"


# The kinds marked entered in error from their page (trial.permissions.ENTERED_IN_ERROR_ACTIONS).
MARKED_ON_THEIR_PAGE = (
    "consent",
    "baseline",
    "eligibility",
    "cycle",
    "response",
    "adverse_event",
    "transplant",
    "visit",
)


def entered_in_error_url(patient: Patient, record: models.Model) -> str:
    kind = record._meta.model_name
    return f"/patients/{patient.pk}/records/{kind}/{record.pk}/entered-in-error/"


class TestEnteredInErrorPages:
    @pytest.mark.parametrize("kind", MARKED_ON_THEIR_PAGE)
    def test_the_record_is_kept_marked_with_the_reason_in_its_history(
        self, kind: str, site_a, coordinator, investigator
    ) -> None:
        patient = in_followup(site_a, coordinator, investigator)
        case = CASES[kind](patient, coordinator, investigator)
        client = Client()
        client.force_login(case.user)
        url = entered_in_error_url(patient, case.record)
        assert (
            url in client.get(f"{url.removesuffix('entered-in-error/')}history/").content.decode()
        )

        response = client.post(url, {"reason": "Entered on the wrong patient"})

        assert response.status_code == 302
        case.record.refresh_from_db()
        last = case.record.history.latest()
        assert (case.record.entered_in_error, case.record.entered_in_error_reason) == (
            True,
            "Entered on the wrong patient",
        )
        assert (last.history_user, last.history_change_reason) == (
            case.user,
            "Entered in error: Entered on the wrong patient",
        )

    def test_a_reason_is_required(self, site_a, coordinator, investigator) -> None:
        patient = in_followup(site_a, coordinator, investigator)
        cycle = Cycle.objects.get(patient=patient)
        client = Client()
        client.force_login(investigator)

        response = client.post(entered_in_error_url(patient, cycle), {"reason": " "})

        cycle.refresh_from_db()
        assert (response.status_code, cycle.entered_in_error) == (200, False)
        assert "This field is required." in response.content.decode()

    def test_only_a_role_that_enters_the_record_may_mark_it(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = in_followup(site_a, coordinator, investigator)
        cycle = Cycle.objects.get(patient=patient)
        client = Client()
        client.force_login(coordinator)  # cycles are the investigator's
        url = entered_in_error_url(patient, cycle)

        page = client.get(url).content.decode()
        refused = client.post(url, {"reason": "Wrong patient"})

        cycle.refresh_from_db()
        assert 'data-testid="read-only"' in page
        assert (refused.status_code, cycle.entered_in_error) == (403, False)

    def test_a_marked_response_no_longer_counts_as_the_remission(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = in_followup(site_a, coordinator, investigator)
        client = Client()
        client.force_login(investigator)
        response = ResponseAssessment.objects.get(patient=patient)

        client.post(entered_in_error_url(patient, response), {"reason": "Other patient's"})

        assert first_remission(patient) is None

    def test_a_relapse_is_withdrawn_by_its_own_operation_not_here(
        self, site_a, coordinator, investigator
    ) -> None:
        patient = in_followup(site_a, coordinator, investigator)
        relapse = _relapse(patient, coordinator, investigator).record
        client = Client()
        client.force_login(investigator)

        response = client.post(entered_in_error_url(patient, relapse), {"reason": "x"})

        relapse.refresh_from_db()
        assert (response.status_code, relapse.entered_in_error) == (404, False)
