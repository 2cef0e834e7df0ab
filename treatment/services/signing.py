"""The investigator's electronic signature of a patient's treatment period (21 CFR 11.50)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from treatment.models import Signature, SignatureMeaning
from trial.audit import record_save, require
from trial.exceptions import StateConflict
from trial.models import Patient, User
from trial.permissions import Action

WRONG_PASSWORD = gettext_lazy("The password is not correct; nothing was signed.")


@transaction.atomic
def treatment_sign(
    *, patient: Patient, password: str, meaning: str, by: User, now: dt.datetime
) -> Signature:
    """Sign the patient's treatment-period records as they stand, after re-entry of the
    password; record the printed name, the time and the meaning of the signature.

    :raises PermissionDenied: the user is not an investigator of the patient's site.
    :raises ValidationError: the password is wrong or the meaning is not one of the list.
    :raises StateConflict: a valid signature already covers the records.
    """
    require(user=by, action=Action.SIGN, site=patient.site)
    Patient.objects.select_for_update().get(pk=patient.pk)
    if not by.check_password(password):
        raise ValidationError({"password": [WRONG_PASSWORD]})
    if meaning not in SignatureMeaning.values:
        raise ValidationError({"meaning": [_("Choose the meaning of the signature.")]})
    current = Signature.objects.filter(patient=patient, broken_at__isnull=True).first()
    if current is not None:
        raise StateConflict(
            _("The records were signed by %(name)s on %(at)s and have not changed since.")
            % {
                "name": current.signer_name,
                "at": formats.date_format(timezone.localtime(current.signed_at), "DATETIME_FORMAT"),
            }
        )
    signature = Signature(
        patient=patient,
        signed_by=by,
        signer_name=by.get_full_name() or by.get_username(),
        signed_at=now,
        meaning=meaning,
    )
    record_save(instance=signature, by=by, reason=f"Signed: {signature.get_meaning_display()}")
    return signature
