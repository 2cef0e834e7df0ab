"""Corrections of a randomisation: documented, never a re-randomisation (ITT)."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from randomization.models import (
    CorrectionKind,
    Randomization,
    RandomizationCorrection,
)
from trial.audit import reason_prefixed, record_save, require
from trial.models import Patient, User
from trial.permissions import Action

# ---- Corrections -----------------------------------------------------------------------------


@transaction.atomic
def randomization_correct(
    *,
    randomization: Randomization,
    kind: str,
    reason: str,
    by: User,
    now: dt.datetime,
    correct_regimen: str = "",
    correct_disease_status: str = "",
) -> RandomizationCorrection:
    """Record an error in a randomisation. The allocation stands (ITT); never a re-randomisation.

    :raises PermissionDenied: the user is not a sponsor administrator.
    :raises ValidationError: no reason; a wrong-stratum correction without a corrected value.
    """
    patient = cast(Patient, randomization.patient)
    require(user=by, action=Action.CORRECT_RANDOMIZATION, site=patient.site)
    if not reason.strip():
        raise ValidationError({"reason": [_("A correction needs a reason.")]})
    if kind == CorrectionKind.WRONG_STRATUM and not (correct_regimen or correct_disease_status):
        raise ValidationError(
            {"correct_regimen": [_("Give the stratification value(s) that should have been used.")]}
        )
    correction = RandomizationCorrection(
        randomization=randomization,
        kind=kind,
        correct_regimen=correct_regimen,
        correct_disease_status=correct_disease_status,
        reason=reason.strip(),
        recorded_at=now,
        recorded_by=by,
    )
    record_save(instance=correction, by=by, reason=reason_prefixed("Correction: ", reason))
    return correction
