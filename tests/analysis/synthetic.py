"""Seeded synthetic trials: the facts `derive.py` works on, shaped to stress the estimators.

Each scenario is a `Scenario` of a few numbers; `synthetic_trial` turns it into patients with
randomisation dates, strata, baseline (age, cytogenetic risk, mutations), responses, relapses,
transplants, deaths and last contacts, from one seeded generator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np

from analysis.derive import PatientFacts

START = dt.date(2024, 1, 1)
GENES = ("NPM1", "FLT3-ITD", "RUNX1", "TP53")
RISKS = ("Favourable", "Intermediate", "Adverse", "Not known")


@dataclass(frozen=True)
class Scenario:
    name: str
    seed: int
    n: int
    cutoff: dt.date = dt.date(2027, 6, 30)
    tie_days: int = 1  # event dates fall on multiples of this many days: ties
    yearly_death_rate: float = 0.6
    yearly_dropout: float = 0.05
    dex_hazard_ratio: float = 0.75
    # probabilities of the strata (regimen IC, disease status first relapse): skewed → tiny strata
    p_ic: float = 0.6
    p_first_relapse: float = 0.55
    flat_control_arm: bool = False  # the control arm's curve is exactly 0.5 over a stretch


SCENARIOS = [
    Scenario("ties", seed=11, n=120, tie_days=30),
    Scenario("heavy censoring", seed=12, n=150, cutoff=dt.date(2025, 3, 1), yearly_dropout=0.6),
    Scenario("flat at one half", seed=13, n=60, flat_control_arm=True),
    Scenario("strata with few patients", seed=14, n=80, p_ic=0.93, p_first_relapse=0.9),
]


def _day(start: dt.date, days: float, tie_days: int) -> dt.date:
    return start + dt.timedelta(days=int(np.ceil(max(days, 1) / tie_days) * tie_days))


def _patient(pid: int, s: Scenario, rng: np.random.Generator) -> PatientFacts:
    arm = "DEX" if pid % 2 else "CTRL"
    randomized_on = START + dt.timedelta(days=int(rng.integers(0, 540)))
    rate = s.yearly_death_rate * (s.dex_hazard_ratio if arm == "DEX" else 1.0) / 365.25
    death_on = _day(randomized_on, rng.exponential(1 / rate), s.tie_days)
    lost_on = _day(randomized_on, rng.exponential(365.25 / s.yearly_dropout), s.tie_days)
    responses: tuple[tuple[dt.date, str], ...] = ()
    relapse_on: dt.date | None = None
    transplants: tuple[dt.date, ...] = ()
    last = min(death_on, lost_on, s.cutoff + dt.timedelta(days=60))
    cr_on = randomized_on + dt.timedelta(days=int(rng.integers(28, 70)))
    if cr_on < last and rng.random() < (0.55 if arm == "DEX" else 0.45):
        responses = ((cr_on, "CR" if rng.random() < 0.7 else "CRi"),)
        relapse_day = _day(cr_on, rng.exponential(300), s.tie_days)
        relapse_on = relapse_day if relapse_day < last else None
        transplant_on = cr_on + dt.timedelta(days=int(rng.integers(40, 120)))
        transplants = (transplant_on,) if transplant_on < last and rng.random() < 0.3 else ()
    age = int(np.clip(rng.normal(61, 11), 18, 90))
    return PatientFacts(
        patient_id=pid,
        usubjid=f"DEXAML-03-{pid:04d}",
        siteid=f"S{pid % 5}",
        arm=arm,
        strat_regimen="IC" if rng.random() < s.p_ic else "AZA",
        strat_disease_status="first_relapse" if rng.random() < s.p_first_relapse else "refractory",
        randomized_on=randomized_on,
        last_known_alive=last,
        death_date=death_on if death_on <= lost_on else None,
        responses=responses,
        relapse_date=relapse_on,
        relapse_type="BM" if relapse_on else "",
        transplant_dates=transplants,
        end_of_treatment_date=randomized_on + dt.timedelta(days=75),
        sex="F" if rng.random() < 0.45 else "M",
        age=age,
        cytogenetic_risk=str(rng.choice(RISKS, p=[0.15, 0.45, 0.32, 0.08])),
        mutations=tuple(
            (gene, str(rng.choice(["Mutated", "Not mutated", "Not tested"], p=[0.3, 0.6, 0.1])))
            for gene in GENES
        ),
    )


def _flatten_control(patients: list[PatientFacts]) -> list[PatientFacts]:
    """Ten control patients, all followed from the same day: 5 deaths leave S = 0.5 exactly
    from day 100 until the next death on day 160 (R: median 130)."""
    controls = [p for p in patients if p.arm == "CTRL"][:10]
    others = [p for p in patients if p.arm != "CTRL"]
    days = [20, 40, 60, 80, 100, 160, 200, 260, None, None]
    flat = []
    for p, day in zip(controls, days, strict=True):
        death = START + dt.timedelta(days=day) if day else None
        alive = death or START + dt.timedelta(days=400)
        flat.append(
            replace(
                p,
                randomized_on=START,
                death_date=death,
                last_known_alive=alive,
                transplant_dates=(),
            )
        )
    return others + flat


def synthetic_trial(s: Scenario) -> list[PatientFacts]:
    rng = np.random.default_rng(s.seed)
    patients = [_patient(pid, s, rng) for pid in range(1, s.n + 1)]
    return _flatten_control(patients) if s.flat_control_arm else patients
