"""Protocol rules on screening data (docs/protocol.md "Screening and eligibility").

Pure functions: they take the values and the date of today and return field errors, so the
services, forms and API all give the same message. Numbers come from settings.TRIAL, read once as `TrialRules`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils.translation import gettext as _

from trial.dates import add_months
from trial.validation import Errors, add_error, merge, not_in_future

if TYPE_CHECKING:
    from trial.models import Baseline


@dataclass(frozen=True)
class TrialRules:
    """The numbers of screening the protocol leaves open (settings.TRIAL)."""

    study_id: str
    minimum_age: int
    first_relapse_min_days: int
    first_relapse_max_months: int
    max_prior_induction_cycles: int
    refractory_min_days_after_induction: int
    max_ecog: int

    @classmethod
    def from_settings(cls) -> TrialRules:
        cfg = settings.TRIAL
        numbers = {f: int(cfg[f.upper()]) for f in cls.__dataclass_fields__ if f != "study_id"}
        return cls(study_id=str(cfg["STUDY_ID"]), **numbers)


def age_check(age: int) -> Errors:
    minimum = TrialRules.from_settings().minimum_age
    if age < minimum:
        message = _("Patients must be at least %(minimum)d years old (age %(age)d).")
        return {"age_at_screening": [message % {"minimum": minimum, "age": age}]}
    return {}


# What the disease-status definitions read (inclusion criterion 3).
DISEASE_STATUS_FIELDS = frozenset(
    {
        "disease_status",
        "first_cr_date",
        "relapse_date",
        "prior_induction_cycles",
        "assessment_date",
        "induction_start_date",
    }
)


def baseline_check(
    baseline: Baseline, *, today: dt.date, unknown: Collection[str] = frozenset()
) -> Errors:
    """Check the dates of the disease history and that they support the disease status.

    `unknown` names the fields whose value could not be read (a form's invalid input): the
    checks that need them wait, the others run, so every other problem shows at once."""
    b = baseline
    errors = not_in_future(
        {},
        today=today,
        assessment_date=b.assessment_date,
        diagnosis_date=b.diagnosis_date,
        induction_start_date=b.induction_start_date,
        first_cr_date=b.first_cr_date,
        relapse_date=b.relapse_date,
    )
    order = [
        ("diagnosis_date", "induction_start_date", _("Induction cannot start before diagnosis.")),
        (
            "induction_start_date",
            "first_cr_date",
            _("CR/CRi cannot precede the start of induction."),
        ),
        ("first_cr_date", "relapse_date", _("Relapse must come after the CR/CRi.")),
        (
            "relapse_date",
            "assessment_date",
            _("The baseline assessment cannot precede the relapse."),
        ),
        (
            "diagnosis_date",
            "assessment_date",
            _("The baseline assessment cannot precede diagnosis."),
        ),
    ]
    for earlier, later, message in order:
        a, z = getattr(b, earlier), getattr(b, later)
        if a is not None and z is not None and z < a:
            add_error(errors, later, message)
    if b.relapse_date and not b.first_cr_date and "first_cr_date" not in unknown:
        add_error(errors, "first_cr_date", _("A relapse needs the date of the CR/CRi it follows."))
    if not DISEASE_STATUS_FIELDS.intersection(unknown):
        merge(errors, disease_status_check(b))
    return errors


def disease_status_check(b: Baseline) -> Errors:
    """First relapse vs refractory, as the protocol defines them (inclusion criterion 3)."""
    rules = TrialRules.from_settings()
    min_days, max_months = rules.first_relapse_min_days, rules.first_relapse_max_months
    max_cycles = rules.max_prior_induction_cycles
    if b.disease_status == "first_relapse":
        if not (b.first_cr_date and b.relapse_date):
            return {
                "relapse_date": [_("First relapse needs the dates of the CR/CRi and of relapse.")]
            }
        if b.relapse_date < b.first_cr_date + dt.timedelta(days=min_days):
            return {
                "disease_status": [
                    _(
                        "Relapse less than %(days)d days after CR/CRi is refractory disease, "
                        "not first relapse."
                    )
                    % {"days": min_days}
                ]
            }
        if b.relapse_date > add_months(b.first_cr_date, max_months):
            return {
                "relapse_date": [
                    _(
                        "Relapse more than %(months)d months after CR/CRi is outside the "
                        "protocol's definition of first relapse."
                    )
                    % {"months": max_months}
                ]
            }
        if b.prior_induction_cycles is not None and b.prior_induction_cycles > max_cycles:
            return {
                "prior_induction_cycles": [
                    _("First relapse requires a CR/CRi from at most %(cycles)d induction cycles.")
                    % {"cycles": max_cycles}
                ]
            }
        return {}
    if b.disease_status == "refractory":
        if b.first_cr_date and b.relapse_date:
            if b.relapse_date >= b.first_cr_date + dt.timedelta(days=min_days):
                return {
                    "disease_status": [
                        _(
                            "Relapse %(days)d days or more after CR/CRi is a first relapse, "
                            "not refractory disease."
                        )
                        % {"days": min_days}
                    ]
                }
            return {}
        if b.first_cr_date and not b.relapse_date:
            return {
                "relapse_date": [
                    _("A patient who reached CR/CRi is refractory only after relapse.")
                ]
            }
        min_after = TrialRules.from_settings().refractory_min_days_after_induction
        if b.prior_induction_cycles is not None and b.prior_induction_cycles > max_cycles:
            return {
                "prior_induction_cycles": [
                    _("Refractory disease is defined after 1 or %(cycles)d induction cycles.")
                    % {"cycles": max_cycles}
                ]
            }
        assessed, induction = b.assessment_date, b.induction_start_date
        if assessed and induction and assessed < induction + dt.timedelta(days=min_after):
            return {
                "assessment_date": [
                    _(
                        "Persistent AML counts as refractory only %(days)d days or more after "
                        "day 1 of induction."
                    )
                    % {"days": min_after}
                ]
            }
    return {}


def blast_check(b: Baseline) -> Errors:
    """At least 5% marrow blasts or at least 1% blood blasts (inclusion criterion 3)."""
    marrow_ok = b.marrow_blast_pct is not None and b.marrow_blast_pct >= 5
    if marrow_ok or (b.blood_blast_pct is not None and b.blood_blast_pct >= 1):
        return {}
    return {"marrow_blast_pct": [_("At least 5% marrow blasts or 1% blood blasts are required.")]}


def ecog_check(b: Baseline) -> Errors:
    limit = TrialRules.from_settings().max_ecog
    if b.ecog is not None and b.ecog > limit:
        message = _("ECOG %(ecog)d is above the protocol's limit of %(limit)d.")
        return {"ecog": [message % {"ecog": b.ecog, "limit": limit}]}
    return {}
