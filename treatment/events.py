"""What later periods do when the treatment period ends, registered by them at start-up.

Treatment comes before follow-up on the patient's path, so it never imports follow-up. Instead
follow-up registers here, in its AppConfig.ready(), what recording an end of treatment starts
(planning the post-treatment visits, docs/protocol.md "Post-treatment follow-up"). An explicit
list rather than a signal: the listeners run in order, inside the transaction of the record.
Likewise follow-up registers why a relapse record cannot be marked entered in error while a
visit reports it (docs/protocol.md "Relapse").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from treatment.models import Relapse
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


# What later periods hold that reports a relapse (a follow-up visit whose disease status is
# "relapse" links to the relapse record): they say why the record cannot be marked entered in
# error while they report it. Each check is called as check(relapse=…) and returns a message,
# or "" when it has no objection.
RelapseWithdrawalCheck = Callable[..., str]

_relapse_withdrawal_checks: list[RelapseWithdrawalCheck] = []


def relapse_withdrawal_check(check: RelapseWithdrawalCheck) -> None:
    """Register what a later app checks before a relapse record is marked entered in error."""
    if check not in _relapse_withdrawal_checks:
        _relapse_withdrawal_checks.append(check)


def relapse_withdrawal_objections(*, relapse: Relapse) -> list[str]:
    return [m for check in _relapse_withdrawal_checks if (m := check(relapse=relapse))]
