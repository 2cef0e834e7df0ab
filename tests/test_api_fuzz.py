"""Schemathesis against a live server: every operation of the OpenAPI schema, on PostgreSQL.

A gunicorn process serves a separate PostgreSQL database holding the demo trial (seed_demo)
and a user with broad rights (sponsor administrator, data manager, statistician, and
coordinator and investigator at every site), authenticated with an API token. Each operation
gets FUZZ_EXAMPLES generated cases (valid and invalid), and every response must be no server
error, have a documented status code and match its documented schema. The figures are printed
at the end (cases run, by status).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
import schemathesis
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

ROOT = Path(__file__).resolve().parents[1]
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
PASSWORD = "fuzz-pass-phrase-2026"
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# Revoking tokens is fuzzed with tokens of a second user, so the main token lives on.
REVOKING = {"/api/v1/auth/logout/", "/api/v1/auth/logout-all/"}
TOKEN_PATH = "/api/v1/auth/token/"

pytestmark = pytest.mark.postgresql  # a live server on PostgreSQL, as in production

BROAD_USER = f"""
from trial.models import Membership, Role, Site, User
def make(name):
    user = User.objects.create_user(name, f"{{name}}@fuzz.invalid", "{PASSWORD}")
    for role in (Role.SPONSOR_ADMIN, Role.DATA_MANAGER, Role.STATISTICIAN):
        Membership.objects.create(user=user, role=role, site=None)
    for site in Site.objects.all():
        for role in (Role.SITE_COORDINATOR, Role.INVESTIGATOR):
            Membership.objects.create(user=user, role=role, site=site)
make("fuzzer")
make("fuzzer-logout")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _database_url(name: str) -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{name}"


def _admin_connection() -> psycopg.Connection[Any]:
    db = settings.DATABASES["default"]
    return psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="postgres", autocommit=True
    )


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A gunicorn server on its own seeded PostgreSQL database; its base URL."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("the API is fuzzed on PostgreSQL: run with DATABASE_URL=postgres://…")
    name = f"dexaml_fuzz_{os.getpid()}"
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    var = tmp_path_factory.mktemp("fuzz-var")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(name),
        "VAR_DIR": str(var),
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "DATABASE_CONN_MAX_AGE": "60",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (["migrate", "-v0"], ["seed_demo"], ["shell", "-c", BROAD_USER]):
        subprocess.run([*manage, *command], env=env, cwd=ROOT, check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=open(var / "gunicorn.log", "wb"),  # noqa: SIM115  # closed with the process
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_for(url: str) -> None:
    for _ in range(150):
        try:
            if requests.get(f"{url}/healthz", timeout=10).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start")


def _token(url: str, username: str) -> str:
    response = requests.post(
        f"{url}/api/v1/auth/token/", json={"username": username, "password": PASSWORD}, timeout=30
    )
    response.raise_for_status()
    return str(response.json()["token"])


# Cases run by status code, and operations; tests/conftest.py prints them after the run.
FUZZ_STATS: Counter[str] = Counter()


@pytest.fixture(scope="module")
def fuzz_stats() -> Counter[str]:
    return FUZZ_STATS


def fuzz_summary() -> str | None:
    """One line of figures for the terminal summary, once the fuzzing has run."""
    stats = FUZZ_STATS
    if not stats["_cases"]:
        return None
    by_status = ", ".join(f"{code}: {n}" for code, n in sorted(stats.items()) if code[0] != "_")
    fuzzed = sum(1 for key in stats if key.startswith("_op "))
    return (
        f"schemathesis: {stats['_cases']} cases on {fuzzed} of the schema's "
        f"{stats['_operations']} operations, "
        f"{stats['_failed']} failed ({by_status}); {stats['_server_ms'] // 1000} s in the server"
    )


@pytest.fixture(scope="module")
def fuzz_tokens(live_api: str, fuzz_stats: Counter[str]) -> dict[str, str]:
    """The broad user's token, and one of a second user for the operations that revoke."""
    fuzz_stats["_operations"] = sum(1 for _ in schema.get_all_operations())
    return {"main": _token(live_api, "fuzzer"), "revoking": _token(live_api, "fuzzer-logout")}


def _openapi() -> dict[str, Any]:
    """The schema the server serves at /api/schema/, generated here so that pytest can
    parametrize the test by operation when it collects it."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return dict(json.loads(OpenApiJsonRenderer().render(generated)))


schema = schemathesis.openapi.from_dict(_openapi())


@schema.parametrize()
@hypothesis_settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,  # nothing written into the checkout
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(
    case: schemathesis.Case, live_api: str, fuzz_tokens: dict[str, str], fuzz_stats: Counter[str]
) -> None:
    if case.operation.path in REVOKING:  # a fresh token of the second user for each case
        fuzz_tokens["revoking"] = _token(live_api, "fuzzer-logout")
    token = fuzz_tokens["revoking" if case.operation.path in REVOKING else "main"]
    headers = {} if case.operation.path == TOKEN_PATH else {"Authorization": f"Token {token}"}

    response = case.call_and_validate(base_url=live_api, headers=headers, checks=CHECKS, timeout=60)

    fuzz_stats["_cases"] += 1
    fuzz_stats[f"_op {case.operation.label}"] = 1  # the operations this process fuzzed
    fuzz_stats["_server_ms"] += int(response.elapsed * 1000)  # seconds, a float
    fuzz_stats[str(response.status_code)] += 1
