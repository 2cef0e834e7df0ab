"""Builders for randomisation tests: allocation lists ready to use."""

from __future__ import annotations

import pytest

from randomization import services
from randomization.models import AllocationList, Method
from tests.factories import NOW
from trial.models import User


def active_list(
    statistician: User,
    *,
    code: str = "P1",
    seed: str = "prod-seed-1",
    slots: int = 20,
    block_sizes: tuple[int, ...] = (2, 4, 6),
    factors: tuple[str, ...] = ("regimen", "disease_status"),
    method: str = Method.BLOCKS,
    probability: float | None = None,
) -> AllocationList:
    """A production list, generated and activated."""
    allocation_list = services.allocation_list_generate(
        code=code,
        purpose="production",
        seed=seed,
        method=method,
        block_sizes=list(block_sizes),
        factors=list(factors),
        slots_per_stratum=slots,
        minimization_probability=probability,
        by=statistician,
        now=NOW,
    )
    return services.allocation_list_activate(
        allocation_list=allocation_list, by=statistician, reason="Trial opens"
    )


@pytest.fixture
def production_list(statistician: User) -> AllocationList:
    return active_list(statistician)
