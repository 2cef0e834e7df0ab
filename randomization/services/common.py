"""What the randomisation services share: configuration and the messages site users see."""

from django.utils.translation import gettext_lazy as _

NOT_OPEN = _(
    "Randomisation is not open: no allocation list is active. Contact the trial statistician."
)
TEST_LIST = _(
    "Randomisation is suspended: the active allocation list is a test list. "
    "Contact the trial statistician."
)
# Deliberately says nothing of the list (counts, arms, block position): allocation concealment.
STRATUM_EMPTY = _(
    "This patient cannot be randomised yet: no allocation is available for the patient's "
    "stratum. Nothing was recorded. The trial statistician must extend the allocation list."
)
