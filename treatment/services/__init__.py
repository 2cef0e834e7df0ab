"""Writes of the treatment period, split by subdomain."""

from trial.services.treatment.common import treatment_signature_break
from trial.services.treatment.cycles import DrugDose, cycle_record
from trial.services.treatment.outcomes import (
    end_of_treatment_record,
    response_record,
    transplant_record,
)
from trial.services.treatment.safety import adverse_event_record, sae_report_record
from trial.services.treatment.signing import treatment_sign

__all__ = [
    "DrugDose",
    "adverse_event_record",
    "cycle_record",
    "end_of_treatment_record",
    "response_record",
    "sae_report_record",
    "transplant_record",
    "treatment_sign",
    "treatment_signature_break",
]
