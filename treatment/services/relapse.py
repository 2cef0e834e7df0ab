"""The relapse after CR/CRi: one dated record per patient, written by this one service wherever
the relapse is found — a response assessment, an end of treatment for progression, a follow-up
visit or the relapse form (docs/protocol.md "Relapse").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from randomization.models import Randomization
from treatment.events import relapse_withdrawal_objections
from treatment.models import Relapse, Response, ResponseAssessment
from treatment.selectors import first_remission, relapse_of
from treatment.services.common import (
    local_date,
    not_after_death,
    require_entry,
    treatment_signature_break,
)
from trial.audit import record_save, require
from trial.exceptions import StateConflict
from trial.models import Patient, User
from trial.permissions import Action
from trial.validation import Errors, add_error, not_before_randomisation, not_in_future, raise_if

MARROW_THRESHOLD = Decimal(5)  # ELN 2017: ≥ 5% bone-marrow blasts after CR/CRi is a relapse


@dataclass(frozen=True)
class RelapseFinding:
    """How a relapse was established (ELN 2017): any of the three, at least one."""

    bone_marrow: bool = False
    marrow_blast_pct: Decimal | None = None
    peripheral_blood: bool = False
    extramedullary: bool = False
    extramedullary_site: str = ""

    @classmethod
    def from_assessment(
        cls,
        *,
        marrow_blast_pct: Decimal | None,
        peripheral_blood: bool = False,
        extramedullary: bool = False,
        extramedullary_site: str = "",
    ) -> RelapseFinding:
        """The finding of a response assessment: the marrow counts when it has ≥ 5% blasts."""
        return cls(
            bone_marrow=marrow_blast_pct is not None and marrow_blast_pct >= MARROW_THRESHOLD,
            marrow_blast_pct=marrow_blast_pct,
            peripheral_blood=peripheral_blood,
            extramedullary=extramedullary,
            extramedullary_site=extramedullary_site.strip(),
        )

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> RelapseFinding:
        """The finding as a relapse form's fields give it (a field left empty: not found)."""
        return cls(
            bone_marrow=bool(values.get("bone_marrow")),
            marrow_blast_pct=values.get("marrow_blast_pct"),
            peripheral_blood=bool(values.get("peripheral_blood")),
            extramedullary=bool(values.get("extramedullary")),
            extramedullary_site=values.get("extramedullary_site") or "",
        )

    def errors(self) -> Errors:
        errors: Errors = {}
        if not (self.bone_marrow or self.peripheral_blood or self.extramedullary):
            add_error(
                errors,
                NON_FIELD_ERRORS,
                _(
                    "A relapse after CR/CRi is established by ≥ 5% bone-marrow blasts, blasts in "
                    "the peripheral blood or extramedullary disease (ELN 2017): give at least one."
                ),
            )
        blasts = self.marrow_blast_pct
        if self.bone_marrow and blasts is None:
            add_error(errors, "marrow_blast_pct", _("Give the marrow blast percentage."))
        elif self.bone_marrow and blasts is not None and blasts < MARROW_THRESHOLD:
            add_error(
                errors,
                "marrow_blast_pct",
                _("A bone-marrow relapse needs ≥ 5% marrow blasts (ELN 2017)."),
            )
        if self.extramedullary and not self.extramedullary_site.strip():
            add_error(
                errors, "extramedullary_site", _("Give the site of the extramedullary disease.")
            )
        return errors

    def same_as(self, relapse: Relapse) -> bool:
        return (
            self.bone_marrow == relapse.bone_marrow
            and self.marrow_blast_pct == relapse.marrow_blast_pct
            and self.peripheral_blood == relapse.peripheral_blood
            and self.extramedullary == relapse.extramedullary
            and self.extramedullary_site.strip() == relapse.extramedullary_site
        )


def remission_rule_message(patient: Patient, day: dt.date) -> str:
    return _(
        "A relapse requires a previous CR/CRi (ELN 2017): patient %(patient)s has no CR or CRi "
        "recorded before %(date)s. Disease that returns or persists without a CR/CRi is "
        "refractory or progressive disease, not relapse."
    ) % {"patient": patient, "date": f"{day:%Y-%m-%d}"}


def already_recorded(day: dt.date) -> str:
    """A second relapse date given where one is recorded (the end of treatment, a visit)."""
    return _(
        "A relapse is already recorded on %(date)s: correct that record (with a reason) on the "
        "relapse page if this is its date."
    ) % {"date": f"{day:%Y-%m-%d}"}


def relapse_errors(
    *, patient: Patient, today: dt.date, relapse_date: dt.date | None, finding: RelapseFinding
) -> Errors:
    """Every rule on a relapse that its values allow checking: established by a finding, dated
    in the past, after randomisation, before death, and after a CR/CRi (ELN 2017)."""
    errors = finding.errors()
    if relapse_date is None:
        return errors
    not_in_future(errors, today=today, relapse_date=relapse_date)
    randomization = Randomization.objects.filter(patient=patient).first()
    if randomization is not None:
        not_before_randomisation(
            errors, randomized_on=randomization.randomized_on, relapse_date=relapse_date
        )
    not_after_death(errors, patient, "relapse_date", relapse_date)
    if first_remission(patient, before=relapse_date) is None:
        add_error(errors, NON_FIELD_ERRORS, remission_rule_message(patient, relapse_date))
    return errors


