"""Writes of the treatment period, split by subdomain."""

from treatment.services.common import treatment_signature_break
from treatment.services.cycles import DrugDose, cycle_record
from treatment.services.outcomes import end_of_treatment_record, response_record, transplant_record
from treatment.services.relapse import RelapseFinding, relapse_record, relapse_withdraw
from treatment.services.safety import adverse_event_record, sae_report_record
from treatment.services.signing import treatment_sign

__all__ = [
    "DrugDose",
    "RelapseFinding",
    "adverse_event_record",
    "cycle_record",
    "end_of_treatment_record",
    "relapse_record",
    "relapse_withdraw",
    "response_record",
    "sae_report_record",
    "transplant_record",
    "treatment_sign",
    "treatment_signature_break",
]
