"""The numbers and choices of randomisation the protocol leaves open (settings.TRIAL_RANDOMIZATION,
docs/protocol.md "Randomisation")."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class RandomizationRules:
    method: str
    factors: tuple[str, ...]
    stratify_by_site: bool
    block_sizes: tuple[int, ...]
    low_slot_warning: int
    minimization_probability: float
    allow_test_list: bool
    study_duration_years: int

    @classmethod
    def from_settings(cls) -> RandomizationRules:
        cfg = settings.TRIAL_RANDOMIZATION
        return cls(
            method=str(cfg["METHOD"]),
            factors=tuple(cfg["FACTORS"]),
            stratify_by_site=bool(cfg["STRATIFY_BY_SITE"]),
            block_sizes=tuple(int(s) for s in cfg["BLOCK_SIZES"]),
            low_slot_warning=int(cfg["LOW_SLOT_WARNING"]),
            minimization_probability=float(cfg["MINIMIZATION_PROBABILITY"]),
            allow_test_list=bool(cfg["ALLOW_TEST_LIST"]),
            study_duration_years=int(cfg["STUDY_DURATION_YEARS"]),
        )

    @property
    def list_factors(self) -> list[str]:
        """The factors a new list is stratified by: the configured ones, then the site if set."""
        return [*self.factors, *(["site"] if self.stratify_by_site else [])]
