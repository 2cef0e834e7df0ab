"""Who may do what (docs/protocol.md "Who uses it"): one table, read by every interface."""

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    SITE_COORDINATOR = "coordinator", _("Site coordinator")
    INVESTIGATOR = "investigator", _("Investigator")
    DATA_MANAGER = "data_manager", _("Data manager")
    MONITOR = "monitor", _("Monitor")
    STATISTICIAN = "statistician", _("Trial statistician")
    SPONSOR_ADMIN = "sponsor_admin", _("Sponsor administrator")


class Action(models.TextChoices):
    VIEW = "view", _("Read patient records")
    SCREEN = "screen", _("Screen, consent, record baseline and enrol")
    CONFIRM_ELIGIBILITY = "confirm_eligibility", _("Confirm eligibility")
    RANDOMIZE = "randomize", _("Randomise")
    ENTER_TREATMENT = "enter_treatment", _("Enter cycles, responses and adverse events")
    SIGN = "sign", _("Sign treatment-period records")
    ENTER_FOLLOWUP = "enter_followup", _("Enter follow-up visits")
    RECORD_RELAPSE = "record_relapse", _("Record a relapse")
    RAISE_QUERY = "raise_query", _("Raise and close data queries")
    ANSWER_QUERY = "answer_query", _("Answer data queries of the site")
    VERIFY_SOURCE = "verify_source", _("Verify records against source documents")
    LOCK = "lock", _("Lock and unlock records, patients and the database")
    MANAGE_CUTOFF = "manage_cutoff", _("Freeze data cut-offs")
    EXPORT = "export", _("Export analysis datasets")
    VIEW_REPORTS = "view_reports", _("See trial-wide reports")
    MANAGE_ALLOCATION = "manage_allocation", _("Generate and see allocation lists")
    CORRECT_RANDOMIZATION = "correct_randomization", _("Record a randomisation correction")
    ADMINISTER = "administer", _("Administer sites, users and protocol versions")


_ALL = frozenset(Role)
_SITE_TEAM = frozenset({Role.SITE_COORDINATOR, Role.INVESTIGATOR})

ALLOWED_ROLES: dict[Action, frozenset[Role]] = {
    Action.VIEW: _ALL,
    Action.SCREEN: _SITE_TEAM,
    Action.CONFIRM_ELIGIBILITY: frozenset({Role.INVESTIGATOR}),
    Action.RANDOMIZE: _SITE_TEAM,
    Action.ENTER_TREATMENT: frozenset({Role.INVESTIGATOR}),
    Action.SIGN: frozenset({Role.INVESTIGATOR}),
    Action.ENTER_FOLLOWUP: _SITE_TEAM,
    # A relapse is found in treatment (the investigator's assessment) or at a follow-up visit
    # (which the coordinator enters): both record the same one relapse record.
    Action.RECORD_RELAPSE: _SITE_TEAM,
    Action.RAISE_QUERY: frozenset({Role.DATA_MANAGER, Role.MONITOR}),
    Action.ANSWER_QUERY: _SITE_TEAM,
    Action.VERIFY_SOURCE: frozenset({Role.MONITOR}),
    Action.LOCK: frozenset({Role.DATA_MANAGER}),
    Action.MANAGE_CUTOFF: frozenset({Role.DATA_MANAGER}),
    Action.EXPORT: frozenset({Role.DATA_MANAGER, Role.STATISTICIAN, Role.SPONSOR_ADMIN}),
    Action.VIEW_REPORTS: frozenset(
        {Role.DATA_MANAGER, Role.STATISTICIAN, Role.SPONSOR_ADMIN, Role.MONITOR}
    ),
    Action.MANAGE_ALLOCATION: frozenset({Role.STATISTICIAN, Role.SPONSOR_ADMIN}),
    Action.CORRECT_RANDOMIZATION: frozenset({Role.SPONSOR_ADMIN}),
    Action.ADMINISTER: frozenset({Role.SPONSOR_ADMIN}),
}


# Who marks a clinical record "entered in error" from its page: whoever enters that kind of
# record (keyed by model label; this table names later apps' models without importing them).
# A relapse has its own operation (its withdrawal checks what reports it). A death, a
# withdrawal, a loss to follow-up and an end of treatment change the follow-up schedule: the
# follow-up app refreshes it in the same transaction (trial.services.records.entered_in_error_listen).
ENTERED_IN_ERROR_ACTIONS: dict[str, Action] = {
    "trial.consent": Action.SCREEN,
    "trial.baseline": Action.SCREEN,
    "trial.eligibilityanswer": Action.SCREEN,
    "trial.death": Action.ENTER_FOLLOWUP,
    "trial.withdrawal": Action.ENTER_FOLLOWUP,
    "trial.losstofollowup": Action.ENTER_FOLLOWUP,
    "treatment.endoftreatment": Action.ENTER_TREATMENT,
    "treatment.cycle": Action.ENTER_TREATMENT,
    "treatment.responseassessment": Action.ENTER_TREATMENT,
    "treatment.adverseevent": Action.ENTER_TREATMENT,
    "treatment.transplant": Action.ENTER_TREATMENT,
    "treatment.protocoldeviation": Action.ENTER_TREATMENT,
    "followup.visit": Action.ENTER_FOLLOWUP,
    "followup.contactattempt": Action.ENTER_FOLLOWUP,
}


def roles_for(action: Action) -> frozenset[Role]:
    return ALLOWED_ROLES[action]


def not_allowed_message(action: Action) -> str:
    """What a user refused by this table reads, on a page or in the API."""
    return gettext("Your role does not allow you to %(action)s here.") % {
        "action": str(action.label).lower()
    }
