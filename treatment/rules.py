"""The numbers of the treatment period the protocol leaves open (settings.TRIAL_TREATMENT,
docs/protocol.md "Treatment period")."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings


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
