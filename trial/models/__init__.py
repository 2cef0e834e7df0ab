from trial.models.base import AuditedModel, ClinicalRecord
from trial.models.screening import Baseline, BaselineMutation, Consent, CriterionKind, CytogeneticRisk, DiseaseStatus, EligibilityAnswer, EligibilityCriterion, MutationGene, MutationResult, Patient, PatientStatus, ProtocolVersion, Regimen, ScreenFailureReason, Sex
from trial.models.sites import Membership, Role, Site, User
from trial.models.vital import Death, DeathCause, LossToFollowUp, Withdrawal

__all__ = [
    "Withdrawal",
    "LossToFollowUp",
    "DeathCause",
    "Death",
    "AuditedModel",
    "Baseline",
    "BaselineMutation",
    "ClinicalRecord",
    "Consent",
    "CriterionKind",
    "CytogeneticRisk",
    "DiseaseStatus",
    "EligibilityAnswer",
    "EligibilityCriterion",
    "Membership",
    "MutationGene",
    "MutationResult",
    "Patient",
    "PatientStatus",
    "ProtocolVersion",
    "Regimen",
    "Role",
    "ScreenFailureReason",
    "Sex",
    "Site",
    "User",
]
