"""The numbers of the automatic edit checks (settings.TRIAL_CLEANING, docs/protocol.md "Data
cleaning and locking"), read once as a typed object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import checks

from trial.models import Baseline


@dataclass(frozen=True)
class CleaningRules:
    dose_max_percent: int
    dose_min_percent: int
    response_earliest_day: int
    baseline_required_fields: tuple[str, ...]
    baseline_required_genes: tuple[str, ...]
    batch_size: int

    @classmethod
    def from_settings(cls) -> CleaningRules:
        cfg = settings.TRIAL_CLEANING
        return cls(
            dose_max_percent=int(cfg["DOSE_MAX_PERCENT"]),
            dose_min_percent=int(cfg["DOSE_MIN_PERCENT"]),
            response_earliest_day=int(cfg["RESPONSE_EARLIEST_DAY"]),
            baseline_required_fields=tuple(cfg["BASELINE_REQUIRED_FIELDS"]),
            baseline_required_genes=tuple(cfg["BASELINE_REQUIRED_GENES"]),
            batch_size=int(cfg["BATCH_SIZE"]),
        )


def baseline_fields_check(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """A system check: the baseline fields TRIAL_CLEANING names are fields of the baseline."""
    known = {f.name for f in Baseline._meta.concrete_fields}
    return [
        checks.Error(
            f"TRIAL_CLEANING['BASELINE_REQUIRED_FIELDS'] names {name!r}, not a baseline field.",
            id="cleaning.E001",
        )
        for name in CleaningRules.from_settings().baseline_required_fields
        if name not in known
    ]
