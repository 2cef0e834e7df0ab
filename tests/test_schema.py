"""The OpenAPI schema is valid, free of generator warnings, and documents every endpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from tests.url_walk import all_routes
from trial.models import User


@pytest.fixture
def schema(coordinator: User) -> dict[str, object]:
    client = APIClient()
    client.force_authenticate(coordinator)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


class TestSchema:
    def test_the_served_schema_is_valid_openapi_3(self, schema: dict[str, object]) -> None:
        validate_schema(schema)

        assert str(schema["openapi"]).startswith("3.")

    def test_the_schema_generates_without_a_single_warning(self, tmp_path: Path) -> None:
        # --fail-on-warn: an endpoint the generator has to guess about is not documented.
        call_command(
            "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml")
        )

    def test_every_api_url_is_in_the_schema(self, schema: dict[str, object]) -> None:
        routes = {r.openapi_path() for r in all_routes() if r.text.startswith("api/v1/")}
        paths = schema["paths"]
        assert isinstance(paths, dict)

        assert routes, "no API route found"
        assert sorted(routes - set(paths)) == []

    def test_no_operation_deletes(self, schema: dict[str, object]) -> None:
        paths = schema["paths"]
        assert isinstance(paths, dict)

        deleting = [path for path, operations in paths.items() if "delete" in operations]

        assert deleting == []

    def test_the_schema_needs_a_signed_in_user(self, db: None) -> None:
        response = APIClient().get("/api/schema/")

        assert response.status_code in {401, 403}


class TestApiDocs:
    def test_the_browsable_docs_are_served_from_this_site_not_a_cdn(
        self, client, coordinator
    ) -> None:
        client.force_login(coordinator)

        page = client.get("/api/docs/").content.decode()

        assert "swagger-ui" in page
        assert "cdn" not in page.lower() and "jsdelivr" not in page.lower()
        assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page

    @pytest.mark.django_db
    def test_the_docs_send_a_visitor_to_the_sign_in_page_and_back(self, client) -> None:
        response = client.get("/api/docs/", follow=True)

        assert response.redirect_chain == [("/accounts/login/?next=/api/docs/", 302)]
        assert 'name="password"' in response.content.decode()
