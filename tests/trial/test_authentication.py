"""Logins that resist guessing, API tokens that end, sessions that are not made up."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from config.celery import beat_schedule
from tests.browser.conftest import PASSWORD
from trial.models import User
from trial.tasks import sessions_clear

WRONG = "not-the-password"
TOKEN_URL = "/api/v1/auth/token/"


def _page_login(path: str) -> Any:
    def attempt(user: User, password: str) -> Any:
        return Client().post(path, {"username": user.username, "password": password})

    return attempt


def _token_login(user: User, password: str) -> Any:
    return APIClient().post(
        TOKEN_URL, {"username": user.username, "password": password}, format="json"
    )


LOGIN_PATHS = {
    "sign-in page": _page_login("/accounts/login/"),
    "admin": _page_login("/admin/login/"),
    "API token": _token_login,
}


def _signed_in(path: str, response: Any) -> bool:
    if path == "API token":
        return response.status_code == 200 and "token" in response.json()
    return response.status_code == 302


class TestLockout:
    @pytest.mark.parametrize("path", LOGIN_PATHS)
    def test_the_right_password_works(self, sponsor_admin, path) -> None:
        assert _signed_in(path, LOGIN_PATHS[path](sponsor_admin, PASSWORD))

    @pytest.mark.parametrize("path", LOGIN_PATHS)
    def test_eleven_wrong_passwords_then_the_right_one_is_refused(self, sponsor_admin, path):
        login = LOGIN_PATHS[path]

        wrong = [login(sponsor_admin, WRONG) for _ in range(11)]
        right = login(sponsor_admin, PASSWORD)

        assert not any(_signed_in(path, r) for r in wrong)
        assert wrong[-1].status_code == 429
        assert right.status_code == 429
        assert not _signed_in(path, right)
        assert AccessAttempt.objects.get(username=sponsor_admin.username).failures_since_start >= 10
        assert AccessFailureLog.objects.filter(
            username=sponsor_admin.username, locked_out=True
        ).exists()

    def test_the_api_lockout_has_the_error_shape(self, coordinator) -> None:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            _token_login(coordinator, WRONG)

        response = _token_login(coordinator, PASSWORD)

        assert response.status_code == 429
        assert response.json()["errors"][0]["code"] == "locked_out"
        assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()

    def test_a_lockout_is_per_username(self, coordinator, investigator) -> None:
        for _ in range(11):
            _token_login(coordinator, WRONG)

        assert _token_login(investigator, PASSWORD).status_code == 200

    def test_the_sponsor_administrator_sees_the_lockout_and_unlocks_it(
        self, coordinator, sponsor_admin, client
    ) -> None:
        for _ in range(11):
            _token_login(coordinator, WRONG)
        client.force_login(sponsor_admin)
        attempt = AccessAttempt.objects.get(username=coordinator.username)

        listed = client.get("/admin/axes/accessattempt/")
        failures = client.get("/admin/axes/accessfailurelog/")
        deleted = client.post(
            f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}, follow=True
        )

        assert listed.status_code == 200 and coordinator.username in listed.content.decode()
        assert failures.status_code == 200 and coordinator.username in failures.content.decode()
        assert deleted.status_code == 200
        assert _token_login(coordinator, PASSWORD).status_code == 200

    def test_other_roles_do_not_see_login_failures(self, coordinator, client) -> None:
        client.force_login(coordinator)

        assert client.get("/admin/axes/accessattempt/").status_code == 302

    def test_the_reset_command_unlocks_a_username(self, coordinator) -> None:
        for _ in range(11):
            _token_login(coordinator, WRONG)

        call_command("axes_reset_username", coordinator.username)

        assert _token_login(coordinator, PASSWORD).status_code == 200


def _token(user: User) -> str:
    response = _token_login(user, PASSWORD)
    assert response.status_code == 200
    return str(response.json()["token"])


def _with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


class TestApiTokens:
    def test_a_token_has_an_expiry_and_works_until_then(self, coordinator) -> None:
        response = _token_login(coordinator, PASSWORD)
        expiry = dt.datetime.fromisoformat(response.json()["expiry"])

        me = _with_token(response.json()["token"]).get("/api/v1/me/")

        assert me.status_code == 200 and me.json()["username"] == coordinator.username
        assert expiry - timezone.now() == pytest.approx(
            settings.REST_KNOX["TOKEN_TTL"], abs=dt.timedelta(minutes=1)
        )

    def test_an_expired_token_is_refused(self, coordinator) -> None:
        token = _token(coordinator)
        AuthToken.objects.filter(user=coordinator).update(
            expiry=timezone.now() - dt.timedelta(seconds=1)
        )

        assert _with_token(token).get("/api/v1/me/").status_code in (401, 403)

    def test_logout_revokes_the_token_and_only_that_one(self, coordinator) -> None:
        first, second = _token(coordinator), _token(coordinator)

        logout = _with_token(first).post("/api/v1/auth/logout/")

        assert logout.status_code == 204
        assert _with_token(first).get("/api/v1/me/").status_code in (401, 403)
        assert _with_token(second).get("/api/v1/me/").status_code == 200

    def test_logout_all_revokes_every_token_of_the_user(self, coordinator) -> None:
        first, second = _token(coordinator), _token(coordinator)

        assert _with_token(first).post("/api/v1/auth/logout-all/").status_code == 204

        assert _with_token(second).get("/api/v1/me/").status_code in (401, 403)

    def test_a_password_change_on_the_page_revokes_every_token(self, coordinator, client):
        token = _token(coordinator)
        client.force_login(coordinator)

        changed = client.post(
            "/accounts/password_change/",
            {
                "old_password": PASSWORD,
                "new_password1": "another-long-pass-phrase-42",
                "new_password2": "another-long-pass-phrase-42",
            },
        )

        assert changed.status_code == 302
        assert _with_token(token).get("/api/v1/me/").status_code in (401, 403)

    def test_a_password_set_anywhere_revokes_every_token(self, coordinator) -> None:
        _token(coordinator)

        coordinator.set_password("yet-another-pass-phrase-7")
        coordinator.save()

        assert not AuthToken.objects.filter(user=coordinator).exists()

    def test_a_malformed_token_is_refused_not_a_server_error(self, db) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token \xe9\xe9\xe9")

        assert client.get("/api/v1/me/").status_code in (401, 403)


class TestSessions:
    MADE_UP = "madeupsessionkeythatnobodywasgiven0"

    @pytest.mark.parametrize("path", ["/healthz", "/accounts/login/", "/api/v1/me/", "/"])
    def test_a_made_up_session_cookie_writes_no_session(self, db, path) -> None:
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = self.MADE_UP

        client.get(path)

        assert Session.objects.count() == 0

    def test_a_token_request_with_a_made_up_cookie_writes_no_session(self, coordinator) -> None:
        client = _with_token(_token(coordinator))
        client.cookies[settings.SESSION_COOKIE_NAME] = self.MADE_UP

        assert client.get("/api/v1/me/").status_code == 200
        assert Session.objects.count() == 0

    def test_a_signed_in_session_is_still_renewed(self, coordinator, client) -> None:
        client.force_login(coordinator)
        before = Session.objects.get().expire_date
        Session.objects.update(expire_date=before - dt.timedelta(minutes=5))

        client.get("/healthz")

        assert Session.objects.get().expire_date > before - dt.timedelta(minutes=5)

    def test_beat_clears_expired_sessions(self, coordinator, client) -> None:
        client.force_login(coordinator)
        Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
        schedule = beat_schedule()

        sessions_clear.delay()

        assert "trial.sessions_clear" in {entry["task"] for entry in schedule.values()}
        assert Session.objects.count() == 0
