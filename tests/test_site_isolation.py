"""Site isolation, walked over every URL of the project (PROTOCOL.md "Who uses it").

A coordinator of site A asks every page and endpoint that takes an identifier for a record of
site B and must get 404 (or 405 for a method the view does not have). Pages added later are
covered without editing this file, except to register a new kind of identifier below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import resolve, reverse

from cleaning.models import DataQuery
from cleaning.services.queries import query_raise
from tests.factories import randomized_patient, screened_patient, user_with_role
from tests.treatment.test_builders import NOW as TREATMENT_NOW
from tests.treatment.test_builders import STARTS, record_cycle
from tests.url_walk import Route, all_routes
from treatment.models import Cycle
from treatment.services import response_record
from trial.models import Patient, Role, Site, User


@dataclass(frozen=True)
class SiteB:
    """Records of site B, fully entered, for the walk to ask for."""

    site: Site
    patient: Patient  # consent, baseline and eligibility recorded, confirmed, randomised
    cycle: Cycle  # a treatment record of that patient
    query: DataQuery  # a data query on that cycle


# URL parameter name → the site-B value to put in the URL. Register every new kind of
# identifier here (e.g. "cycle_id": lambda b: <a treatment cycle of b.patient>).pk).
SITE_B_OBJECTS: dict[str, Callable[[SiteB], object]] = {
    "patient_id": lambda b: b.patient.pk,
    "site_id": lambda b: b.site.pk,
    # Records nested under a patient (cycles, responses, adverse events, …) take `pk`.
    "pk": lambda b: b.cycle.pk,
    # Generic record pages name the kind of record the `pk` identifies.
    "record_type": lambda b: "cycle",
    "query_id": lambda b: b.query.pk,
}

# URL parameters that do not identify site data, and why.
NOT_SITE_DATA: dict[str, str] = {
    "uidb64": "password-reset link of django.contrib.auth",
    "token": "password-reset link of django.contrib.auth",
    "list_id": "trial-wide allocation list: every site role is refused it (tests/randomization)",
    "cutoff_id": "trial-wide data cut-off: every site role is refused it (tests/analysis)",
    "export_id": "trial-wide export: every site role is refused it (tests/analysis)",
    "name": "file name inside a trial-wide export (tests/analysis)",
}

# The admin is closed to coordinators whatever the URL; its parameters only need to resolve.
ADMIN_VALUES: dict[str, str] = {"app_label": "trial", "url": "no-such-page/"}

ALLOWED = {404, 405}


def _unregistered(route: Route) -> list[str]:
    return [
        name
        for name in route.kwargs
        if name not in SITE_B_OBJECTS and name not in NOT_SITE_DATA and not route.in_admin
    ]


def _routes_with_site_data() -> list[Route]:
    return [
        r
        for r in all_routes()
        if r.kwargs and not r.in_admin and not any(k in NOT_SITE_DATA for k in r.kwargs)
    ]


@pytest.fixture
def site_b_records(site_b: Site, coordinator_b: User, investigator_b: User) -> SiteB:
    patient = randomized_patient(site_b, coordinator_b, investigator_b)
    cycle = record_cycle(patient, investigator_b, STARTS[0])
    # A CR, then a relapse: the relapse pages and endpoints have a site-B record to leak.
    for day, response, blasts in ((dt.date(2026, 11, 28), "CR", "2"), (STARTS[1], "REL", "30")):
        response_record(
            patient=patient,
            assessment_date=day,
            response=response,
            marrow_blast_pct=Decimal(blasts),
            by=investigator_b,
            now=TREATMENT_NOW,
        )
    query = query_raise(
        record=cycle,
        field_name="start_date",
        category="inconsistent",
        text="Which day did the cycle start?",
        by=user_with_role(Role.MONITOR, site_b, "monitor_b"),
        now=cycle.created_at,
    )
    return SiteB(site=site_b, patient=patient, cycle=cycle, query=query)


@pytest.fixture
def client_a(client: Client, coordinator: User) -> Client:
    client.force_login(coordinator)
    return client


def _check_resolves_to(route: Route, url: str) -> str | None:
    match = resolve(url.split("?")[0])
    if match.func is not route.callback:
        return f"{url}: built from {route.text!r} but resolves to {match.route!r}"
    return None


class TestUrlRegistry:
    def test_every_url_parameter_is_registered(self) -> None:
        unknown = {f"{name} (in {r.text!r})" for r in all_routes() for name in _unregistered(r)}

        assert not unknown, (
            "URL parameter(s) without a site-B builder: "
            f"{', '.join(sorted(unknown))}. Register each in SITE_B_OBJECTS (or, if it "
            "identifies nothing of a site, in NOT_SITE_DATA) in tests/test_site_isolation.py."
        )

    def test_the_walk_finds_the_patient_endpoints(self) -> None:
        texts = {r.text for r in _routes_with_site_data()}

        assert "api/v1/patients/<int:patient_id>/" in texts
        assert "api/v1/patients/<int:patient_id>/baseline/history/" in texts


class TestSiteIsolation:
    def test_every_url_of_a_site_b_record_is_not_found_for_a_site_a_coordinator(
        self, client_a: Client, site_b_records: SiteB
    ) -> None:
        failures: list[str] = []

        for route in _routes_with_site_data():
            missing = _unregistered(route)
            if missing:
                failures.append(f"{route.text}: register {', '.join(missing)} in SITE_B_OBJECTS")
                continue
            url = route.url(lambda name: SITE_B_OBJECTS[name](site_b_records))
            if problem := _check_resolves_to(route, url):
                failures.append(problem)
                continue
            methods = (
                ["get", "post", "put", "patch"] if url.startswith("/api/") else ["get", "post"]
            )
            for method in methods:
                response = getattr(client_a, method)(url, content_type="application/json")
                if response.status_code not in ALLOWED:
                    failures.append(f"{method.upper()} {url} → {response.status_code}")

        assert failures == []

    def test_no_admin_url_opens_for_a_site_a_coordinator_even_with_staff_status(
        self, client_a: Client, coordinator: User, site_b_records: SiteB
    ) -> None:
        coordinator.is_staff = True
        coordinator.save()
        login = reverse("admin:login")
        failures: list[str] = []

        for route in (r for r in all_routes() if r.in_admin and r.kwargs):
            url = route.url(lambda name: ADMIN_VALUES.get(name, site_b_records.patient.pk))
            if problem := _check_resolves_to(route, url):
                failures.append(problem)
                continue
            for method in ("get", "post"):
                response = getattr(client_a, method)(url)
                if response.status_code != 302 or not response["Location"].startswith(login):
                    failures.append(f"{method.upper()} {url} → {response.status_code}")

        assert failures == []


class TestListsShowOnlyTheUsersSites:
    @pytest.fixture
    def patients(
        self, site_a: Site, coordinator: User, site_b_records: SiteB
    ) -> tuple[Patient, Patient]:
        return screened_patient(site_a, coordinator), site_b_records.patient

    def test_the_api_patient_list_has_only_site_a_patients(
        self, client_a: Client, patients: tuple[Patient, Patient]
    ) -> None:
        patient_a, patient_b = patients

        body = client_a.get("/api/v1/patients/").json()
        searched = client_a.get("/api/v1/patients/", {"search": patient_b.screening_number})
        filtered = client_a.get("/api/v1/patients/", {"site": patient_b.site_id})

        assert [p["id"] for p in body["results"]] == [patient_a.pk]
        assert searched.json()["count"] == 0
        assert filtered.json()["count"] == 0

    def test_the_api_site_list_has_only_the_users_site(
        self, client_a: Client, site_a: Site, site_b: Site
    ) -> None:
        codes = [s["code"] for s in client_a.get("/api/v1/sites/").json()["results"]]

        assert codes == [site_a.code]

    def test_no_page_without_parameters_shows_a_site_b_patient(
        self, client_a: Client, patients: tuple[Patient, Patient]
    ) -> None:
        _, patient_b = patients
        secret = patient_b.screening_number.encode()
        leaks, pages = [], 0

        for route in all_routes():
            if route.kwargs or route.in_admin or route.text.startswith("api/schema"):
                continue
            response = client_a.get(route.url(lambda name: ""))
            if response.status_code == 200:
                pages += 1
                body = (
                    b"".join(response.streaming_content) if response.streaming else response.content
                )
                if secret in body:
                    leaks.append(route.text)

        assert pages >= 3
        assert leaks == []
