"""The exports make millions of objects at 100,000 patients with the cycle collector paused."""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from analysis import datasets, formats, gather, odm
from analysis.datasets import survival_frames
from analysis.formats import datasets_write
from analysis.gather import trial_facts_gather
from analysis.odm import odm_write
from tests.factories import randomized_patient
from trial.models import Site, User

CUTOFF = dt.date(2030, 1, 1)


def spied(calls: list[bool], function: Callable[..., Any]) -> Callable[..., Any]:
    """`function`, noting whether the collector runs each time it is called."""

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append(gc.isenabled())
        return function(*args, **kwargs)

    return spy


def test_gathering_deriving_and_writing_pause_the_collector(
    site_a: Site,
    coordinator: User,
    investigator: User,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    randomized_patient(site_a, coordinator, investigator)
    calls: list[bool] = []
    monkeypatch.setattr(gather, "_randomizations", spied(calls, gather._randomizations))
    monkeypatch.setattr(datasets, "_own_columns", spied(calls, datasets._own_columns))
    monkeypatch.setitem(formats.WRITERS, "csv", spied(calls, formats.WRITERS["csv"]))
    monkeypatch.setattr(odm, "_subjects", spied(calls, odm._subjects))

    facts = trial_facts_gather(cutoff=CUTOFF)
    frames = survival_frames(facts.patients, CUTOFF)
    datasets_write(frames=frames, out_dir=tmp_path, formats=["csv"], cutoff=CUTOFF)
    odm_write(
        out_path=tmp_path / "odm.xml",
        cutoff=CUTOFF,
        with_audit=False,
        created_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    )

    assert calls == [False, False, False, False, False]  # gather, derive, 2 datasets, ODM
    assert gc.isenabled()
