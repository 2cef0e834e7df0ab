"""What later periods do when the treatment period ends, registered by them at start-up.

Treatment comes before follow-up on the patient's path, so it never imports follow-up. Instead
follow-up registers here, in its AppConfig.ready(), what recording an end of treatment starts
(planning the post-treatment visits, docs/protocol.md "Post-treatment follow-up"). An explicit
list rather than a signal: the listeners run in order, inside the transaction of the record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from trial.models import Patient

EndOfTreatmentListener = Callable[..., object]  # called as listener(patient=…, today=…)

_end_of_treatment_listeners: list[EndOfTreatmentListener] = []


def end_of_treatment_listen(listener: EndOfTreatmentListener) -> None:
    """Register what a later app does when an end of treatment is recorded or corrected."""
    if listener not in _end_of_treatment_listeners:
        _end_of_treatment_listeners.append(listener)


def end_of_treatment_recorded(*, patient: Patient, today: dt.date) -> None:
    for listener in _end_of_treatment_listeners:
        listener(patient=patient, today=today)
