"""The README's first command, run as a newcomer runs it: `scripts/run` on the embedded default.

`scripts/run` starts here exactly as the README says (its own SQLite file in a fresh VAR_DIR,
the filesystem broker, a real Celery worker with beat, the development server on a free port),
and a real Chromium goes through every journey of the demo on it, signing in through the login
form: screen, consent, baseline, checklist, the investigator's confirmation, enrolment,
randomisation, a cycle, a serious adverse event, a follow-up visit, a frozen cut-off and its
export built by the worker. Then everything is stopped. Nothing here touches the suite's
PostgreSQL: this is the SQLite path of the product.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "dexaml-demo-2026"  # trial/demo.py DEMO_PASSWORD, as the README prints it
STARTUP_SECONDS = 240

pytestmark = pytest.mark.embedded


@dataclass
class Embedded:
    url: str
    var_dir: Path
    output: Path

    def logs(self) -> str:
        """What the server and the worker printed (the console e-mail backend among it)."""
        texts = [self.output.read_text(errors="replace")]
        worker_log = self.var_dir / "celery.log"
        if worker_log.exists():
            texts.append(worker_log.read_text(errors="replace"))
        return "\n".join(texts)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_serving(url: str, process: subprocess.Popen[bytes], output: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"scripts/run exited with {process.returncode}:\n{output.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/accounts/login/", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    pytest.fail(f"scripts/run did not serve within {STARTUP_SECONDS} s:\n{output.read_text()}")


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    var_dir = tmp_path_factory.mktemp("embedded-var")
    output = var_dir / "scripts-run.out"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env.update(VAR_DIR=str(var_dir), PORT=str(_free_port()))
    url = f"http://127.0.0.1:{env['PORT']}"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "run")],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the worker and server stop with it
        )
    try:
        _wait_until_serving(url, process, output)
        yield Embedded(url=url, var_dir=var_dir, output=output)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, embedded: Embedded) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=embedded.url)
    context.set_default_timeout(30_000)
    expect.set_options(timeout=30_000)  # a loaded 2-core machine; Playwright waits, never sleeps
    page = context.new_page()
    yield page
    context.close()


def _sign_in(page: Page, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _iso(days_ago: int) -> str:
    return (dt.date.today() - dt.timedelta(days=days_ago)).isoformat()


def _disease_status(course: str) -> str:
    """The follow-up disease status that agrees with the course the visit form shows."""
    if "reports this relapse" in course:
        return "relapse"
    return "remission" if "A relapse found at this visit" in course else "not_in_remission"


def _visit_of_a_living_patient(page: Page) -> str:
    """The recording page of the first visit on the worklist whose patient has no death
    recorded (the demo's history has deaths, and their missed visits stay on the list)."""
    worklist = page.get_by_test_id("worklist")
    expect(worklist.get_by_role("link", name="Record").first).to_be_visible()
    rows = [
        (row.locator("a").first.get_attribute("href"), row.get_by_role("link", name="Record"))
        for row in worklist.locator("tbody tr").all()
    ]
    visits = [(patient, record.get_attribute("href")) for patient, record in rows if record.count()]
    for patient_url, record_url in visits:
        page.goto(str(patient_url))  # goto waits for the page: no click precedes the read
        expect(page.get_by_test_id("last-known-alive")).to_be_visible()
        if page.get_by_test_id("death").count() == 0:
            return str(record_url)
    raise AssertionError(f"every worklist visit is a dead patient's: {visits}")


def _screen_to_checklist(page: Page) -> str:
    """A coordinator takes a new patient from the screening log to the answered checklist;
    returns the patient page's path."""
    page.get_by_role("link", name="New screening").first.click()
    page.fill("#id_screening_date", _iso(6))
    page.select_option("#id_sex", "F")
    page.fill("#id_age_at_screening", "61")
    page.get_by_role("button", name="Add to the screening log").click()
    expect(page.get_by_role("link", name="Record consent")).to_be_visible()
    patient_path = re.sub(r"^https?://[^/]+", "", page.url)

    page.get_by_role("link", name="Record consent").click()
    page.fill("#id_consent_date", _iso(5))
    page.fill("#id_form_version", "ICF v2.1")
    page.select_option("#id_obtained_by", index=1)
    page.get_by_role("button", name="Save consent").click()

    page.get_by_role("link", name="Record baseline").click()
    dates = {
        "assessment_date": 4,
        "diagnosis_date": 500,
        "induction_start_date": 495,
        "first_cr_date": 450,
        "relapse_date": 20,
    }
    for field, days_ago in dates.items():
        page.fill(f"#id_{field}", _iso(days_ago))
    page.select_option("#id_disease_status", "first_relapse")
    for field, value in {"prior_induction_cycles": "1", "ecog": "1", "wbc": "3.4"}.items():
        page.fill(f"#id_{field}", value)
    page.fill("#id_blood_blast_pct", "2")
    page.fill("#id_marrow_blast_pct", "18")
    page.select_option("#id_cytogenetic_risk", "intermediate")
    page.select_option("#id_planned_regimen", "AZA")
    page.get_by_role("button", name="Save baseline").click()

    page.get_by_role("link", name="Answer the checklist").click()
    expect(page.get_by_role("button", name="Save answers")).to_be_visible()  # the new page
    for radio in page.locator('input[type=radio][value="yes"]').all():
        name = radio.get_attribute("name") or ""
        answer = "yes" if name.startswith("answer_I") else "no"
        page.check(f'input[name="{name}"][value="{answer}"]')
    page.get_by_role("button", name="Save answers").click()
    expect(page).to_have_url(re.compile(f"{re.escape(patient_path)}$"))
    return patient_path


def _record_cycle_and_sae(page: Page, patient_path: str, *, dexamethasone_arm: bool) -> None:
    page.goto(f"{patient_path}treatment/")
    page.get_by_role("link", name="Record a cycle").click()
    page.fill("#id_start_date", _iso(0))
    page.fill("#id_height_cm", "165")
    page.fill("#id_weight_kg", "60")
    drugs = ("amsacrine", "cytarabine", "azacitidine")
    for drug in (*drugs, "dexamethasone") if dexamethasone_arm else drugs:
        for part in ("planned", "given"):
            field = page.locator(f"#id_{drug}_{part}")
            if field.count():
                dose = {"azacitidine": "840", "dexamethasone": "160"}.get(drug, "100")
                field.fill(dose)
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(f"{re.escape(patient_path)}treatment/$"))

    page.get_by_role("link", name="Record an adverse event").click()
    page.select_option("#id_term", index=1)
    page.select_option("#id_grade", "3")
    page.fill("#id_start_date", _iso(0))
    page.select_option("#id_relation_dexamethasone", index=1)
    page.select_option("#id_relation_salvage", index=1)
    page.check("#id_serious")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(f"{re.escape(patient_path)}treatment/$"))
    expect(page.get_by_text("SAE – report due")).to_be_visible()


