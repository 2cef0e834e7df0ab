"""What every treatment-period write shares: access, the randomisation gate, dates, and the
one place where a change to signed data breaks the investigator's signature."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from randomization.models import Randomization
from treatment.models import Signature
from trial.audit import record_save, require
from trial.exceptions import StateConflict
from trial.models import Death, Patient, User
from trial.permissions import Action
from trial.validation import Errors, add_error


def local_date(now: dt.datetime) -> dt.date:
    """The calendar day of an instant in the trial's time zone."""
    return timezone.localdate(now)


def require_entry(
    *, patient: Patient, by: User, action: Action = Action.ENTER_TREATMENT
) -> Randomization:
    """Refuse treatment-period data for a user who may not enter it or an unrandomised patient.

    :raises PermissionDenied: the user's roles do not allow `action` at the patient's site (by
        default: the user is not an investigator of the patient's site).
    :raises StateConflict: the patient is not randomised.
    """
    require(user=by, action=action, site=patient.site)
    randomization = Randomization.objects.filter(patient=patient).first()
    if randomization is None:
        raise StateConflict(
            _(
                "Patient %(patient)s is not randomised: treatment-period data start at randomisation."
            )
            % {"patient": patient}
        )
    return randomization


def treatment_signature_break(*, patient: Patient, by: User, now: dt.datetime, what: str) -> None:
    """Mark the patient's valid signature as broken by a change to the signed data.

    Every service that writes treatment-period data calls this (21 CFR 11.70: the signature
    must stay linked to the records as they were signed).
    """
    signature = (
        Signature.objects.select_for_update()
        .filter(patient=patient, broken_at__isnull=True)
        .first()
    )
    if signature is None:
        return
    signature.broken_at = now
    signature.broken_reason = f"{what} by {by.get_username()} after signature"
    record_save(instance=signature, by=by, reason="Signature broken by a change to signed data")


def died_on(day: dt.date) -> str:
    return _("The patient died on %(date)s.") % {"date": f"{day:%Y-%m-%d}"}


def not_after_death(errors: Errors, patient: Patient, field: str, day: dt.date) -> None:
    """Nothing the patient lives through may be dated after their recorded death."""
    death = Death.objects.filter(patient=patient, entered_in_error=False).first()
    if death is not None and day > death.death_date:
        add_error(errors, field, died_on(death.death_date))
