"""SAS transport, Stata and SPSS files laid out by numpy are the bytes pyreadstat writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from analysis import formats, stat_files
from analysis.datasets import survival_frames
from analysis.dictionary import DATASETS
from tests.analysis.test_derive import CUTOFF
from tests.analysis.test_survival_columns import edgy_trial

FORMATS = ["xpt", "dta", "sav"]

_PYREADSTAT = {
    "xpt": lambda frame, path, labels: pyreadstat.write_xport(
        frame, path, file_label="A file", table_name="T", file_format_version=5
    ),
    "dta": lambda frame, path, labels: pyreadstat.write_dta(
        frame, path, file_label="A file", variable_value_labels=labels, version=15
    ),
    "sav": lambda frame, path, labels: pyreadstat.write_sav(
        frame, path, file_label="A file", variable_value_labels=labels
    ),
}


class _Spy:
    """pyreadstat's writer, keeping the number of rows of each frame it was handed."""

    def __init__(self, fmt: str, labels: dict[str, dict[float, str]]) -> None:
        self.fmt, self.labels = fmt, labels
        self.rows: list[int] = []

    def __call__(self, frame: pd.DataFrame, path: str) -> None:
        self.rows.append(len(frame))
        _PYREADSTAT[self.fmt](frame, path, self.labels)


def _both(
    frame: pd.DataFrame, fmt: str, tmp_path: Path, labels: dict[str, dict[float, str]] | None = None
) -> tuple[bytes, bytes, list[int]]:
    """The file laid out by numpy, pyreadstat's own, and the rows pyreadstat was handed for the
    first. The clock reading in the headers is pinned, as the export does."""
    labels = labels or {}
    spy = _Spy(fmt, labels)
    stat_files.write(frame, tmp_path / f"numpy.{fmt}", fmt, labels, spy)
    _PYREADSTAT[fmt](frame, str(tmp_path / f"pyreadstat.{fmt}"), labels)
    for name in ("numpy", "pyreadstat"):
        formats._pin_timestamp(tmp_path / f"{name}.{fmt}", fmt, CUTOFF)
    return (
        (tmp_path / f"numpy.{fmt}").read_bytes(),
        (tmp_path / f"pyreadstat.{fmt}").read_bytes(),
        spy.rows,
    )


