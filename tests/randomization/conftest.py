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


# A list as an independent statistician would send it, written by hand (not drawn by the
# system): declared blocks of 4 and 2, arms forced so that the order of use is visible. Rows
# count the header as row 1: IC|first_relapse is rows 2–7, IC|refractory 8–9,
# AZA|first_relapse 10–11, AZA|refractory 12–13.
HAND_MADE_LIST = """\
regimen,disease_status,position,block_number,block_size,arm
IC,first_relapse,1,1,4,CTRL
IC,first_relapse,2,1,4,CTRL
IC,first_relapse,3,1,4,DEX
IC,first_relapse,4,1,4,DEX
IC,first_relapse,5,2,2,DEX
IC,first_relapse,6,2,2,CTRL
IC,refractory,1,1,2,DEX
IC,refractory,2,1,2,CTRL
AZA,first_relapse,1,1,2,CTRL
AZA,first_relapse,2,1,2,DEX
AZA,refractory,1,1,2,DEX
AZA,refractory,2,1,2,CTRL
"""

# The order of the arms of IC|first_relapse in HAND_MADE_LIST.
HAND_MADE_IC_FIRST_RELAPSE = ["CTRL", "CTRL", "DEX", "DEX", "DEX", "CTRL"]

# The same kind of list without blocks: each stratum's balance is judged against a tolerance.
UNBLOCKED_LIST = """\
stratum,regimen,disease_status,position,arm
IC|first_relapse,IC,first_relapse,1,DEX
IC|first_relapse,IC,first_relapse,2,DEX
IC|first_relapse,IC,first_relapse,3,CTRL
IC|refractory,IC,refractory,1,CTRL
AZA|first_relapse,AZA,first_relapse,1,DEX
AZA|refractory,AZA,refractory,1,CTRL
"""


def import_external(
    statistician: User,
    text: str = HAND_MADE_LIST,
    *,
    code: str = "EXT1",
    block_sizes: tuple[int, ...] = (2, 4),
    balance_tolerance: int | None = None,
    dry_run: bool = False,
) -> services.ImportReport:
    """Import a list made outside the system, as the statistician would."""
    return services.allocation_list_import_external(
        content=text.encode(),
        code=code,
        purpose="production",
        stated_method="Permuted blocks of 4 and 2, SAS 9.4 PROC PLAN, 2026-10-01, by J. Doe",
        block_sizes=list(block_sizes),
        balance_tolerance=balance_tolerance,
        by=statistician,
        now=NOW,
        dry_run=dry_run,
    )
