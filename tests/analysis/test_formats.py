"""The datasets survive a round trip through every format, with labels, byte for byte again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest

from analysis import formats
from analysis.datasets import survival_frames
from analysis.dictionary import DATASETS
from analysis.formats import FORMATS, datasets_write, manifest_checksum
from tests.analysis.test_derive import CUTOFF, patient
from tests.analysis.test_survival_columns import edgy_trial

READERS: dict[str, Any] = {
    "xpt": pyreadstat.read_xport,
    "dta": pyreadstat.read_dta,
    "sav": pyreadstat.read_sav,
}


@pytest.fixture
def frames() -> dict[str, pd.DataFrame]:
    patients = [
        patient(1, "DEX", death_date=dt.date(2024, 3, 1), last_known_alive=dt.date(2024, 3, 1)),
        patient(
            2,
            "CTRL",
            responses=((dt.date(2024, 2, 15), "CR"),),
            relapse_date=dt.date(2024, 6, 1),
            relapse_type="BM+PB",
            last_known_alive=dt.date(2025, 9, 1),
            sex="F",
            age=67,
        ),
        patient(3, "CTRL", randomized_on=dt.date(2025, 7, 1)),
    ]
    return survival_frames(patients, CUTOFF)


def _dates_as_objects(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for name in names:
        out[name] = [None if pd.isna(v) else pd.Timestamp(v).date() for v in out[name]]
    return out


def _normalised(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    dates = [v.name for v in DATASETS[name] if v.kind == "date"]
    return _dates_as_objects(frame, dates).astype(object).map(_none_if_missing)


def _none_if_missing(value: object) -> object:
    return None if not isinstance(value, str) and pd.isna(value) else value


class TestDatasets:
    def test_adtte_has_one_row_per_patient_and_parameter_at_the_cut_off(self, frames) -> None:
        adtte = frames["adtte"]

        assert list(zip(adtte.USUBJID, adtte.PARAMCD, adtte.AVAL, adtte.CNSR, strict=True)) == [
            ("DEXAML-03-001", "OS", 60.0, 0.0),
            ("DEXAML-03-001", "OSTC", 60.0, 0.0),
            ("DEXAML-03-001", "EFS", 0.0, 0.0),
            ("DEXAML-03-002", "OS", 546.0, 2.0),
            ("DEXAML-03-002", "OSTC", 546.0, 2.0),
            ("DEXAML-03-002", "EFS", 152.0, 0.0),
            ("DEXAML-03-002", "RFS", 107.0, 0.0),
        ]

    def test_every_row_carries_the_baseline_of_the_subgroup_analyses(self) -> None:
        p = patient(
            1,
            age=59,
            cytogenetic_risk="Adverse",
            mutations=(("NPM1", "Mutated"), ("FLT3-ITD", "Not tested")),
        )

        frames = survival_frames([p, patient(2, age=60)], CUTOFF)

        adtte = frames["adtte"].drop_duplicates("USUBJID")
        assert adtte[["AGEGR1", "CYTORISK", "NPM1", "FLT3ITD", "TP53"]].values.tolist() == [
            ["<60", "Adverse", "Mutated", "Not tested", ""],
            [">=60", "", "", "", ""],
        ]
        assert frames["adsurv"].AGEGR1.tolist() == ["<60", ">=60"]

    def test_every_label_fits_sas_transport(self) -> None:
        too_long = [v.name for vs in DATASETS.values() for v in vs if len(v.label) > 40]
        too_wide = [v.name for vs in DATASETS.values() for v in vs if len(v.name) > 8]

        assert (too_long, too_wide) == ([], [])

    def test_the_wide_file_has_one_row_per_patient_randomised_by_the_cut_off(self, frames):
        wide = frames["adsurv"].set_index("USUBJID")

        assert list(wide.index) == ["DEXAML-03-001", "DEXAML-03-002"]
        assert pd.isna(wide.loc["DEXAML-03-001", "RFSAVAL"])
        assert wide.loc["DEXAML-03-002", "CRFL"] == "Y"
        assert wide.loc["DEXAML-03-002", "ARM"] == "Salvage alone"

    def test_the_wide_file_carries_the_relapse_and_the_relapse_incidence_status(self, frames):
        wide = frames["adsurv"].set_index("USUBJID")

        relapsed = wide.loc["DEXAML-03-002"]
        assert (
            dt.date(2024, 6, 1),
            "BM+PB",
            1.0,
        ) == (relapsed.RLPSDT, relapsed.RLPSTYP, relapsed.CIRSTAT)
        assert pd.isna(wide.loc["DEXAML-03-001", "CIRSTAT"])
        assert wide.loc["DEXAML-03-001", "RLPSDT"] is None


class TestFormats:
    def test_every_format_reads_back_equal_to_the_source(self, frames, tmp_path: Path) -> None:
        datasets_write(frames=frames, out_dir=tmp_path, formats=list(FORMATS), cutoff=CUTOFF)

        for name, frame in frames.items():
            dates = [v.name for v in DATASETS[name] if v.kind == "date"]
            expected = _normalised(frame, name)
            csv = pd.read_csv(tmp_path / f"{name}.csv", keep_default_na=False, na_values=[""])
            csv[[v.name for v in DATASETS[name] if v.kind == "char"]] = csv[
                [v.name for v in DATASETS[name] if v.kind == "char"]
            ].fillna("")
            pd.testing.assert_frame_equal(_normalised(csv, name), expected, check_dtype=False)
            for fmt, read in READERS.items():
                back, meta = read(str(tmp_path / f"{name}.{fmt}"))
                pd.testing.assert_frame_equal(_normalised(back, name), expected, check_dtype=False)
                assert meta.column_labels == [v.label for v in DATASETS[name]]
            parquet = pd.read_parquet(tmp_path / f"{name}.parquet")
            assert _dates_as_objects(parquet, dates).equals(_dates_as_objects(frame, dates))

    def test_stata_and_spss_carry_the_censoring_value_labels(self, frames, tmp_path) -> None:
        datasets_write(frames=frames, out_dir=tmp_path, formats=["dta", "sav"], cutoff=CUTOFF)

        for fmt in ("dta", "sav"):
            _, meta = READERS[fmt](str(tmp_path / f"adtte.{fmt}"))
            labels = meta.variable_value_labels["CNSR"]
            assert labels[0] == "Event"
            assert labels[3] == "Death after the cut-off: censored at the cut-off"

    def test_parquet_keeps_labels_in_its_schema(self, frames, tmp_path: Path) -> None:
        datasets_write(frames=frames, out_dir=tmp_path, formats=["parquet"], cutoff=CUTOFF)

        field = pq.read_schema(tmp_path / "adtte.parquet").field("AVAL")

        assert field.metadata[b"label"] == b"Analysis value (days)"

    def test_writing_twice_gives_the_same_bytes(self, frames, tmp_path: Path) -> None:
        first = datasets_write(
            frames=frames, out_dir=tmp_path / "a", formats=list(FORMATS), cutoff=CUTOFF
        )
        second = datasets_write(
            frames=frames, out_dir=tmp_path / "b", formats=list(FORMATS), cutoff=CUTOFF
        )

        assert first == second
        assert manifest_checksum(first) == manifest_checksum(second)
        assert len(first) == 2 * len(FORMATS) + 1

    def test_the_data_dictionary_lists_every_variable_with_its_rule(self, frames, tmp_path):
        datasets_write(frames=frames, out_dir=tmp_path, formats=["csv"], cutoff=CUTOFF)

        dictionary = pd.read_csv(tmp_path / "data_dictionary.csv", keep_default_na=False)

        assert len(dictionary) == sum(len(v) for v in DATASETS.values())
        cnsr = dictionary[(dictionary.dataset == "adtte") & (dictionary.variable == "CNSR")]
        assert "0 = Event" in cnsr["values"].iloc[0]


class TestDatesAsNumbers:
    """SAS, Stata and SPSS files get their dates as numbers with a date format: the bytes
    pyreadstat writes when it converts each date cell itself."""

    @pytest.mark.parametrize("fmt", ["xpt", "dta", "sav"])
    def test_the_same_bytes_as_from_the_date_cells(self, fmt: str, tmp_path: Path, monkeypatch):
        frames = survival_frames(edgy_trial(500, seed=7), CUTOFF)
        assert frames["adsurv"]["RLPSDT"].isna().any() and frames["adsurv"]["RLPSDT"].notna().any()

        datasets_write(frames=frames, out_dir=tmp_path / "numbers", formats=[fmt], cutoff=CUTOFF)
        monkeypatch.setattr(formats, "_dates_as_numbers", lambda frame, variables, fmt: (frame, {}))
        datasets_write(frames=frames, out_dir=tmp_path / "cells", formats=[fmt], cutoff=CUTOFF)

        for name in frames:
            numbers = (tmp_path / "numbers" / f"{name}.{fmt}").read_bytes()
            assert numbers == (tmp_path / "cells" / f"{name}.{fmt}").read_bytes(), name

    def test_a_date_no_patient_has_yet_is_still_a_date(self, tmp_path: Path) -> None:
        """At an early cut-off nobody has relapsed: the relapse date is missing in every row.
        Handed over as date cells, pyreadstat wrote such a column as text."""
        frames = survival_frames([patient(1, "DEX"), patient(2, "CTRL")], CUTOFF)
        assert frames["adsurv"]["RLPSDT"].isna().all()

        datasets_write(frames=frames, out_dir=tmp_path, formats=list(READERS), cutoff=CUTOFF)

        date_formats = {"xpt": "DATE", "dta": "%td", "sav": "DATE11"}
        for fmt, read in READERS.items():
            back, meta = read(str(tmp_path / f"adsurv.{fmt}"))
            assert meta.readstat_variable_types["RLPSDT"] == "double", fmt
            assert meta.original_variable_types["RLPSDT"] == date_formats[fmt]
            assert back["RLPSDT"].isna().all()

    def test_the_frame_written_is_left_as_it_was(self, frames, tmp_path: Path) -> None:
        before = {name: frame.copy() for name, frame in frames.items()}

        datasets_write(
            frames=frames, out_dir=tmp_path, formats=["xpt", "dta", "sav"], cutoff=CUTOFF
        )

        for name, frame in frames.items():
            pd.testing.assert_frame_equal(frame, before[name])


class TestCsv:
    """The CSV writer gives the bytes of pandas' `to_csv`, which it replaced."""

    @staticmethod
    def _pandas_bytes(frame: pd.DataFrame, path: Path) -> bytes:
        frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
        return path.read_bytes()

    def test_the_datasets_are_written_as_pandas_writes_them(self, tmp_path: Path) -> None:
        frames = survival_frames(edgy_trial(500, seed=7), CUTOFF)

        datasets_write(frames=frames, out_dir=tmp_path, formats=["csv"], cutoff=CUTOFF)

        for name, frame in frames.items():
            expected = self._pandas_bytes(frame, tmp_path / f"{name}.pandas.csv")
            assert (tmp_path / f"{name}.csv").read_bytes() == expected, name

    def test_text_that_needs_quotes_and_missing_values_too(self, frames, tmp_path) -> None:
        awkward = frames["adsurv"].copy()
        awkward.loc[0, "SITEID"] = 'Lyon, "Sud"\nsite'
        awkward.loc[1, "CYTORISK"] = None
        awkward.loc[1, "AGE"] = float("nan")
        awkward.loc[0, "OSMON"] = 1e17
        frames_written = {"adsurv": awkward, "adtte": frames["adtte"].iloc[:0]}

        datasets_write(frames=frames_written, out_dir=tmp_path, formats=["csv"], cutoff=CUTOFF)

        for name, frame in frames_written.items():
            expected = self._pandas_bytes(frame, tmp_path / f"{name}.pandas.csv")
            assert (tmp_path / f"{name}.csv").read_bytes() == expected, name
        assert b'"Lyon, ""Sud""\nsite"' in (tmp_path / "adsurv.csv").read_bytes()

    @pytest.mark.parametrize(
        "columns",
        [
            {  # numbers told apart by their bits, missing ones, and text pandas would quote
                "x": [0.0, -0.0, 1.5, float("nan"), 1e17, 1 / 3],
                "day": [dt.date(2026, 1, 2), None, dt.date(2026, 1, 2), None, None, None],
                "text": ["Hôpital Saint-Éloi", "a\rb", "", None, 'say "hi"', "x,y"],
            },
            {  # Python objects equal across types: each cell as it is
                "mixed": [1, 1.0, True, "1", None, dt.date(2026, 1, 2)],
                "count": [1, 2, 3, 1, 2, 3],
                "flag": [True, False, True, True, False, False],
            },
            {"alone": ["", "a", None, "", "b", ""]},  # a row of one empty field: ""
            {"nothing": [None] * 6, "none": [float("nan")] * 6},
        ],
    )
    def test_every_kind_of_column_as_pandas_writes_it(
        self, columns: dict[str, list[Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(formats, "_CSV_ROWS", 4)  # rows written in blocks of 4
        frame = pd.DataFrame(columns)

        formats.WRITERS["csv"](frame, tmp_path / "x.csv", "x", [])

        assert (tmp_path / "x.csv").read_bytes() == self._pandas_bytes(frame, tmp_path / "p.csv")
