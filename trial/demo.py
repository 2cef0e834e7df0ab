"""Demo data for the trial app: protocol v1.0 with its criteria, genes, three sites, one login per
role, and a screening log of a few dozen patients at every step, all written through the services.

Idempotent: what exists is left alone, so running it twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db import transaction

from trial.audit import record_save
from trial.models import (
    CriterionKind,
    EligibilityCriterion,
    Membership,
    MutationGene,
    Patient,
    ProtocolVersion,
    Role,
    ScreenFailureReason,
    Site,
    User,
)
from trial.services import screening

DEMO_PASSWORD = "dexaml-demo-2026"

SITES = [("PAR", "Paris Saint-Louis"), ("LYO", "Lyon Sud"), ("LIL", "Lille")]

# Inclusion as registered; exclusion as typical examples the sponsor may still adapt (docs/protocol.md).
CRITERIA = [
    ("I1", CriterionKind.INCLUSION, "Age 18 or older.", False),
    ("I2", CriterionKind.INCLUSION, "AML by WHO classification.", False),
    (
        "I3",
        CriterionKind.INCLUSION,
        "First relapse (90 days to 24 months after a first CR/CRi) or refractory disease, "
        "with at least 5% bone-marrow blasts or at least 1% peripheral-blood blasts.",
        False,
    ),
    (
        "I4",
        CriterionKind.INCLUSION,
        "Written informed consent, dated and with the form version, before any study procedure.",
        False,
    ),
    ("E1", CriterionKind.EXCLUSION, "Acute promyelocytic leukaemia.", True),
    (
        "E2",
        CriterionKind.EXCLUSION,
        "Contraindication to corticosteroids (uncontrolled diabetes, active peptic ulcer, "
        "uncontrolled infection).",
        True,
    ),
    ("E3", CriterionKind.EXCLUSION, "Pregnancy or breastfeeding.", True),
    ("E4", CriterionKind.EXCLUSION, "ECOG performance status above the protocol's limit.", True),
]

GENES = [
    ("NPM1", "Nucleophosmin 1"),
    ("FLT3-ITD", "FLT3 internal tandem duplication"),
    ("RUNX1", "RUNX family transcription factor 1"),
    ("TP53", "Tumour protein p53"),
    ("IDH1", "Isocitrate dehydrogenase 1"),
    ("IDH2", "Isocitrate dehydrogenase 2"),
]

# username, first name, last name, role, site code (None: trial-wide)
USERS = [
    ("coordinator", "Claire", "Martin", Role.SITE_COORDINATOR, "PAR"),
    ("investigator", "Paul", "Bernard", Role.INVESTIGATOR, "PAR"),
    ("coordinator.lyo", "Léa", "Dubois", Role.SITE_COORDINATOR, "LYO"),
    ("investigator.lyo", "Hugo", "Moreau", Role.INVESTIGATOR, "LYO"),
    ("coordinator.lil", "Emma", "Lefebvre", Role.SITE_COORDINATOR, "LIL"),
    ("investigator.lil", "Louis", "Girard", Role.INVESTIGATOR, "LIL"),
    ("monitor", "Inès", "Roux", Role.MONITOR, "PAR"),
    ("datamanager", "Jules", "Fournier", Role.DATA_MANAGER, None),
    ("statistician", "Chloé", "Lambert", Role.STATISTICIAN, None),
    ("sponsor", "Antoine", "Bonnet", Role.SPONSOR_ADMIN, None),
]

# Where each demo patient stops, per site (most go all the way to enrolment).
PLANS = {
    "PAR": ["enrolled"] * 7 + ["failed", "failed", "screened", "consented", "baseline", "answered"],
    "LYO": ["enrolled"] * 6 + ["failed", "failed", "confirmed", "baseline"],
    "LIL": ["enrolled"] * 5 + ["failed", "answered", "consented"],
}
FAILURES = [
    (ScreenFailureReason.EXCLUSION_MET, "Acute promyelocytic leukaemia on review (E1)."),
    (ScreenFailureReason.INCLUSION_NOT_MET, "Marrow blasts 3%, blood blasts 0% (I3)."),
    (ScreenFailureReason.CONSENT_REFUSED, ""),
    (ScreenFailureReason.OTHER, "Moved to another region before enrolment."),
    (ScreenFailureReason.DIED, "Septic shock during screening."),
]


def demo_email(username: str) -> str:
    """The demo's addresses: the result and SAE e-mails really go out (to the console)."""
    return f"{username}@demo.dexaml.example"


