"""Shared factories and builders of patients at each stage of the trial."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from trial.models import (
    CriterionKind,
    EligibilityCriterion,
    Membership,
    MutationGene,
    Patient,
    ProtocolVersion,
    Role,
    Site,
    User,
)
from trial.services import screening

TODAY = dt.date(2026, 11, 2)
NOW = dt.datetime(2026, 11, 2, 10, 0, tzinfo=dt.UTC)


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"S{n:02d}")
    name = factory.LazyAttribute(lambda o: f"Hospital {o.code}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")


def user_with_role(role: Role, site: Site | None = None, username: str | None = None) -> User:
    """A user holding one role, at a site or trial-wide (site None)."""
    user = UserFactory(username=username) if username else UserFactory()
    user.save()
    Membership.objects.create(user=user, role=role, site=site)
    return user


def protocol_with_criteria(
    number: str = "1.0", effective: dt.date = dt.date(2019, 1, 1)
) -> ProtocolVersion:
    version, _ = ProtocolVersion.objects.get_or_create(
        number=number, defaults={"effective_date": effective}
    )
    for position, (code, kind, text) in enumerate(
        [
            ("I1", CriterionKind.INCLUSION, "Age 18 or older"),
            ("I2", CriterionKind.INCLUSION, "AML by WHO classification"),
            ("I3", CriterionKind.INCLUSION, "First relapse or refractory AML with enough blasts"),
            ("I4", CriterionKind.INCLUSION, "Written informed consent"),
            ("E1", CriterionKind.EXCLUSION, "Acute promyelocytic leukaemia"),
            ("E2", CriterionKind.EXCLUSION, "Contraindication to corticosteroids"),
        ]
    ):
        EligibilityCriterion.objects.get_or_create(
            protocol_version=version,
            code=code,
            defaults={"kind": kind, "text": text, "position": position},
        )
    for position, code in enumerate(["NPM1", "FLT3-ITD", "RUNX1", "TP53"]):
        MutationGene.objects.get_or_create(code=code, defaults={"name": code, "position": position})
    return version


ALL_MET = {"I1": True, "I2": True, "I3": True, "I4": True, "E1": False, "E2": False}


def baseline_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "assessment_date": dt.date(2026, 10, 20),
        "disease_status": "first_relapse",
        "diagnosis_date": dt.date(2025, 6, 1),
        "induction_start_date": dt.date(2025, 6, 5),
        "prior_induction_cycles": 1,
        "first_cr_date": dt.date(2025, 7, 15),
        "relapse_date": dt.date(2026, 10, 1),
        "ecog": 1,
        "wbc": Decimal("4.20"),
        "blood_blast_pct": Decimal("3.0"),
        "marrow_blast_pct": Decimal("22.0"),
        "cytogenetic_risk": "intermediate",
        "mrd_pct": None,
        "planned_regimen": "IC",
    }
    data.update(overrides)
    return data


def screened_patient(site: Site, coordinator: User, **kwargs: object) -> Patient:
    protocol_with_criteria()
    return screening.patient_screen(
        site=site,
        screening_date=kwargs.pop("screening_date", dt.date(2026, 10, 15)),
        sex=kwargs.pop("sex", "F"),
        age_at_screening=kwargs.pop("age_at_screening", 64),
        by=coordinator,
        today=TODAY,
    )


def eligible_patient(
    site: Site, coordinator: User, investigator: User, *, regimen: str = "IC", **baseline: object
) -> Patient:
    """A patient with consent, baseline and all criteria met, confirmed by the investigator."""
    patient = screened_patient(site, coordinator)
    screening.consent_record(
        patient=patient,
        consent_date=dt.date(2026, 10, 16),
        form_version="ICF v2.1",
        obtained_by=investigator,
        by=coordinator,
        today=TODAY,
    )
    screening.baseline_record(
        patient=patient,
        data=baseline_data(planned_regimen=regimen, **baseline),
        mutations={"NPM1": "mutated", "FLT3-ITD": "not_mutated"},
        by=coordinator,
        today=TODAY,
    )
    screening.eligibility_record(patient=patient, answers=dict(ALL_MET), by=coordinator)
    return screening.patient_eligibility_confirm(
        patient=patient, by=investigator, now=timezone.now()
    )


def enrolled_patient(
    site: Site, coordinator: User, investigator: User, **kwargs: object
) -> Patient:
    patient = eligible_patient(site, coordinator, investigator, **kwargs)
    return screening.patient_enrol(patient=patient, by=coordinator, now=NOW)


def randomized_patient(
    site: Site,
    coordinator: User,
    investigator: User,
    *,
    arm: str = "DEX",
    regimen: str = "IC",
    randomized_at: dt.datetime = NOW,
) -> Patient:
    """An enrolled patient with an allocation, for tests of what comes after randomisation."""
    from randomization.models import Randomization

    patient = enrolled_patient(site, coordinator, investigator, regimen=regimen)
    Randomization.objects.create(
        patient=patient,
        arm=arm,
        randomization_number=f"R-{patient.subject_id}",
        randomized_at=randomized_at,
        randomized_by=coordinator,
        stratum_regimen=regimen,
        stratum_disease_status=patient.baseline.disease_status,
    )
    return patient