def relapse_form_errors(*, patient: Patient, today: dt.date, values: dict[str, Any]) -> Errors:
    """The rules of `relapse_record` on the values a relapse form could read."""
    finding = RelapseFinding.from_values(values)
    errors = relapse_errors(
        patient=patient, today=today, relapse_date=values.get("relapse_date"), finding=finding
    )
    if "marrow_blast_pct" not in values:
        errors.pop("marrow_blast_pct", None)  # the blasts could not be read: their rules wait
    return errors


@contextmanager
def errors_as(fields: dict[str, str]) -> Iterator[None]:
    """Show a relapse's errors on the fields of the form it was entered through (a response
    assessment shows the remission rule beside its response, a visit beside its disease
    status)."""
    try:
        yield
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        raise ValidationError(
            {fields.get(name, name): messages for name, messages in error.message_dict.items()}
        ) from error


@transaction.atomic
def relapse_record(
    *,
    patient: Patient,
    relapse_date: dt.date,
    finding: RelapseFinding,
    found_at: str,
    by: User,
    now: dt.datetime,
    comment: str = "",
    relapse: Relapse | None = None,
    reason: str = "",
    assessment: ResponseAssessment | None = None,
) -> Relapse:
    """Record the patient's relapse after CR/CRi, or correct it (`relapse`, with a reason).

    `found_at` says where it was found (a `RelapseFoundAt`), `assessment` the response
    assessment it was found at, if it was.

    :raises PermissionDenied: the user may not record a relapse at the patient's site.
    :raises StateConflict: the patient is not randomised, a relapse is already recorded
        (correct that one), or the record to correct was entered in error.
    :raises ValidationError: no CR/CRi before the date (refractory or progressive disease, not
        relapse), a date in the future, before randomisation or after death, or a finding that
        does not establish a relapse.
    """
    require_entry(patient=patient, by=by, action=Action.RECORD_RELAPSE)
    Patient.objects.select_for_update().get(pk=patient.pk)
    existing = relapse_of(patient)
    if relapse is None and existing is not None:
        raise StateConflict(
            _(
                "A relapse is already recorded on %(date)s: correct that record, with a reason, "
                "rather than adding another."
            )
            % {"date": f"{existing.relapse_date:%Y-%m-%d}"}
        )
    if relapse is not None and (relapse.entered_in_error or relapse.patient_id != patient.pk):
        raise StateConflict(_("This relapse record was entered in error; record the relapse anew."))
    errors = relapse_errors(
        patient=patient, today=local_date(now), relapse_date=relapse_date, finding=finding
    )
    raise_if(errors)
    relapse = relapse or Relapse(
        patient=patient, found_at=found_at, recorded_by=by, assessment=assessment
    )
    changing = relapse.pk is not None
    relapse.relapse_date, relapse.comment = relapse_date, comment
    relapse.bone_marrow, relapse.marrow_blast_pct = finding.bone_marrow, finding.marrow_blast_pct
    relapse.peripheral_blood, relapse.extramedullary = (
        finding.peripheral_blood,
        finding.extramedullary,
    )
    relapse.extramedullary_site = finding.extramedullary_site.strip()
    record_save(instance=relapse, by=by, reason=reason)
    what = f"Relapse of {relapse_date:%Y-%m-%d} {'changed' if changing else 'added'}"
    treatment_signature_break(patient=patient, by=by, now=now, what=what)
    return relapse


@transaction.atomic
def relapse_withdraw(*, relapse: Relapse, by: User, now: dt.datetime, reason: str) -> Relapse:
    """Mark a relapse record as entered in error (there was no relapse); it stays, with its
    history, and no endpoint counts it any more.

    :raises PermissionDenied: the user may not record a relapse at the patient's site.
    :raises StateConflict: already marked.
    :raises ValidationError: without a reason, or while a response assessment or a follow-up
        visit still reports the relapse (correct that record instead).
    """
    require(user=by, action=Action.RECORD_RELAPSE, site=relapse.patient.site)
    relapse = Relapse.objects.select_for_update().get(pk=relapse.pk)
    if relapse.entered_in_error:
        raise StateConflict(_("This relapse record is already marked as entered in error."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why this relapse record was entered in error.")]})
    raise_if({NON_FIELD_ERRORS: objections} if (objections := _reported_by(relapse)) else {})
    relapse.entered_in_error, relapse.entered_in_error_reason = True, reason.strip()
    record_save(instance=relapse, by=by, reason=f"Entered in error: {reason.strip()}")
    what = f"Relapse of {relapse.relapse_date:%Y-%m-%d} marked entered in error"
    treatment_signature_break(patient=relapse.patient, by=by, now=now, what=what)
    return relapse


def _reported_by(relapse: Relapse) -> list[str]:
    assessments = ResponseAssessment.objects.filter(
        patient_id=relapse.patient_id, entered_in_error=False, response=Response.RELAPSE
    ).order_by("assessment_date")
    messages = [
        _(
            "The response assessment of %(date)s reports this relapse: correct that assessment "
            "first."
        )
        % {"date": f"{a.assessment_date:%Y-%m-%d}"}
        for a in assessments
    ]
    return messages + relapse_withdrawal_objections(relapse=relapse)
