"""Writers of the analysis datasets: CSV, SAS transport, Stata, SPSS, Parquet, and the dictionary.

The CSV file is written by pyarrow in pandas' bytes, the Parquet file by pyarrow, the SAS,
Stata and SPSS files in pyreadstat's bytes (its header, the rows laid out by numpy:
`stat_files`). The creation time the SAS, Stata and SPSS writers stamp into their headers is
pinned to the cut-off date, so the same data at the same cut-off give byte-identical files and
the same SHA-256 checksums.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pyreadstat

from analysis import stat_files
from analysis.dictionary import DATASET_LABELS, DATASETS, Variable
from trial.bulk import cycle_collection_paused

FORMATS = ("csv", "xpt", "dta", "sav", "parquet")
EXTENSIONS = {"csv": "csv", "xpt": "xpt", "dta": "dta", "sav": "sav", "parquet": "parquet"}


@dataclass(frozen=True)
class WrittenFile:
    name: str
    sha256: str
    size: int


def _labels(variables: list[Variable]) -> list[str | None]:
    return [v.label for v in variables]


def _value_labels(variables: list[Variable]) -> dict[str, dict[float, str]]:
    return {v.name: {float(k): s for k, s in v.values.items()} for v in variables if v.values}


# Rows made text at a time by the CSV writer: the text of a whole dataset would cost as much
# memory as the frame.
_CSV_ROWS = 50_000
_CSV_SPECIAL = (",", '"', "\r", "\n")  # a field without them is written as it is


def _csv_field(text: str) -> str:
    """A field as pandas writes it: through the csv module (whose rule for quoting a line break
    changed across Python versions) when it holds a character that may need quoting."""
    if not any(c in text for c in _CSV_SPECIAL):
        return text
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([text])
    return out.getvalue()[:-1]


def _csv_codes(values: np.ndarray, suffix: str, alone: bool) -> tuple[np.ndarray, pa.Array]:
    """A column as a code per cell and the CSV field of each code (then `suffix`).

    A dataset column holds few distinct values (an arm, a date, a number of days) repeated on
    many rows: each is made text once, as pandas makes it (numpy's shortest repr of a number,
    `str` of anything else, missing empty). Numbers are told apart by their bits (so -0.0 stays
    -0.0); a column of mixed Python objects (where 1 == 1.0 == True) is made text cell by cell.
    """
    if values.dtype.kind == "f":
        codes, bits = pd.factorize(values.view(f"i{values.itemsize}"))
        numbers = bits.view(values.dtype)
        texts = np.where(np.isnan(numbers), "", numbers.astype(str)).tolist()
    elif values.dtype.kind != "O" or pd.api.types.infer_dtype(values, skipna=True) in (
        "string",
        "date",
        "empty",
    ):
        codes, uniques = pd.factorize(values)  # missing: -1
        texts = [str(value) for value in uniques.tolist()]
    else:
        missing = pd.isna(values)
        codes = np.arange(len(values))
        texts = ["" if gone else str(value) for value, gone in zip(values, missing, strict=True)]
    texts.append("")  # missing: code -1, the last
    codes[codes < 0] = len(texts) - 1
    fields = [_csv_field(text) for text in texts]
    if alone:  # a row of one empty field is written as ""
        fields = [field or '""' for field in fields]
    return codes, pa.array([field + suffix for field in fields], type=pa.string())


def _write_csv(frame: pd.DataFrame, path: Path, name: str, variables: list[Variable]) -> None:
    """The bytes of pandas' `to_csv(index=False, lineterminator="\\n")` in a quarter of the time:
    each column's distinct values made text once (`_csv_codes`), the rows joined by pyarrow."""
    alone = len(frame.columns) == 1
    last = len(frame.columns) - 1
    columns = [
        _csv_codes(frame[column].to_numpy(), "\n" if n == last else "", alone)
        for n, column in enumerate(frame.columns)
    ]
    with open(path, "wb") as f:
        f.write((",".join(_csv_field(str(c)) for c in frame.columns) + "\n").encode())
        for start in range(0, len(frame), _CSV_ROWS):
            cells = [fields.take(codes[start : start + _CSV_ROWS]) for codes, fields in columns]
            rows = pc.binary_join_element_wise(*cells, ",")
            _, offsets, text = rows.buffers()
            first, end = np.frombuffer(offsets, dtype=np.int32)[
                [rows.offset, rows.offset + len(rows)]
            ]
            f.write(memoryview(text)[first:end])


