"""The numbers of the treatment period the protocol leaves open (settings.TRIAL_TREATMENT,
docs/protocol.md "Treatment period")."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from treatment.models import Response
from trial.validation import Errors, add_error


@dataclass(frozen=True)
class TreatmentRules:
    max_ic_cycles: int
    aza_response_due_cycle: int
    sae_report_hours: int
    sponsor_safety_email: str
    dexamethasone_planned_dose: Decimal
    dexamethasone_unit: str

    @classmethod
    def from_settings(cls) -> TreatmentRules:
        cfg = settings.TRIAL_TREATMENT
        return cls(
            max_ic_cycles=int(cfg["MAX_IC_CYCLES"]),
            aza_response_due_cycle=int(cfg["AZA_RESPONSE_DUE_CYCLE"]),
            sae_report_hours=int(cfg["SAE_REPORT_HOURS"]),
            sponsor_safety_email=str(cfg["SPONSOR_SAFETY_EMAIL"]),
            dexamethasone_planned_dose=Decimal(str(cfg["DEXAMETHASONE_PLANNED_DOSE"])),
            dexamethasone_unit=str(cfg["DEXAMETHASONE_UNIT"]),
        )


# ELN 2017: CR, CRi and MLFS need fewer than 5% marrow blasts; PR brings them to 5–25%.
_REMISSION = {Response.CR, Response.CRI, Response.MLFS}


def response_blasts_check(
    response: str, blasts: Decimal | None, *, other_relapse_evidence: bool = False
) -> Errors:
    """The marrow blasts a response category needs (docs/protocol.md "Responses").

    A relapse after CR/CRi needs ≥ 5% marrow blasts unless `other_relapse_evidence` (blasts
    reappeared in the blood, or extramedullary disease) establishes it."""
    errors: Errors = {}
    if response in _REMISSION | {Response.PR} and blasts is None:
        add_error(errors, "marrow_blast_pct", _("Give the marrow blast percentage (ELN 2017)."))
    elif response in _REMISSION and blasts is not None and blasts >= 5:
        add_error(
            errors,
            "marrow_blast_pct",
            _("%(response)s needs fewer than 5%% marrow blasts (ELN 2017).")
            % {"response": response},
        )
    elif response == Response.PR and blasts is not None and not 5 <= blasts <= 25:
        add_error(errors, "marrow_blast_pct", _("PR needs 5% to 25% marrow blasts (ELN 2017)."))
    elif response == Response.RELAPSE and not other_relapse_evidence and (blasts or 0) < 5:
        add_error(
            errors,
            "marrow_blast_pct",
            _(
                "Relapse after CR/CRi needs ≥ 5% marrow blasts, unless blasts reappeared in the "
                "peripheral blood or there is extramedullary disease (ELN 2017)."
            ),
        )
    return errors
