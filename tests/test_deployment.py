"""The production shape: docker-compose.yml names every service with a health check and the
environment the settings read, and the production settings pass Django's deployment checks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SETTINGS_SOURCE = "\n".join(p.read_text() for p in (ROOT / "config" / "settings").glob("*.py"))


class TestDockerCompose:
    def test_it_describes_postgres_redis_web_worker_and_beat(self) -> None:
        assert set(COMPOSE["services"]) == {"postgres", "redis", "web", "worker", "beat"}

    @pytest.mark.parametrize("service", ["postgres", "redis", "web", "worker", "beat"])
    def test_every_service_has_a_health_check(self, service: str) -> None:
        assert COMPOSE["services"][service]["healthcheck"]["test"]

    @pytest.mark.parametrize("service", ["web", "worker", "beat"])
    def test_application_services_share_one_environment_and_wait_for_healthy_stores(
        self, service: str
    ) -> None:
        spec = COMPOSE["services"][service]

        assert spec["environment"] == COMPOSE["services"]["web"]["environment"]
        assert spec["environment"]["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert {k: v["condition"] for k, v in spec["depends_on"].items()} == {
            "postgres": "service_healthy",
            "redis": "service_healthy",
        }

    def test_every_variable_given_to_the_application_is_read_by_the_settings(self) -> None:
        environment = COMPOSE["services"]["web"]["environment"]
        read = set(re.findall(r'env(?:_bool|_list)?\("([A-Z_]+)"', SETTINGS_SOURCE))

        unread = set(environment) - read - {"DJANGO_SETTINGS_MODULE"}

        assert unread == set()

    def test_web_and_worker_share_the_media_volume_where_exports_are_written(self) -> None:
        services = COMPOSE["services"]
        media_root = services["web"]["environment"]["MEDIA_ROOT"]

        for name in ("web", "worker"):
            assert f"media:{media_root}" in services[name]["volumes"]

    def test_the_database_url_points_at_the_postgres_service(self) -> None:
        url = COMPOSE["services"]["web"]["environment"]["DATABASE_URL"]

        assert url.startswith("postgres://") and "@postgres:5432/" in url

    def test_commands_start_gunicorn_celery_worker_and_beat(self) -> None:
        services = COMPOSE["services"]

        assert "gunicorn config.wsgi:application" in services["web"]["command"]
        assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
        assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]

    def test_no_secret_is_written_in_the_file(self) -> None:
        text = (ROOT / "docker-compose.yml").read_text()

        assert "${SECRET_KEY:?" in text and "${POSTGRES_PASSWORD:?" in text


class TestProductionSettings:
    def test_check_deploy_passes_with_the_required_variables(self) -> None:
        env = {
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "a-long-random-production-secret-for-this-check-only-0123456789abcdef",
            "ALLOWED_HOSTS": "trial.example.org",
        }

        result = subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

        assert result.returncode == 0, result.stderr + result.stdout

    def test_the_application_keeps_what_start_up_made_out_of_the_cycle_collector(self) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "a-long-random-production-secret-for-this-check-only-0123456789abcdef",
            "ALLOWED_HOSTS": "trial.example.org",
        }
        code = "import gc, config.wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))"

        result = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
        )

        assert result.returncode == 0, result.stderr
        frozen, collected = map(int, result.stdout.split())
        assert frozen > 50_000 and collected < frozen / 100  # what a full collection walks

    def test_production_refuses_to_start_without_a_secret_key(self) -> None:
        env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
        env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"

        result = subprocess.run(
            [sys.executable, "manage.py", "check"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

        assert result.returncode != 0
        assert "SECRET_KEY is required" in result.stderr


class TestHealthCheck:
    def test_healthz_answers_ok_from_the_database(self, client, db) -> None:
        response = client.get("/healthz")

        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    def test_the_demo_seed_is_refused_under_production_settings(self, tmp_path) -> None:
        env = {
            **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "a-long-random-production-secret-for-this-check-only-0123456789abcdef",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
        }

        result = subprocess.run(
            [sys.executable, "manage.py", "seed_demo"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

        assert result.returncode != 0
        assert "seed_demo is refused" in result.stderr
        assert not (tmp_path / "production.sqlite3").exists() or (
            (tmp_path / "production.sqlite3").stat().st_size == 0
        )
