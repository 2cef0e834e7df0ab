"""What the randomisation services share: configuration and the messages site users see."""

from typing import Any

from django.conf import settings

NOT_OPEN = (
    "Randomisation is not open: no allocation list is active. Contact the trial statistician."
)
TEST_LIST = (
    "Randomisation is suspended: the active allocation list is a test list. "
    "Contact the trial statistician."
)
# Deliberately says nothing of the list (counts, arms, block position): allocation concealment.
STRATUM_EMPTY = (
    "This patient cannot be randomised yet: no allocation is available for the patient's "
    "stratum. Nothing was recorded. The trial statistician must extend the allocation list."
)


def config(name: str) -> Any:
    """A value of settings.TRIAL_RANDOMIZATION (PROTOCOL.md: numbers are configuration)."""
    return settings.TRIAL_RANDOMIZATION[name]


def configured_factors() -> list[str]:
    """The trial's stratification factors, in order (site last when stratifying by site)."""
    return [*config("FACTORS"), *(["site"] if config("STRATIFY_BY_SITE") else [])]