def _admin() -> User:
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        admin = User.objects.create_superuser("admin", "admin@dexaml.invalid", DEMO_PASSWORD)
    return admin


def _config(by: User) -> None:
    version = ProtocolVersion.objects.filter(number="1.0").first()
    if version is None:
        version = ProtocolVersion(
            number="1.0", effective_date=dt.date(2019, 1, 1), description="Initial protocol."
        )
        record_save(instance=version, by=by)
    for position, (code, kind, text, editable) in enumerate(CRITERIA):
        if not EligibilityCriterion.objects.filter(protocol_version=version, code=code).exists():
            criterion = EligibilityCriterion(
                protocol_version=version,
                code=code,
                kind=kind,
                text=text,
                position=position,
                editable=editable,
            )
            record_save(instance=criterion, by=by)
    for position, (code, name) in enumerate(GENES):
        if not MutationGene.objects.filter(code=code).exists():
            record_save(instance=MutationGene(code=code, name=name, position=position), by=by)


def _sites_and_users(by: User) -> dict[str, dict[str, str]]:
    sites = {}
    for code, name in SITES:
        site = Site.objects.filter(code=code).first()
        if site is None:
            site = Site(code=code, name=name)
            record_save(instance=site, by=by)
        sites[code] = site
    logins = {"admin": {"role": "Superuser (admin site)", "sites": "All sites"}}
    for username, first, last, role, site_code in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, first_name=first, last_name=last)
            user.email = demo_email(username)
            user.set_password(DEMO_PASSWORD)
            record_save(instance=user, by=by)
            site = sites[site_code] if site_code else None
            record_save(instance=Membership(user=user, role=role, site=site), by=by)
        elif not user.email:  # a demo database seeded before the users had addresses
            user.email = demo_email(username)
            record_save(instance=user, by=by, reason="Demo address for the trial's e-mails")
        logins[username] = {"role": str(role.label), "sites": site_code or "All sites"}
    return {name: {**row, "password": DEMO_PASSWORD} for name, row in logins.items()}


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def _baseline(rng: random.Random, assessed: dt.date) -> dict[str, Any]:
    """Dates that fit the protocol's definitions of first relapse or refractory disease."""
    regimen = rng.choice(["IC", "IC", "AZA"])
    blasts = Decimal(rng.randint(8, 70))
    common = {
        "assessment_date": assessed,
        "ecog": rng.choice([0, 1, 1, 2]),
        "wbc": Decimal(rng.randint(10, 450)) / 10,
        "blood_blast_pct": Decimal(rng.randint(0, 40)),
        "marrow_blast_pct": blasts,
        "cytogenetic_risk": rng.choice(["favourable", "intermediate", "intermediate", "adverse"]),
        "mrd_pct": None,
        "planned_regimen": regimen,
    }
    if rng.random() < 0.6:
        relapse = assessed - dt.timedelta(days=rng.randint(3, 20))
        cr = relapse - dt.timedelta(days=rng.randint(120, 600))
        induction = cr - dt.timedelta(days=rng.randint(28, 45))
        return {
            **common,
            "disease_status": "first_relapse",
            "diagnosis_date": induction - dt.timedelta(days=rng.randint(3, 10)),
            "induction_start_date": induction,
            "prior_induction_cycles": rng.choice([1, 1, 2]),
            "first_cr_date": cr,
            "relapse_date": relapse,
        }
    induction = assessed - dt.timedelta(days=rng.randint(35, 70))
    return {
        **common,
        "disease_status": "refractory",
        "diagnosis_date": induction - dt.timedelta(days=rng.randint(3, 10)),
        "induction_start_date": induction,
        "prior_induction_cycles": rng.choice([1, 2]),
        "first_cr_date": None,
        "relapse_date": None,
    }


