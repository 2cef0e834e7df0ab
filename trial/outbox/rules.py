"""The outbox's timings (settings.TRIAL_OUTBOX), read as one typed object."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class OutboxRules:
    retry_base_seconds: int
    retry_max_seconds: int
    task_max_retries: int
    sweep_every_seconds: int
    sweep_grace_seconds: int
    sweep_batch: int
    claim_timeout_seconds: int
    record_wait_seconds: int

    @classmethod
    def from_settings(cls) -> OutboxRules:
        cfg = settings.TRIAL_OUTBOX
        return cls(**{name: int(cfg[name.upper()]) for name in cls.__dataclass_fields__})

    def retry_delay(self, attempts: int) -> dt.timedelta:
        """How long after its `attempts`-th failure a message is tried again (doubling)."""
        seconds = self.retry_base_seconds * 2 ** max(attempts - 1, 0)
        return dt.timedelta(seconds=min(seconds, self.retry_max_seconds))