# How SAS, Stata and SPSS store a date: a number with a date format. pyreadstat turns each
# `datetime.date` cell into that number by itself, in a loop over the cells; given the numbers
# and the format it would choose, it writes the same bytes.
_DAYS_1960_TO_1970 = 3653  # SAS and Stata count days from 1960-01-01
_DAYS_1582_TO_1970 = 141428  # SPSS counts seconds from 1582-10-14
_DATE_FORMATS = {"xpt": "DATE", "dta": "%td", "sav": "DATE"}


def _dates_as_numbers(
    frame: pd.DataFrame, variables: list[Variable], fmt: str
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The frame with its date columns as the numbers `fmt` stores, and their formats. The
    other columns are shared with `frame`, not copied."""
    dates = {v.name for v in variables if v.kind == "date"}
    columns: dict[str, object] = {}
    for column in frame.columns:
        values = frame[column]
        if column in dates:
            # a few thousand distinct days: each converted once (numpy converts date objects
            # one by one, at a few microseconds each)
            codes, days = pd.factorize(values.to_numpy())
            day_numbers = np.array(
                [np.datetime64(day, "D").astype(np.int64) for day in days], dtype=np.float64
            )
            if fmt == "sav":
                day_numbers = (day_numbers + _DAYS_1582_TO_1970) * 86400
            else:
                day_numbers += _DAYS_1960_TO_1970
            numbers = np.append(day_numbers, np.nan)[codes]  # code -1 (missing): the NaN
            columns[column] = numbers
        else:
            columns[column] = values
    formats = {name: _DATE_FORMATS[fmt] for name in dates}
    return pd.DataFrame(columns, copy=False), formats


# pyreadstat's writer of each format, and the options only that format takes.
_PYREADSTAT: dict[str, tuple[Callable[..., None], Callable[[str], dict[str, object]]]] = {
    "xpt": (
        pyreadstat.write_xport,
        lambda name: {"table_name": name.upper(), "file_format_version": 5},
    ),
    "dta": (pyreadstat.write_dta, lambda name: {"version": 15}),
    "sav": (pyreadstat.write_sav, lambda name: {}),
}


def _stat_writer(fmt: str) -> Callable[[pd.DataFrame, Path, str, list[Variable]], None]:
    """The writer of SAS transport ("xpt"), Stata ("dta") or SPSS ("sav"): dates as numbers,
    labels, and pyreadstat's bytes (`stat_files`). SAS transport has no value labels."""
    pyreadstat_write, options_of = _PYREADSTAT[fmt]

    def write(frame: pd.DataFrame, path: Path, name: str, variables: list[Variable]) -> None:
        frame, formats = _dates_as_numbers(frame, variables, fmt)
        labels = {} if fmt == "xpt" else _value_labels(variables)
        options = {
            "variable_format": formats,
            "file_label": DATASET_LABELS[name],
            "column_labels": _labels(variables),
            **({} if fmt == "xpt" else {"variable_value_labels": labels}),
            **options_of(name),
        }
        stat_files.write(frame, path, fmt, labels, functools.partial(pyreadstat_write, **options))

    return write


def _arrow_type(v: Variable) -> pa.DataType:
    return {"char": pa.string(), "num": pa.float64(), "date": pa.date32()}[v.kind]


def _write_parquet(frame: pd.DataFrame, path: Path, name: str, variables: list[Variable]) -> None:
    fields = [
        pa.field(v.name, _arrow_type(v), metadata={"label": v.label, "rule": v.rule})
        for v in variables
    ]
    schema = pa.schema(fields, metadata={"label": DATASET_LABELS[name]})
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    pq.write_table(table, path)


WRITERS: dict[str, Callable[[pd.DataFrame, Path, str, list[Variable]], None]] = {
    "csv": _write_csv,
    "xpt": _stat_writer("xpt"),
    "dta": _stat_writer("dta"),
    "sav": _stat_writer("sav"),
    "parquet": _write_parquet,
}

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


# The bytes read for the writer's clock reading: the SAS transport headers lie in the first 2,000
# bytes, Stata's <timestamp> in its first few hundred (before any data), SPSS's creation date and
# time at a fixed place.
_HEADER_BYTES = 4096


def _pin_timestamp(path: Path, fmt: str, day: dt.date) -> None:
    """Replace the writer's clock reading in the file header by midnight of `day`.

    The stamp has the length of the clock reading, so the header is patched in place: the file
    is never read whole (a Stata or SPSS file of ADTTE is over 100 MB at 100,000 patients).
    """
    if fmt not in ("xpt", "dta", "sav"):
        return
    mon = _MONTHS[day.month - 1]
    with open(path, "r+b") as f:
        head = f.read(_HEADER_BYTES)
        if fmt == "xpt":
            stamp = f"{day:%d}{mon}{day:%y}:00:00:00".encode()
            patched = re.sub(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d", stamp, head[:2000]) + head[2000:]
        elif fmt == "dta":
            stamp = f"{day:%d} {mon.title()} {day:%Y} 00:00".encode()
            patched = re.sub(
                rb"(<timestamp>.)[^<]{17}", rb"\g<1>" + stamp, head, count=1, flags=re.S
            )
        else:
            stamp = f"{day:%d} {mon.title()} {day:%y}00:00:00".encode()
            patched = head[:92] + stamp + head[92 + len(stamp) :]
        if len(patched) != len(head):
            raise ValueError(f"{path.name}: the header's time stamp is not where it should be")
        f.seek(0)
        f.write(patched)


def file_digest(path: Path) -> WrittenFile:
    with open(path, "rb") as f:
        sha = hashlib.file_digest(f, "sha256").hexdigest()
    return WrittenFile(path.name, sha, path.stat().st_size)


def dictionary_frame() -> pd.DataFrame:
    rows = [
        {
            "dataset": name,
            "variable": v.name,
            "type": v.kind,
            "label": v.label,
            "derivation": v.rule,
            "values": "; ".join(f"{k} = {s}" for k, s in v.values.items()),
        }
        for name, variables in DATASETS.items()
        for v in variables
    ]
    return pd.DataFrame(rows)


@cycle_collection_paused()
def datasets_write(
    *,
    frames: dict[str, pd.DataFrame],
    out_dir: Path,
    formats: list[str],
    cutoff: dt.date,
    on_file: Callable[[str], None] = lambda name: None,
) -> list[WrittenFile]:
    """Write every dataset in every format, then the data dictionary; return their checksums."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in frames.items():
        for fmt in formats:
            path = out_dir / f"{name}.{EXTENSIONS[fmt]}"
            WRITERS[fmt](frame, path, name, DATASETS[name])
            _pin_timestamp(path, fmt, cutoff)
            written.append(file_digest(path))
            on_file(path.name)
    path = out_dir / "data_dictionary.csv"
    dictionary_frame().to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    written.append(file_digest(path))
    return written


def manifest_checksum(files: list[WrittenFile]) -> str:
    """One checksum of the whole export: SHA-256 over the sorted `sha256  name` lines."""
    lines = sorted(f"{f.sha256}  {f.name}\n" for f in files)
    return hashlib.sha256("".join(lines).encode()).hexdigest()
