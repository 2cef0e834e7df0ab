"""Issue 20 end to end, once through the pages and once through the API: a patient reaches CR
after induction, relapses at the start of cycle 3 (30% marrow blasts), treatment ends for
progression and the patient dies seven weeks later, before the first follow-up visit. EFS and
RFS end at the relapse, not at the death.

Worked by hand on a calendar (docs/protocol.md "Endpoints"; the start day is day 0):
- randomised 2026-11-02; CR 2026-11-28; relapse 2027-01-05; death 2027-02-23.
- EFS: 2026-11-02 → 2026-12-02 is 30 days (November has 30), → 2027-01-02 is 31 more
  (December), → 2027-01-05 is 3 more: 64 days, event "Relapse".
- RFS: 2026-11-28 → 2026-12-28 is 30 days, → 2027-01-05 is 8 more: 38 days, event "Relapse".
- OS: 64 days to the relapse, → 2027-02-05 is 31 more, → 2027-02-23 is 18 more: 113 days.
  113 − 64 = 49: the seven weeks by which EFS used to end too late, at the death.
The first follow-up visit would have been 2027-04-08 (end of treatment 2027-01-08 + 3 months).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client
from rest_framework.test import APIClient

from analysis.datasets import wide_frame
from analysis.derive import CompetingEvent
from analysis.gather import trial_facts_gather
from followup.models import Visit
from tests.analysis.endpoints import patient_endpoints
from tests.api_errors import error_fields
from tests.factories import randomized_patient
from tests.treatment.test_builders import record_cycle
from treatment.models import Relapse, RelapseFoundAt
from trial.models import Patient, User

TODAY = dt.datetime(2027, 9, 1, 9, 0, tzinfo=dt.UTC)  # pages and API read this clock
CUTOFF = dt.date(2027, 6, 30)
CYCLE_STARTS = ["2026-11-03", "2026-12-01", "2027-01-05"]  # induction, consolidations 1 and 2
CR_ON, RELAPSE_ON, END_ON, DEATH_ON = "2026-11-28", "2027-01-05", "2027-01-08", "2027-02-23"


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def patient(site_a, coordinator: User, investigator: User) -> Patient:
    return randomized_patient(site_a, coordinator, investigator, arm="DEX", regimen="IC")


def _ic_cycle(start: str) -> dict[str, Any]:
    doses = {"amsacrine": ("120", "mg/m2"), "cytarabine": ("6000", "mg/m2")}
    doses["dexamethasone"] = ("160", "mg")
    data: dict[str, Any] = {
        "start_date": start,
        "regimen": "IC",
        "height_cm": "170",
        "weight_kg": "70",
        "delay_days": "0",
    }
    for drug, (dose, unit) in doses.items():
        data |= {f"{drug}_planned": dose, f"{drug}_given": dose, f"{drug}_unit": unit}
    return data


def endpoints(patient: Patient) -> dict[str, tuple[dt.date, int, int, str]]:
    (facts,) = [p for p in trial_facts_gather(cutoff=CUTOFF).patients if p.patient_id == patient.pk]
    return {
        code: (t.adt, t.aval, t.cnsr, t.evntdesc)
        for code, t in patient_endpoints(facts, CUTOFF).items()
    }


def cir_row(patient: Patient) -> dict[str, Any]:
    facts = [p for p in trial_facts_gather(cutoff=CUTOFF).patients if p.patient_id == patient.pk]
    row = wide_frame(facts, CUTOFF).iloc[0]
    return {"RLPSDT": row.RLPSDT, "RLPSTYP": row.RLPSTYP, "CIRSTAT": row.CIRSTAT}


EXPECTED = {
    "OS": (dt.date(2027, 2, 23), 113, 0, "Death"),
    "OSTC": (dt.date(2027, 2, 23), 113, 0, "Death"),  # no transplant: the same as OS
    "EFS": (dt.date(2027, 1, 5), 64, 0, "Relapse"),
    "RFS": (dt.date(2027, 1, 5), 38, 0, "Relapse"),
}


def enter_through_pages(patient: Patient, investigator: User, coordinator: User) -> None:
    """The investigator enters the treatment period, the coordinator the death."""
    doctor, nurse = Client(), Client()
    doctor.force_login(investigator)
    nurse.force_login(coordinator)
    base = f"/patients/{patient.pk}/treatment"

    posts = [
        (doctor, f"{base}/cycles/new/", _ic_cycle(CYCLE_STARTS[0])),
        (
            doctor,
            f"{base}/responses/new/",
            {"assessment_date": CR_ON, "response": "CR", "marrow_blast_pct": "2"},
        ),
        (doctor, f"{base}/cycles/new/", _ic_cycle(CYCLE_STARTS[1])),
        (doctor, f"{base}/cycles/new/", _ic_cycle(CYCLE_STARTS[2])),
        (
            doctor,
            f"{base}/responses/new/",
            {"assessment_date": RELAPSE_ON, "response": "REL", "marrow_blast_pct": "30"},
        ),
        (doctor, f"{base}/end/", {"end_date": END_ON, "end_reason": "progression"}),
        (
            nurse,
            f"/followup/patients/{patient.pk}/death/",
            {"death_date": DEATH_ON, "cause": "leukaemia"},
        ),
    ]
    for client, url, data in posts:
        response = client.post(url, data)
        assert response.status_code == 302, (url, response.content.decode()[-2000:])


class TestThroughThePages:
    def test_the_relapse_ends_efs_and_rfs_not_the_death(
        self, patient: Patient, investigator: User, coordinator: User
    ) -> None:
        enter_through_pages(patient, investigator, coordinator)

        relapse = Relapse.objects.get(patient=patient)
        assert (relapse.relapse_date, relapse.found_at) == (
            dt.date(2027, 1, 5),
            RelapseFoundAt.RESPONSE,
        )
        assert (relapse.bone_marrow, relapse.marrow_blast_pct, relapse.recorded_by) == (
            True,
            30,
            investigator,
        )
        assert not Visit.objects.filter(patient=patient, status="done").exists()
        assert endpoints(patient) == EXPECTED
        assert cir_row(patient) == {
            "RLPSDT": dt.date(2027, 1, 5),
            "RLPSTYP": "BM",
            "CIRSTAT": float(CompetingEvent.RELAPSE),
        }

    def test_the_timeline_and_the_follow_up_page_show_the_relapse(
        self, patient: Patient, investigator: User, coordinator: User
    ) -> None:
        enter_through_pages(patient, investigator, coordinator)
        client = Client()
        client.force_login(coordinator)

        timeline = client.get(f"/patients/{patient.pk}/treatment/").content.decode()
        followup = client.get(f"/followup/patients/{patient.pk}/").content.decode()

        shown = "Relapse on 2027-01-05 (bone marrow (30.0% blasts))"
        assert shown in timeline
        assert "found at response assessment, recorded by inv_a" in timeline
        assert shown in followup

    def test_the_end_of_treatment_asks_for_the_relapse_it_finds(
        self, patient: Patient, investigator: User
    ) -> None:
        doctor = Client()
        doctor.force_login(investigator)
        base = f"/patients/{patient.pk}/treatment"
        doctor.post(f"{base}/cycles/new/", _ic_cycle(CYCLE_STARTS[0]))
        doctor.post(
            f"{base}/responses/new/",
            {"assessment_date": CR_ON, "response": "CR", "marrow_blast_pct": "2"},
        )

        form = doctor.get(f"{base}/end/").content.decode()
        refused = doctor.post(f"{base}/end/", {"end_date": END_ON, "end_reason": "progression"})
        saved = doctor.post(
            f"{base}/end/",
            {
                "end_date": END_ON,
                "end_reason": "progression",
                "relapse_date": RELAPSE_ON,
                "peripheral_blood": "on",
            },
        )

        assert 'name="relapse_date"' in form and 'name="extramedullary_site"' in form
        assert refused.status_code == 200
        assert "progression after CR/CRi is a relapse (ELN 2017)" in refused.content.decode()
        assert saved.status_code == 302
        relapse = Relapse.objects.get(patient=patient)
        assert (relapse.relapse_date, relapse.found_at, relapse.peripheral_blood) == (
            dt.date(2027, 1, 5),
            RelapseFoundAt.END_OF_TREATMENT,
            True,
        )


class TestThroughTheApi:
    def test_the_relapse_ends_efs_and_rfs_not_the_death(
        self, patient: Patient, investigator: User, coordinator: User
    ) -> None:
        doctor, nurse = APIClient(), APIClient()
        doctor.force_authenticate(investigator)
        nurse.force_authenticate(coordinator)
        api = f"/api/v1/patients/{patient.pk}"
        drugs = [
            {"drug": "amsacrine", "planned_dose": "120", "given_dose": "120", "unit": "mg/m2"},
            {"drug": "cytarabine", "planned_dose": "6000", "given_dose": "6000", "unit": "mg/m2"},
            {"drug": "dexamethasone", "planned_dose": "160", "given_dose": "160", "unit": "mg"},
        ]

        def cycle(start: str) -> tuple[str, str, dict[str, Any]]:
            body = {"start_date": start, "regimen": "IC", "height_cm": "170", "weight_kg": "70"}
            return "post", f"{api}/cycles/", {**body, "drugs": drugs}

        calls = [
            cycle(CYCLE_STARTS[0]),
            (
                "post",
                f"{api}/responses/",
                {"assessment_date": CR_ON, "response": "CR", "marrow_blast_pct": "2"},
            ),
            cycle(CYCLE_STARTS[1]),
            cycle(CYCLE_STARTS[2]),
            (
                "post",
                f"{api}/responses/",
                {"assessment_date": RELAPSE_ON, "response": "REL", "marrow_blast_pct": "30"},
            ),
            ("put", f"{api}/end-of-treatment/", {"end_date": END_ON, "end_reason": "progression"}),
        ]
        for method, url, body in calls:
            response = getattr(doctor, method)(url, body, format="json")
            assert response.status_code in (200, 201), (url, response.json())
        death = nurse.post(
            f"{api}/followup/death/", {"death_date": DEATH_ON, "cause": "leukaemia"}, format="json"
        )
        relapse = doctor.get(f"{api}/relapse/").json()
        summary = doctor.get(f"{api}/treatment/").json()

        assert death.status_code == 201
        assert relapse["relapse_date"] == "2027-01-05"
        assert (relapse["bone_marrow"], relapse["marrow_blast_pct"]) == (True, "30.0")
        assert (relapse["found_at"], relapse["recorded_by"]) == ("response", "inv_a")
        assert summary["disease_course"] == "Relapse on 2027-01-05 (bone marrow (30.0% blasts))"
        assert endpoints(patient) == EXPECTED

    def test_the_end_of_treatment_asks_for_the_relapse_it_finds(
        self, patient: Patient, investigator: User
    ) -> None:
        doctor = APIClient()
        doctor.force_authenticate(investigator)
        api = f"/api/v1/patients/{patient.pk}"
        record_cycle(patient, investigator, dt.date(2026, 11, 3))
        doctor.post(
            f"{api}/responses/",
            {"assessment_date": CR_ON, "response": "CR", "marrow_blast_pct": "2"},
            format="json",
        )
        end = {"end_date": END_ON, "end_reason": "progression"}

        refused = doctor.put(f"{api}/end-of-treatment/", end, format="json")
        saved = doctor.put(
            f"{api}/end-of-treatment/",
            {
                **end,
                "relapse_date": RELAPSE_ON,
                "extramedullary": True,
                "extramedullary_site": "skin",
            },
            format="json",
        )

        assert refused.status_code == 400
        assert "progression after CR/CRi is a relapse" in error_fields(refused)["relapse_date"][0]
        assert saved.status_code == 200, saved.json()
        assert doctor.get(f"{api}/relapse/").json()["established_by"] == "extramedullary (skin)"


class TestRelapseBeforeAnyRemission:
    def test_is_refused_on_the_page_and_in_the_api_naming_the_rule(
        self, patient: Patient, investigator: User
    ) -> None:
        record_cycle(patient, investigator, dt.date(2026, 11, 3))
        page, api = Client(), APIClient()
        page.force_login(investigator)
        api.force_authenticate(investigator)
        body = {"assessment_date": "2026-12-01", "response": "REL", "marrow_blast_pct": "40"}

        on_page = page.post(f"/patients/{patient.pk}/treatment/responses/new/", body)
        on_relapse_page = page.post(
            f"/patients/{patient.pk}/treatment/relapse/",
            {"relapse_date": "2026-12-01", "bone_marrow": "on", "marrow_blast_pct": "40"},
        )
        in_api = api.post(f"/api/v1/patients/{patient.pk}/responses/", body, format="json")
        relapse_api = api.put(
            f"/api/v1/patients/{patient.pk}/relapse/",
            {"relapse_date": "2026-12-01", "bone_marrow": True, "marrow_blast_pct": "40"},
            format="json",
        )

        rule = "A relapse requires a previous CR/CRi (ELN 2017)"
        assert on_page.status_code == 200 and rule in on_page.content.decode()
        assert "refractory or progressive disease" in on_page.content.decode()
        assert on_relapse_page.status_code == 200 and rule in on_relapse_page.content.decode()
        assert in_api.status_code == 400 and rule in error_fields(in_api)["response"][0]
        assert (
            relapse_api.status_code == 400
            and rule in error_fields(relapse_api)["non_field_errors"][0]
        )
        assert not Relapse.objects.exists()