def _awkward_numbers(n: int, seed: int) -> np.ndarray:
    """Doubles of every exponent: random bit patterns (minus infinities and NaNs), with the
    edges of the IBM exponent and of Stata's doubles, zeros of both signs, subnormals, NaN."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2**64, size=n, dtype=np.uint64).view(np.float64)
    bits = bits[np.isfinite(bits) & (np.abs(bits) < 8e307)]
    edges = [0.0, -0.0, 5e-324, -2.2e-308, 1.0, -1.0, 0.1, 1 / 3, 16.0**-65, 16.0**-64, 16.0**62]
    edges += [16.0**63 * 0.99, 16.0**63, 7.2e75, 1e300, -1e300, 8.98e307, np.nan, 1801.0, 59.1704]
    return np.concatenate([np.array(edges), bits, rng.normal(size=n) * 1000])


@pytest.mark.parametrize("fmt", FORMATS)
class TestTheBytesOfPyreadstat:
    def test_the_datasets_of_a_trial(self, fmt: str, tmp_path: Path, monkeypatch) -> None:
        """The export's own writers, as the export calls them: their files are the bytes
        pyreadstat writes for the whole frame, though pyreadstat was only handed one row."""
        frames = survival_frames(edgy_trial(500, seed=7), CUTOFF)
        handed: list[int] = []
        write = stat_files.write

        def spied(frame: pd.DataFrame, path: Path, fmt: str, labels: Any, write_whole: Any) -> None:
            def counted(frame: pd.DataFrame, path: str) -> None:
                handed.append(len(frame))
                write_whole(frame, path)

            write(frame, path, fmt, labels, counted)

        def whole(frame: pd.DataFrame, path: Path, fmt: str, labels: Any, write_whole: Any) -> None:
            write_whole(frame, str(path))

        for name, frame in frames.items():
            monkeypatch.setattr(stat_files, "write", spied)
            formats.WRITERS[fmt](frame, tmp_path / f"numpy-{name}.{fmt}", name, DATASETS[name])
            monkeypatch.setattr(stat_files, "write", whole)
            formats.WRITERS[fmt](frame, tmp_path / f"whole-{name}.{fmt}", name, DATASETS[name])
            for kind in ("numpy", "whole"):
                formats._pin_timestamp(tmp_path / f"{kind}-{name}.{fmt}", fmt, CUTOFF)
            numpy_bytes = (tmp_path / f"numpy-{name}.{fmt}").read_bytes()
            assert numpy_bytes == (tmp_path / f"whole-{name}.{fmt}").read_bytes(), name
            assert len(frame) > 400 and handed[-1] == 1, name

    def test_numbers_of_every_exponent(self, fmt: str, tmp_path: Path) -> None:
        numbers = _awkward_numbers(3_000, seed=3)
        frame = pd.DataFrame({"X": numbers, "Y": numbers[::-1].copy(), "Z": -numbers})
        mine, theirs, handed = _both(frame, fmt, tmp_path)
        assert handed == [1]
        assert mine == theirs

    def test_texts_missing_empty_accented_and_of_one_width(self, fmt: str, tmp_path) -> None:
        rng = np.random.default_rng(5)
        n = 997  # rows of 62 bytes do not fill SAS transport's records of 80
        words = np.array(["CR", "", "Évreux – Hôpital Nord", None, "x" * 30, np.nan], dtype=object)
        frame = pd.DataFrame(
            {
                "ID": [f"S{k:04d}" for k in range(n)],
                "WORD": words[rng.integers(0, len(words), size=n)],
                "NONE": np.array([None] * n, dtype=object),
                "EMPTY": np.array([""] * n, dtype=object),
                "NUM": rng.normal(size=n),
                "LONG": np.array(["y" * 9] * n, dtype=object),
            }
        )
        mine, theirs, handed = _both(frame, fmt, tmp_path)
        assert handed == [1]
        assert mine == theirs

    def test_rows_laid_out_a_block_at_a_time(self, fmt: str, tmp_path, monkeypatch) -> None:
        monkeypatch.setattr(stat_files, "_ROWS", 7)
        frame = pd.DataFrame(
            {"A": np.arange(50.0), "B": [f"row {k}" for k in range(50)], "C": np.nan}
        )
        mine, theirs, handed = _both(frame, fmt, tmp_path)
        assert handed == [1]
        assert mine == theirs

    def test_rows_that_fill_whole_records(self, fmt: str, tmp_path: Path) -> None:
        frame = pd.DataFrame({"A": np.arange(20.0), "B": ["t" * 32] * 20})  # 40 bytes a row
        mine, theirs, handed = _both(frame, fmt, tmp_path)
        assert handed == [1]
        assert mine == theirs

    def test_one_row(self, fmt: str, tmp_path: Path) -> None:
        mine, theirs, handed = _both(pd.DataFrame({"A": [2.5], "B": ["b"]}), fmt, tmp_path)
        assert handed == [1]
        assert mine == theirs


class TestValueLabels:
    @pytest.mark.parametrize("fmt", ["dta", "sav"])
    def test_labels_of_a_number(self, fmt: str, tmp_path: Path) -> None:
        frame = pd.DataFrame({"CNSR": [0.0, 1.0, np.nan, 5.0] * 30, "T": ["a", "bb", "", "c"] * 30})
        labels = {"CNSR": {0.0: "Event", 1.0: "Censored", 5.0: "Censored at transplant"}}
        mine, theirs, handed = _both(frame, fmt, tmp_path, labels)
        assert handed == [1]
        assert mine == theirs

    def test_labels_of_a_text_count_in_its_width(self, tmp_path: Path) -> None:
        frame = pd.DataFrame({"T": ["a", "b", None] * 40})
        labels: dict[str, Any] = {"T": {"a-long-code": "A", "b": "B"}}
        mine, theirs, handed = _both(frame, "sav", tmp_path, labels)
        assert handed == [1]
        assert mine == theirs


@pytest.mark.parametrize("fmt", FORMATS)
class TestWhatPyreadstatWritesWhole:
    """A frame this module does not lay out is handed to pyreadstat whole: the same bytes, or
    the same error."""

    @pytest.mark.parametrize(
        "column",
        [
            pytest.param(np.array([1.0, np.inf, 2.0]), id="an infinite number"),
            pytest.param(np.array([1, 2, 3], dtype=np.int64), id="integers"),
            pytest.param(np.array(["a", 1, None], dtype=object), id="text and a number"),
        ],
    )
    def test_columns_it_does_not_lay_out(self, fmt: str, column, tmp_path: Path) -> None:
        frame = pd.DataFrame({"A": column, "B": ["x", "y", "z"]})
        try:
            mine, theirs, handed = _both(frame, fmt, tmp_path)
        except pyreadstat.ReadstatError:  # refused by pyreadstat, whole or not
            with pytest.raises(pyreadstat.ReadstatError):
                _PYREADSTAT[fmt](frame, str(tmp_path / "again"), {})
            return
        assert handed == [3]
        assert mine == theirs

    def test_no_rows(self, fmt: str, tmp_path: Path) -> None:
        frame = pd.DataFrame({"A": np.array([], dtype=float), "B": np.array([], dtype=object)})
        mine, theirs, handed = _both(frame, fmt, tmp_path)
        assert handed == [0]
        assert mine == theirs

    def test_a_text_too_long_for_a_plain_string(self, fmt: str, tmp_path: Path) -> None:
        longest = {"xpt": 200, "dta": 2044, "sav": 255}[fmt]
        frame = pd.DataFrame({"A": [1.0, 2.0], "B": ["b" * (longest + 1), "c"]})
        spy = _Spy(fmt, {})
        try:
            stat_files.write(frame, tmp_path / f"numpy.{fmt}", fmt, {}, spy)
        except pyreadstat.PyreadstatError:
            assert fmt == "xpt"  # SAS transport version 5 holds texts of 200 bytes at most
        assert spy.rows == [2]
