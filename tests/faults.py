"""Real services the fault tests stop and start: a local SMTP server, a throwaway Redis, a Celery
worker (with beat) on them, and a restart of the suite's PostgreSQL."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from django.db import connections

from config.celery import app
from tests.followup.test_tasks import ROOT, _test_database_url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], seconds: float, *, every: float = 0.2) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


@dataclass
class Received:
    key: str
    subject: str
    recipients: list[str]


@dataclass
class SmtpSink:
    """A mail server on a fixed local port that keeps what it receives; it can be stopped (the
    port then refuses connections) and started again on the same port."""

    port: int = field(default_factory=free_port)
    received: list[Received] = field(default_factory=list)
    _controller: Controller | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.original_content)
        with self._lock:
            self.received.append(
                Received(
                    key=str(message["X-Message-Key"]),
                    subject=str(message["Subject"]),
                    recipients=list(envelope.rcpt_tos),
                )
            )
        return "250 Message accepted for delivery"

    def start(self) -> None:
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's session chatter
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def keys(self) -> list[str]:
        with self._lock:
            return [r.key for r in self.received]


@dataclass
class RedisServer:
    """A throwaway Redis (no persistence: a restart empties it, as a crash would)."""

    directory: Path
    port: int = field(default_factory=free_port)
    _process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        assert wait_for(self._answers, 10), "redis-server did not start"

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@dataclass
class Worker:
    """A real Celery worker with beat, on the test database, a broker and a mail server."""

    directory: Path
    broker_url: str
    smtp_port: int
    name: str = "outbox"
    _process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.directory / f"{self.name}.log"

    def start(self) -> None:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": _test_database_url(),
            "CELERY_BROKER_URL": self.broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.smtp_port),
            "EMAIL_TIMEOUT": "5",
            # Short delays so that a fault and its recovery fit in seconds.
            "OUTBOX_SWEEP_EVERY_SECONDS": "1",
            "OUTBOX_SWEEP_GRACE_SECONDS": "2",
            "OUTBOX_RETRY_BASE_SECONDS": "1",
            "OUTBOX_RETRY_MAX_SECONDS": "4",
            "OUTBOX_TASK_MAX_RETRIES": "3",
            # A claim cut short by the restart (commit lost) is taken again within the test.
            "OUTBOX_CLAIM_TIMEOUT_SECONDS": "10",
        }
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--beat"]
        command += ["--pool=solo", "-n", f"{self.name}@%h", "--loglevel=INFO"]
        command += ["-s", str(self.directory / f"{self.name}-beat")]
        command += ["--without-heartbeat", "--without-gossip", "--without-mingle"]
        log = self.log.open("w")
        self._process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
            self._process = None

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


def _pools_reset() -> None:
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def publishing_to(broker_url: str) -> Iterator[None]:
    """This process (the web side) hands messages to `broker_url` instead of running them."""
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = broker_url, False
    _pools_reset()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        _pools_reset()


def postgres_restart() -> float:
    """Restart the suite's PostgreSQL (scripts/_setup.sh exports where it lives); every open
    connection is cut. Return how long it took."""
    directory, pgbin = os.environ["SERVICES_DIR"], os.environ["PGBIN"]
    command = [f"{pgbin}/pg_ctl", "-D", f"{directory}/pg", "-l", f"{directory}/pg.log"]
    command += ["-m", "fast", "-w", "restart"]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    started = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, timeout=60)
    connections.close_all()
    return time.monotonic() - started
