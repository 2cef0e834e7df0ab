"""Writes of the treatment period, split by subdomain."""

from treatment.services.common import treatment_signature_break
from treatment.services.cycles import DrugDose, cycle_form_errors, cycle_record
from treatment.services.outcomes import (
    end_of_treatment_form_errors,
    end_of_treatment_record,
    response_form_errors,
    response_record,
    transplant_errors,
    transplant_record,
)
from treatment.services.relapse import (
    RelapseFinding,
    relapse_errors,
    relapse_form_errors,
    relapse_record,
    relapse_withdraw,
)
from treatment.services.safety import (
    adverse_event_form_errors,
    adverse_event_record,
    sae_report_record,
)
from treatment.services.signing import treatment_sign

__all__ = [
    "DrugDose",
    "RelapseFinding",
    "adverse_event_form_errors",
    "adverse_event_record",
    "cycle_form_errors",
    "cycle_record",
    "end_of_treatment_form_errors",
    "end_of_treatment_record",
    "relapse_errors",
    "relapse_form_errors",
    "relapse_record",
    "relapse_withdraw",
    "response_form_errors",
    "response_record",
    "sae_report_record",
    "transplant_errors",
    "transplant_record",
    "treatment_sign",
    "treatment_signature_break",
]
