"""Every automatic edit check of the trial, declared in this one place.

Each has an id (what a system query and the audit trail cite), the record and field it flags,
its severity, the query category, the models whose saves re-run it for the patient, and the
settings that hold its numbers (settings.TRIAL_CLEANING, or the settings of the app whose rule
it reuses). Hard checks refuse a save with a field error; the services already refuse most of
what they find (ELN blasts, a fatal event without the death record); declaring them here makes
the nightly run find what was entered before, or by a path other than the services. Soft
checks let the save through and open a system query, which closes itself once the data hold.

To add a check: write its function in the module of its period and add it to EDIT_CHECKS; the
nightly run (`manage.py edit_checks_run`) then looks for it in the data already entered.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from cleaning.checks import followup, screening, treatment
from cleaning.checks.base import EditCheck, Severity
from cleaning.models import QueryCategory
from followup.models import Visit
from treatment.models import AdverseEvent, Cycle, DrugAdministration, ResponseAssessment
from trial.models import Baseline, BaselineMutation, Consent, Death, Patient

EDIT_CHECKS: list[EditCheck] = [
    EditCheck(
        id="SCR-AGE",
        title=_("Age under the protocol's minimum at screening"),
        applies_to=_("Screening log: age at screening"),
        severity=Severity.SOFT,
        category=QueryCategory.OUT_OF_RANGE,
        models=(Patient,),
        evaluate=screening.age_under_minimum,
        setting='TRIAL["MINIMUM_AGE"] (refused again at the confirmation of eligibility)',
    ),
    EditCheck(
        id="SCR-CONSENT-DATE",
        title=_("Consent dated before the screening date"),
        applies_to=_("Informed consent: date of consent"),
        severity=Severity.SOFT,
        category=QueryCategory.INCONSISTENT,
        models=(Consent, Patient),
        evaluate=screening.consent_before_screening,
    ),
    EditCheck(
        id="ENR-BASELINE",
        title=_("A baseline field the protocol requires left empty at enrolment"),
        applies_to=_("Baseline record: the required fields and mutation results"),
        severity=Severity.SOFT,
        category=QueryCategory.MISSING,
        models=(Patient, Baseline, BaselineMutation),
        evaluate=screening.baseline_required_at_enrolment,
        setting='TRIAL_CLEANING["BASELINE_REQUIRED_FIELDS"], ["BASELINE_REQUIRED_GENES"]',
    ),
    EditCheck(
        id="TRT-DOSE",
        title=_("Dose given outside the planned range (BSA-based)"),
        applies_to=_("Cycle drug: given dose"),
        severity=Severity.SOFT,
        category=QueryCategory.OUT_OF_RANGE,
        models=(DrugAdministration, Cycle),
        evaluate=treatment.dose_outside_planned,
        setting='TRIAL_CLEANING["DOSE_MIN_PERCENT"], ["DOSE_MAX_PERCENT"]',
    ),
    EditCheck(
        id="TRT-RESPONSE-EARLY",
        title=_("Response assessed too early in cycle 1"),
        applies_to=_("Response assessment: date"),
        severity=Severity.SOFT,
        category=QueryCategory.INCONSISTENT,
        models=(ResponseAssessment, Cycle),
        evaluate=treatment.response_too_early,
        setting='TRIAL_CLEANING["RESPONSE_EARLIEST_DAY"]',
    ),
    EditCheck(
        id="TRT-RESPONSE-BLASTS",
        title=_("Marrow blasts inconsistent with the response (ELN 2017)"),
        applies_to=_("Response assessment: marrow blasts"),
        severity=Severity.HARD,
        category=QueryCategory.INCONSISTENT,
        models=(ResponseAssessment,),
        evaluate=treatment.blasts_against_response,
    ),
    EditCheck(
        id="TRT-AE-FATAL",
        title=_("Grade 5 adverse event without a death record"),
        applies_to=_("Adverse event: grade"),
        severity=Severity.HARD,
        category=QueryCategory.INCONSISTENT,
        models=(AdverseEvent, Death),
        evaluate=treatment.fatal_event_without_death,
    ),
    EditCheck(
        id="TRT-SAE-24H",
        title=_("SAE not reported within the deadline"),
        applies_to=_("Adverse event: SAE report sent at"),
        severity=Severity.SOFT,
        category=QueryCategory.PROTOCOL_DEVIATION,
        models=(AdverseEvent,),
        evaluate=treatment.sae_report_late,
        setting='TRIAL_TREATMENT["SAE_REPORT_HOURS"]',
    ),
    EditCheck(
        id="FU-VISIT-WINDOW",
        title=_("Visit contact date outside its window"),
        applies_to=_("Follow-up visit: date of contact"),
        severity=Severity.SOFT,
        category=QueryCategory.PROTOCOL_DEVIATION,
        models=(Visit,),
        evaluate=followup.visit_outside_window,
        setting='TRIAL_FOLLOWUP["WINDOW_DAYS"]',
    ),
    EditCheck(
        id="FU-ALIVE-AFTER-DEATH",
        title=_("Death dated before a later visit recorded as alive"),
        applies_to=_("Follow-up visit: vital status (and the death's date)"),
        severity=Severity.HARD,
        category=QueryCategory.INCONSISTENT,
        models=(Visit, Death),
        evaluate=followup.alive_after_death,
    ),
]


def edit_check(check_id: str) -> EditCheck | None:
    return next((c for c in EDIT_CHECKS if c.id == check_id), None)


def checks_for(model: type[models.Model]) -> list[EditCheck]:
    """The checks a save of this model re-runs."""
    return [c for c in EDIT_CHECKS if model in c.models]


TRIGGER_MODELS: frozenset[type[models.Model]] = frozenset(
    model for check in EDIT_CHECKS for model in check.models
)
