"""The targeted SDV plan and the lock requirements (settings.TRIAL_VERIFICATION, docs/protocol.md
"Data cleaning and locking"), read once as a typed object."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings

LOCK_REQUIREMENTS = ("complete", "verified", "signed", "no_open_queries")


@dataclass(frozen=True)
class VerificationRules:
    sdv_always: frozenset[str]
    sdv_always_sae: bool
    sdv_sample_percent: int
    sdv_seed: str
    lock_patient_requires: frozenset[str]

    @classmethod
    def from_settings(cls) -> VerificationRules:
        cfg = settings.TRIAL_VERIFICATION
        requires = frozenset(cfg["LOCK_PATIENT_REQUIRES"])
        unknown = requires - set(LOCK_REQUIREMENTS)
        if unknown:
            raise ValueError(f"TRIAL_VERIFICATION['LOCK_PATIENT_REQUIRES']: unknown {unknown}")
        return cls(
            sdv_always=frozenset(cfg["SDV_ALWAYS"]),
            sdv_always_sae=bool(cfg["SDV_ALWAYS_SAE"]),
            sdv_sample_percent=int(cfg["SDV_SAMPLE_PERCENT"]),
            sdv_seed=str(cfg["SDV_SEED"]),
            lock_patient_requires=requires,
        )

    def sdv_required(self, *, label: str, pk: int, site_id: int, serious: bool = False) -> bool:
        """Whether the plan asks a monitor to verify this record.

        Kinds named in SDV_ALWAYS (and serious adverse events) always; any other record when
        the hash of the seed, its site and the record falls in the sample: the draw is stable
        (a record never leaves the plan as data grow) and differs from site to site.
        """
        if label in self.sdv_always or (serious and self.sdv_always_sae):
            return True
        key = f"{self.sdv_seed}:{site_id}:{label}:{pk}".encode()
        draw = int.from_bytes(hashlib.sha256(key).digest()[:4], "big") % 100
        return draw < self.sdv_sample_percent