class TestEmbeddedDefault:
    def test_every_demo_journey_works_on_sqlite_with_the_filesystem_broker(
        self, page: Page, embedded: Embedded
    ) -> None:
        _sign_in(page, "coordinator")
        patient_path = _screen_to_checklist(page)

        _sign_in(page, "investigator")
        page.goto(f"{patient_path}eligibility/confirm/")
        page.get_by_label("I have checked the source documents").check()
        page.get_by_role("button", name="Confirm eligibility").click()
        expect(page).to_have_url(re.compile(f"{re.escape(patient_path)}$"))

        _sign_in(page, "coordinator")
        page.goto(patient_path)
        page.get_by_role("link", name="Enrol").click()
        page.get_by_label("Enrol this patient").check()
        page.get_by_role("button", name="Enrol").click()
        page.get_by_role("link", name="Randomise this patient").click()
        page.get_by_label("I have checked the stratification values").check()
        page.get_by_role("button", name="Randomise").click()
        arm = page.get_by_test_id("arm")
        expect(arm).to_contain_text(re.compile("Dexamethasone|Salvage alone"))
        number = page.get_by_test_id("randomization-number").inner_text().strip()
        dexamethasone_arm = "Dexamethasone" in arm.inner_text()

        _sign_in(page, "investigator")
        _record_cycle_and_sae(page, patient_path, dexamethasone_arm=dexamethasone_arm)

        _sign_in(page, "coordinator")
        page.get_by_role("link", name="Follow-up", exact=True).first.click()
        page.goto(_visit_of_a_living_patient(page))
        course = page.get_by_test_id("disease-course")
        expect(course).to_be_visible()
        page.fill("#id_contact_date", _iso(0))
        page.select_option("#id_vital_status", "alive")
        # The demo's history has relapses and refractory disease: the status follows the course.
        page.select_option("#id_disease_status", _disease_status(course.inner_text()))
        page.get_by_role("button", name="Save").click()
        expect(page).not_to_have_url(re.compile("/record/$"))

        _sign_in(page, "datamanager")
        page.goto("/analysis/")
        page.get_by_label("Cut-off date").fill(_iso(0))
        page.get_by_label("Reason").fill("Demo interim look")
        page.get_by_role("button", name="Freeze the cut-off").click()
        expect(page.get_by_test_id("cutoffs")).to_contain_text("Demo interim look")
        page.get_by_role("button", name="Export the survival datasets").first.click()
        expect(page.locator("#export-status")).to_have_text("Done", timeout=120_000)
        with page.expect_download() as download:
            page.get_by_role("link", name="adtte.csv").click()
        assert Path(download.value.path()).read_bytes().startswith(b"STUDYID,USUBJID,")

        logs = embedded.logs()
        assert f"randomised: {number}" in logs  # the result e-mail, sent by the worker
        assert "SAE" in logs and "pharmacovigilance@" in logs  # the sponsor's alert
