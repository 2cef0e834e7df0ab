"""Locks on a record, a patient, or the whole database at a cut-off, and the guard every write
asks (docs/protocol.md "Data cleaning and locking").

The guard is registered with trial.audit at start-up (verification/apps.py): `record_save` and
the services that save otherwise call it before any write, so no page, API, admin action,
command or task can change locked data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from trial.audit import record_save, require
from trial.exceptions import StateConflict
from trial.models import ClinicalRecord, Patient, User
from trial.permissions import Action
from trial.selectors.history import patient_id_of
from verification.models import Lock, LockScope
from verification.records import record_date
from verification.selectors import lock_over, locks_over, patient_lock_missing

UNLOCK_REASON_REQUIRED = gettext_lazy("Give the reason for unlocking.")


def _owner_patient_id(instance: models.Model) -> int | None:
    if isinstance(instance, Patient) and instance.pk is None:
        return None
    return patient_id_of(instance)


def _refusal(lock: Lock, what: str) -> str:
    return _(
        "%(what)s (by %(user)s on %(day)s): a data manager must unlock it, with a reason, "
        "before any change."
    ) % {"what": what, "user": lock.locked_by.get_username(), "day": f"{lock.locked_at:%Y-%m-%d}"}


def lock_covering(instance: models.Model, stored: dict[str, Any] | None) -> str | None:
    """Why a lock in force covers the record (its message), or None when it may be written."""
    if not isinstance(instance, ClinicalRecord):
        return None
    patient_id = _owner_patient_id(instance)
    content_type = ContentType.objects.get_for_model(instance)
    dates = {d for d in (record_date(instance), record_date(instance, stored)) if d is not None}
    lock = lock_over(
        locks_over(patient_id),
        key=(content_type.pk, instance.pk),
        patient_id=patient_id,
        dates=dates,
    )
    if lock is None:
        return None
    if lock.scope == LockScope.RECORD:
        return _refusal(lock, _("This record is locked"))
    if lock.scope == LockScope.PATIENT:
        return _refusal(lock, _("Patient %(patient)s is locked") % {"patient": lock.patient})
    assert lock.cutoff_date is not None  # a database lock covers by its cut-off
    before = min(d for d in dates if d <= lock.cutoff_date)
    what = _(
        "The database is locked at the %(cutoff)s cut-off and this record is dated "
        "%(day)s, on or before it"
    ) % {"cutoff": f"{lock.cutoff_date:%Y-%m-%d}", "day": f"{before:%Y-%m-%d}"}
    return _refusal(lock, what)


def locks_write_guard(*, instance: models.Model, stored: dict[str, Any] | None) -> None:
    """Refuse the write of a locked record (registered with trial.audit.write_guard_register).

    :raises StateConflict: the record, its patient, or its date under a database lock is locked.
    """
    message = lock_covering(instance, stored)
    if message is not None:
        raise StateConflict(message)


def _lock_save(lock: Lock, *, by: User, what: str) -> Lock:
    reason = f"{what}: {lock.reason}" if lock.reason else what
    record_save(instance=lock, by=by, reason=reason[:100])
    return lock


@transaction.atomic
def record_lock(*, record: models.Model, by: User, now: dt.datetime, reason: str = "") -> Lock:
    """Lock one clinical record of a patient.

    :raises PermissionDenied: the user is not a data manager of the record's site.
    :raises StateConflict: the record is already locked.
    """
    patient = Patient.objects.select_for_update().get(pk=patient_id_of(record))
    require(user=by, action=Action.LOCK, site=patient.site)
    content_type = ContentType.objects.get_for_model(record)
    in_force = Lock.objects.filter(
        scope=LockScope.RECORD, content_type=content_type, object_id=record.pk, unlocked_at=None
    )
    if in_force.exists():
        raise StateConflict(_("This record is already locked."))
    lock = Lock(
        scope=LockScope.RECORD,
        patient=patient,
        content_type=content_type,
        object_id=record.pk,
        reason=reason.strip(),
        locked_by=by,
        locked_at=now,
    )
    return _lock_save(lock, by=by, what=f"Locked {record._meta.verbose_name} {record}")


@transaction.atomic
def patient_lock(*, patient: Patient, by: User, now: dt.datetime, reason: str = "") -> Lock:
    """Lock every record of a patient, once the patient's forms meet the lock requirements
    (settings TRIAL_VERIFICATION["LOCK_PATIENT_REQUIRES"]).

    :raises PermissionDenied: the user is not a data manager of the patient's site.
    :raises StateConflict: already locked, or a requirement is not met (the message lists
        what is missing).
    """
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    require(user=by, action=Action.LOCK, site=patient.site)
    if Lock.objects.filter(scope=LockScope.PATIENT, patient=patient, unlocked_at=None).exists():
        raise StateConflict(_("Patient %(patient)s is already locked.") % {"patient": patient})
    missing = patient_lock_missing(patient)
    if missing:
        raise StateConflict(
            _("Patient %(patient)s cannot be locked yet: %(missing)s.")
            % {"patient": patient, "missing": "; ".join(missing)}
        )
    lock = Lock(
        scope=LockScope.PATIENT, patient=patient, reason=reason.strip(), locked_by=by, locked_at=now
    )
    return _lock_save(lock, by=by, what=f"Locked patient {patient}")


@transaction.atomic
def database_lock(*, cutoff_date: dt.date, by: User, now: dt.datetime, reason: str = "") -> Lock:
    """Lock every record dated on or before the cut-off, at every site.

    :raises PermissionDenied: the user is not a trial-wide data manager.
    :raises StateConflict: a database lock is already in force (unlock it first).
    """
    require(user=by, action=Action.LOCK, site=None)
    if by.site_ids_for(Action.LOCK) is not None:
        raise StateConflict(_("Only a trial-wide data manager may lock the whole database."))
    current = Lock.objects.select_for_update().filter(scope=LockScope.DATABASE, unlocked_at=None)
    if current.exists():
        raise StateConflict(
            _("The database is already locked at the %(cutoff)s cut-off; unlock it first.")
            % {"cutoff": f"{current[0].cutoff_date:%Y-%m-%d}"}
        )
    lock = Lock(
        scope=LockScope.DATABASE,
        cutoff_date=cutoff_date,
        reason=reason.strip(),
        locked_by=by,
        locked_at=now,
    )
    return _lock_save(
        lock, by=by, what=f"Locked the database at the {cutoff_date:%Y-%m-%d} cut-off"
    )


@transaction.atomic
def lock_release(*, lock: Lock, by: User, now: dt.datetime, reason: str) -> Lock:
    """Unlock, with the reason; the lock's row and history stay.

    :raises PermissionDenied: the user is not a data manager of the lock's site (trial-wide
        for a database lock).
    :raises ValidationError: no reason.
    :raises StateConflict: the lock is no longer in force.
    """
    lock = Lock.objects.select_for_update().get(pk=lock.pk)
    site = lock.patient.site if lock.patient is not None else None
    require(user=by, action=Action.LOCK, site=site)
    if site is None and by.site_ids_for(Action.LOCK) is not None:
        raise StateConflict(_("Only a trial-wide data manager may unlock the whole database."))
    if not reason.strip():
        raise ValidationError({"reason": [UNLOCK_REASON_REQUIRED]})
    if lock.unlocked_at is not None:
        raise StateConflict(
            _("%(lock)s was already unlocked on %(day)s.")
            % {"lock": lock, "day": f"{lock.unlocked_at:%Y-%m-%d}"}
        )
    lock.unlocked_at, lock.unlocked_by, lock.unlock_reason = now, by, reason.strip()
    record_save(instance=lock, by=by, reason=f"Unlocked: {reason.strip()}"[:100])
    return lock