STAGES = ["screened", "consented", "baseline", "answered", "confirmed", "enrolled"]


def _patient_seed(
    *, site: Site, plan: str, screened: dt.date, rng: random.Random, team: tuple[User, User]
) -> None:
    """Take one patient through the services as far as its plan says."""
    coordinator, investigator = team
    patient = screening.patient_screen(
        site=site,
        screening_date=screened,
        sex=rng.choice("FM"),
        age_at_screening=rng.randint(24, 79),
        by=coordinator,
        today=screened,
    )
    if plan == "failed":
        reason, detail = FAILURES[rng.randrange(len(FAILURES))]
        screening.patient_screen_fail(
            patient=patient, reason=reason, reason_detail=detail, by=coordinator
        )
        return
    stage = STAGES.index(plan)
    consented = screened + dt.timedelta(days=1)
    if stage >= 1:
        screening.consent_record(
            patient=patient,
            consent_date=consented,
            form_version="ICF v2.1",
            obtained_by=investigator,
            by=coordinator,
            today=consented,
        )
    if stage >= 2:
        assessed = consented + dt.timedelta(days=1)
        genes = [code for code, _ in GENES]
        mutations = {g: rng.choice(["mutated", "not_mutated", "not_mutated"]) for g in genes}
        screening.baseline_record(
            patient=patient,
            data=_baseline(rng, assessed),
            mutations=mutations,
            by=coordinator,
            today=assessed,
        )
    if stage >= 3:
        answers = {code: kind == CriterionKind.INCLUSION for code, kind, _, _ in CRITERIA}
        screening.eligibility_record(patient=patient, answers=answers, by=coordinator)
    if stage >= 4:
        confirmed = _at(screened + dt.timedelta(days=3), 9)
        screening.patient_eligibility_confirm(patient=patient, by=investigator, now=confirmed)
    if stage >= 5:
        enrolled = _at(screened + dt.timedelta(days=3), 11)
        screening.patient_enrol(patient=patient, by=coordinator, now=enrolled)


def _patients(*, today: dt.date) -> None:
    rng = random.Random(20190101)  # a fixed seed: the same demo every time
    for code, plans in PLANS.items():
        site = Site.objects.get(code=code)
        suffix = "" if code == "PAR" else f".{code.lower()}"
        team = (
            User.objects.get(username=f"coordinator{suffix}"),
            User.objects.get(username=f"investigator{suffix}"),
        )
        in_progress = [p for p in plans if p not in ("enrolled", "failed")]
        done = [p for p in plans if p in ("enrolled", "failed")]
        # Closed cases spread over the past two years; cases still in screening are recent.
        for i, plan in enumerate(done):
            screened = today - dt.timedelta(days=730 - i * (700 // len(done)) - rng.randint(0, 20))
            _patient_seed(site=site, plan=plan, screened=screened, rng=rng, team=team)
        for i, plan in enumerate(in_progress):
            screened = today - dt.timedelta(days=12 - 2 * i)
            _patient_seed(site=site, plan=plan, screened=screened, rng=rng, team=team)


@transaction.atomic
def demo_seed_trial(*, today: dt.date) -> dict[str, dict[str, str]]:
    """Create the trial's demo data unless it exists; return the demo logins by user name."""
    admin = _admin()
    _config(admin)
    logins = _sites_and_users(admin)
    if not Patient.objects.filter(site__code__in=PLANS).exists():
        _patients(today=today)
    return logins
