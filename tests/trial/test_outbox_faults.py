"""Nothing lost when Redis, PostgreSQL or the mail server fails (README "Messages: the outbox").

Real services: a Celery worker with beat (short retry and sweep delays), a throwaway Redis this
test stops and starts, a local SMTP server (aiosmtpd) that counts what it receives, and the
suite's PostgreSQL restarted with pg_ctl. Each test counts the e-mails the mail server received
against those expected: they must be equal, every message exactly once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import Error as DatabaseError
from django.db import connections
from django.utils import timezone
from rest_framework.test import APIClient

from randomization.models import Randomization
from randomization.notifications import RESULT
from tests.factories import enrolled_patient
from tests.faults import RedisServer, SmtpSink, Worker, postgres_restart, publishing_to, wait_for
from tests.randomization.conftest import active_list
from treatment.models import SAE_ALERT, AdverseEvent
from trial.models import MessageStatus, OutboundMessage, Patient, Site, User

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True),
]

DELIVERY_SECONDS = 40  # a message must be delivered within this after the fault is over
QUIET_SECONDS = 3  # then nothing more may arrive (no duplicate)


def _api(user: User, key: str | None = None) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    if key is not None:
        client.credentials(HTTP_IDEMPOTENCY_KEY=key)
    return client


def _with_email(*users: User) -> None:
    for user in users:
        user.email = f"{user.username}@example.org"
        user.save()


def _sae(investigator: User, patient: Patient, key: str | None = None):
    body = {
        "term_text": "Septic shock",
        "grade": 4,
        "start_date": timezone.localdate().isoformat(),
        "relation_dexamethasone": "possible",
        "relation_salvage": "probable",
        "serious": True,
    }
    return _api(investigator, key).post(
        f"/api/v1/patients/{patient.pk}/adverse-events/", body, format="json"
    )


def _randomize(coordinator: User, patient: Patient):
    return _api(coordinator).post(f"/api/v1/patients/{patient.pk}/randomize/")


def _expected_keys() -> set[str]:
    """Every message the system queued that has somebody to go to."""
    return set(
        OutboundMessage.objects.exclude(status=MessageStatus.NO_RECIPIENT).values_list(
            "dedup_key", flat=True
        )
    )


def _delivered_exactly_once(sink: SmtpSink, worker: Worker, expected: set[str]) -> Counter[str]:
    """Wait until the mail server has every expected message, then a little more; return how
    many times each key arrived."""
    started = time.monotonic()
    delivered = wait_for(lambda: expected <= set(sink.keys()), DELIVERY_SECONDS)
    assert delivered, f"missing {expected - set(sink.keys())}\n{worker.tail()}"
    _timings["seconds to deliver after the fault"] = round(time.monotonic() - started, 1)
    time.sleep(QUIET_SECONDS)
    return Counter(sink.keys())


_timings: dict[str, float] = {}


def _report(case: str, expected: set[str], received: Counter[str], **facts: object) -> None:
    details = ", ".join(f"{k} {v}" for k, v in {**facts, **_timings}.items())
    print(
        f"\n[outbox fault] {case}: expected {len(expected)}, received {sum(received.values())} "
        f"({len(received)} distinct); {details}"
    )


@pytest.fixture
def sink() -> SmtpSink:
    server = SmtpSink()
    yield server
    server.stop()


@pytest.fixture
def redis(tmp_path: Path) -> RedisServer:
    server = RedisServer(directory=tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def worker(tmp_path: Path, redis: RedisServer, sink: SmtpSink) -> Worker:
    process = Worker(directory=tmp_path, broker_url=redis.url, smtp_port=sink.port)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def site_team(coordinator: User, investigator: User) -> tuple[User, User]:
    _with_email(coordinator, investigator)
    return coordinator, investigator


def _enrolled(site: Site, team: tuple[User, User], count: int) -> list[Patient]:
    return [enrolled_patient(site, *team) for _ in range(count)]


class TestRedisStopped:
    def test_randomise_and_sae_answer_201_and_their_messages_go_out_when_redis_returns(
        self, site_a, site_team, statistician, sink, redis, worker
    ) -> None:
        coordinator, investigator = site_team
        active_list(statistician, slots=20)
        first, second = _enrolled(site_a, site_team, 2)
        sink.start()
        with publishing_to(redis.url):
            assert _randomize(coordinator, first).status_code == 201
            assert wait_for(lambda: len(sink.keys()) == 1, 30), worker.tail()

            redis.stop()
            randomized = _randomize(coordinator, second)
            sae = _sae(investigator, first)
            time.sleep(2)  # the worker and beat find no broker meanwhile
            waiting = OutboundMessage.objects.filter(status=MessageStatus.PENDING).count()
            redis.start()  # empty: what was queued before it stopped is gone too
            received = _delivered_exactly_once(sink, worker, expected := _expected_keys())

        assert (randomized.status_code, sae.status_code) == (201, 201)
        assert waiting == 2
        assert set(received) == expected and set(received.values()) == {1}
        assert {k.rsplit(":", 1)[0] for k in expected} >= {
            RESULT,
            f"{SAE_ALERT}:{sae.json()['id']}",
        }
        event = AdverseEvent.objects.get(pk=sae.json()["id"])
        assert event.sponsor_notified_at is not None
        _report("Redis stopped", expected, received, pending_while_down=waiting)


class TestPostgresRestarted:
    def test_every_committed_randomisation_gets_exactly_one_result(
        self, site_a, site_team, statistician, sink, redis, worker
    ) -> None:
        coordinator, _ = site_team
        active_list(statistician, slots=40)
        patients = _enrolled(site_a, site_team, 30)
        sink.start()
        outcomes: Counter[str] = Counter()

        def randomize_all() -> None:
            for patient in patients:
                try:
                    status = _randomize(coordinator, patient).status_code
                    outcomes[str(status)] += 1
                except DatabaseError:
                    outcomes["database error"] += 1
                    connections.close_all()  # this thread reconnects on its next request
                time.sleep(0.05)
            connections.close_all()

        with publishing_to(redis.url):
            burst = threading.Thread(target=randomize_all)
            burst.start()
            assert wait_for(lambda: Randomization.objects.count() >= 8, 60), worker.tail()
            before_restart = Randomization.objects.count()
            connections.close_all()
            restart_seconds = postgres_restart()
            burst.join(timeout=120)
            committed = set(Randomization.objects.values_list("pk", flat=True))
            received = _delivered_exactly_once(sink, worker, expected := _expected_keys())

        results = {f"{RESULT}:{pk}" for pk in committed}
        assert results <= expected
        assert set(received) == expected and set(received.values()) == {1}
        assert before_restart < len(committed), "the restart came after the burst"
        assert not OutboundMessage.objects.exclude(
            status__in=[MessageStatus.SENT, MessageStatus.NO_RECIPIENT]
        ).exists()
        _report(
            "PostgreSQL restarted",
            expected,
            received,
            randomisations_committed=len(committed),
            committed_before_restart=before_restart,
            requests=dict(outcomes),
            restart_seconds=round(restart_seconds, 1),
        )


class TestMailServerDown:
    def test_the_sae_answers_201_stays_unmarked_and_is_stamped_when_the_server_returns(
        self, site_a, site_team, statistician, data_manager, sink, redis, worker
    ) -> None:
        coordinator, investigator = site_team
        active_list(statistician, slots=20)
        (patient,) = _enrolled(site_a, site_team, 1)
        with publishing_to(redis.url):
            assert _randomize(coordinator, patient).status_code == 201
            sae = _sae(investigator, patient)
            alert = OutboundMessage.objects.get(kind=SAE_ALERT)
            retried = wait_for(lambda: OutboundMessage.objects.get(pk=alert.pk).attempts >= 2, 30)
            alert.refresh_from_db()
            event = AdverseEvent.objects.get(pk=sae.json()["id"])
            listed = _api(data_manager).get("/api/v1/adverse-events/alerts-undelivered/").json()

            sink.start()
            received = _delivered_exactly_once(sink, worker, expected := _expected_keys())

        assert sae.status_code == 201 and sae.json()["sponsor_notified_at"] is None
        assert retried, worker.tail()
        assert alert.status in (MessageStatus.PENDING, MessageStatus.SENDING)
        assert "Connection refused" in alert.last_error
        assert event.sponsor_notified_at is None
        assert [e["id"] for e in listed] == [event.pk]
        assert set(received) == expected and set(received.values()) == {1}
        alert.refresh_from_db()
        event.refresh_from_db()
        assert alert.status == MessageStatus.SENT
        assert event.sponsor_notified_at == alert.sent_at
        _report("mail server down", expected, received, attempts=alert.attempts)


class TestDuplicatedSaePost:
    def test_the_same_key_posted_twice_at_once_and_again_makes_one_sae_and_one_alert(
        self, site_a, site_team, statistician, sink, redis, worker
    ) -> None:
        coordinator, investigator = site_team
        active_list(statistician, slots=20)
        (patient,) = _enrolled(site_a, site_team, 1)
        sink.start()
        responses = []

        def post() -> None:
            responses.append(_sae(investigator, patient, key="sae-retry-1"))
            connections.close_all()

        with publishing_to(redis.url):
            assert _randomize(coordinator, patient).status_code == 201
            both = [threading.Thread(target=post) for _ in range(2)]
            for thread in both:
                thread.start()
            for thread in both:
                thread.join(timeout=60)
            post()  # the client's retry after a timeout
            received = _delivered_exactly_once(sink, worker, expected := _expected_keys())

        assert [r.status_code for r in responses] == [201, 201, 201]
        assert len({r.content for r in responses}) == 1
        assert AdverseEvent.objects.filter(patient=patient).count() == 1
        assert OutboundMessage.objects.filter(kind=SAE_ALERT).count() == 1
        assert set(received) == expected and set(received.values()) == {1}
        _report("duplicated SAE POST", expected, received, posts=3, saes=1)
