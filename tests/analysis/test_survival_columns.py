"""The column-wise dataset builder gives the frames and files of the row-wise one it replaced.

`tests/analysis/survival_rows.py` is the builder as it was (one dict per ADTTE row); both run
on trials shaped to reach every branch of `derive.py` (deaths before, on and after the cut-off,
unknown or late last contacts, responses other than CR/CRi, remissions after the cut-off,
relapses before the remission or on the day of death, transplants before randomisation, no
age, partial mutations) and on the synthetic trials of the R comparison. The frames must be
equal with their dtypes, and the files each writer makes of them equal byte for byte.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.datasets import adtte_frame, survival_frames, wide_frame
from analysis.derive import PatientFacts
from analysis.formats import FORMATS, datasets_write
from tests.analysis import survival_rows
from tests.analysis.synthetic import SCENARIOS, synthetic_trial

CUTOFF = dt.date(2025, 6, 30)
START = dt.date(2023, 1, 1)
RESPONSES = ("CR", "CRi", "PR", "SD", "PD", "MLFS")
GENES = ("NPM1", "FLT3-ITD", "TP53", "RUNX1", "ASXL1")
RESULTS = ("Mutated", "Not mutated", "Not tested")


def _maybe_day(rng: np.random.Generator, base: dt.date, low: int, high: int) -> dt.date | None:
    """A day around `base` (before it too), missing one time in three."""
    if rng.random() < 1 / 3:
        return None
    return base + dt.timedelta(days=int(rng.integers(low, high)))


def edgy_patient(pid: int, rng: np.random.Generator) -> PatientFacts:
    randomized_on = CUTOFF + dt.timedelta(days=int(rng.integers(-900, 20)))  # some after
    near = int(rng.integers(0, 40))  # same days for several dates now and then: ties
    death = _maybe_day(rng, randomized_on, near, near + 1) if rng.random() < 0.2 else None
    death = death or _maybe_day(rng, randomized_on, 0, 1000)
    responses = tuple(
        sorted(
            (
                randomized_on + dt.timedelta(days=int(rng.integers(-5, 900))),
                str(rng.choice(RESPONSES)),
            )
            for _ in range(int(rng.integers(0, 4)))
        )
    )
    relapse = _maybe_day(rng, randomized_on, -30, 1000)
    if relapse is not None and death is not None and rng.random() < 0.3:
        relapse = death  # a relapse on the day of death
    transplants = tuple(
        sorted(
            randomized_on + dt.timedelta(days=int(rng.integers(-40, 900)))
            for _ in range(int(rng.integers(0, 3)))
        )
    )
    return PatientFacts(
        patient_id=pid,
        usubjid=f"DEXAML-03-{pid:05d}",
        siteid=str(rng.choice(["A", "B", "C"])),
        arm=str(rng.choice(["DEX", "CTRL", "DEX", "CTRL", "XYZ"])),  # XYZ: no label, kept as code
        strat_regimen=str(rng.choice(["IC", "AZA"])),
        strat_disease_status=str(rng.choice(["first_relapse", "refractory"])),
        randomized_on=randomized_on,
        last_known_alive=_maybe_day(rng, randomized_on, -10, 1100),
        death_date=death,
        responses=responses,
        relapse_date=relapse,
        relapse_type=str(rng.choice(["", "BM", "BM+PB", "EM"])) if relapse else "",
        transplant_dates=transplants,
        end_of_treatment_date=_maybe_day(rng, randomized_on, 0, 400),
        sex=str(rng.choice(["F", "M", ""])),
        age=None if rng.random() < 0.1 else int(rng.integers(18, 90)),
        cytogenetic_risk=str(rng.choice(["", "Favourable", "Adverse", "Not known"])),
        mutations=tuple(sorted((g, str(rng.choice(RESULTS))) for g in GENES if rng.random() < 0.6)),
    )


def edgy_trial(n: int, seed: int) -> list[PatientFacts]:
    rng = np.random.default_rng(seed)
    return [edgy_patient(pid, rng) for pid in range(1, n + 1)]


TRIALS = {
    "edge cases": (edgy_trial(3000, seed=19), CUTOFF),
    "no patient": ([], CUTOFF),
    "none in remission": (
        [
            p
            for p in edgy_trial(200, seed=20)
            if not any(r in ("CR", "CRi") for _, r in p.responses)
        ],
        CUTOFF,
    ),
    **{s.name: (synthetic_trial(s), s.cutoff) for s in SCENARIOS},
}


@pytest.fixture(params=list(TRIALS), ids=list(TRIALS))
def trial(request: pytest.FixtureRequest) -> tuple[list[PatientFacts], dt.date]:
    return TRIALS[request.param]


def test_the_frames_equal_the_row_wise_ones(trial) -> None:
    patients, cutoff = trial

    frames = survival_frames(patients, cutoff)

    pd.testing.assert_frame_equal(frames["adtte"], survival_rows.adtte_frame(patients, cutoff))
    pd.testing.assert_frame_equal(frames["adsurv"], survival_rows.wide_frame(patients, cutoff))
    pd.testing.assert_frame_equal(adtte_frame(patients, cutoff), frames["adtte"])
    pd.testing.assert_frame_equal(wide_frame(patients, cutoff), frames["adsurv"])


def test_the_files_equal_those_of_the_row_wise_frames(trial, tmp_path: Path) -> None:
    patients, cutoff = trial
    before = {
        "adtte": survival_rows.adtte_frame(patients, cutoff),
        "adsurv": survival_rows.wide_frame(patients, cutoff),
    }

    new = datasets_write(
        frames=survival_frames(patients, cutoff),
        out_dir=tmp_path / "new",
        formats=list(FORMATS),
        cutoff=cutoff,
    )
    survival_rows.datasets_write(frames=before, out_dir=tmp_path / "old", cutoff=cutoff)

    for written in new:
        assert (tmp_path / "new" / written.name).read_bytes() == (
            tmp_path / "old" / written.name
        ).read_bytes(), written.name
    assert len(new) == 2 * len(FORMATS) + 1
