"""The users of bench/bench_load.py: coordinators and data managers browsing the pages they load
most, each signed in through the login form, with 2 to 5 s between two pages.

Read by locust, which bench_load.py starts; the plan (who signs in, which patients each may open,
the cut-off of the analysis pages) comes from the JSON file named by BENCH_LOAD_PLAN.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from typing import Any

from locust import HttpUser, between, task

PLAN: dict[str, Any] = json.loads(open(os.environ["BENCH_LOAD_PLAN"]).read())  # noqa: SIM115
_USERS = itertools.cycle(PLAN["users"])
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class TrialUser(HttpUser):
    """One person: signs in once, then loads the pages of their role."""

    wait_time = between(2, 5)

    def on_start(self) -> None:
        self.account: dict[str, Any] = next(_USERS)
        self.rng = random.Random(self.account["username"])
        form = self.client.get("/accounts/login/", name="login form")
        token = CSRF.search(form.text)
        assert token, "no CSRF token on the login form"
        with self.client.post(
            "/accounts/login/",
            data={
                "username": self.account["username"],
                "password": PLAN["password"],
                "csrfmiddlewaretoken": token.group(1),
            },
            headers={"Referer": self.client.base_url + "/accounts/login/"},
            name="sign in",
            catch_response=True,
        ) as response:
            if "sessionid" not in self.client.cookies:
                response.failure(f"{self.account['username']} not signed in")

    def _get(self, url: str, name: str) -> None:
        with self.client.get(url, name=name, allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{name}: HTTP {r.status_code}")

    @task(3)
    def patient_list(self) -> None:
        self._get("/patients/", "patient list")

    @task(4)
    def patient_page(self) -> None:
        patient = self.rng.choice(self.account["patients"])
        self._get(f"/patients/{patient}/", "patient page")

    @task(2)
    def worklist(self) -> None:
        self._get("/followup/", "worklist")

    @task(2)
    def home(self) -> None:
        self._get("/", "dashboard" if self.account["trial_wide"] else "home")

    @task(2)
    def queries(self) -> None:
        self._get("/queries/", "queries list")

    @task(2)
    def analysis(self) -> None:
        if not self.account["trial_wide"]:
            return self.patient_list()
        page = self.rng.choice(PLAN["analysis_pages"])
        self._get(page["url"], page["name"])
        return None
