"""SAS transport, Stata and SPSS files: the header as pyreadstat writes it, the rows by numpy.

pyreadstat converts and writes a file cell by cell: about 5 s for ADTTE's 8.8 million cells at
100,000 patients, most of the export's time. Every row of these three formats has one fixed
layout, though: a number takes 8 bytes, a text as many as the column's longest value. So
pyreadstat writes the file of a single row, in which each text column holds its longest value.
That file has the header (and Stata's trailer) of the whole frame but for the count of rows.
numpy then lays out the rows of the whole frame in the same layout, a block at a time, and the
count is patched in.

The one row is checked first: laid out by numpy it must be the bytes pyreadstat wrote for it. If
it is not, or the frame holds what this module does not lay out (a column neither float64 nor
text, an infinite number, a text longer than the format's plain strings, no rows), pyreadstat
writes the whole frame. `tests/analysis/test_stat_files.py` compares the two byte for byte.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

Write = Callable[[pd.DataFrame, str], None]  # pyreadstat's writer, with every option but these

_ROWS = 65_536  # rows laid out at a time: a block of ADTTE is about 23 MB

_SAV_MISSING = np.uint64(0xFFEFFFFFFFFFFFFF)  # SPSS's system-missing value, -DBL_MAX
_DTA_MISSING = np.uint64(0x7FE0000000000000)  # Stata's ".", the first missing double
_DTA_LARGEST = 8.988465674311579e307  # Stata's largest double; readstat refuses more


def _ibm(values: np.ndarray) -> np.ndarray:
    """IEEE doubles as the 8-byte IBM floats of SAS transport, as readstat's `ieee2xpt` makes
    them (SAS's own routine): the mantissa shifted, never rounded; a number too small for the
    IBM exponent is 0, one too large the largest IBM float; missing is "." then zeros."""
    bits = values.view(np.uint64)
    high = (bits >> np.uint64(32)).astype(np.int64)
    low = (bits & np.uint64(0xFFFFFFFF)).astype(np.int64)
    exponent = ((high >> 20) & 0x7FF) - 1023
    shift = exponent & 3
    first = ((high & 0x000FFFFF) | 0x00100000) << shift
    first |= ((low >> 24) & 0xE0) >> (8 - shift)  # the bits shifted in from the low word
    second = (low << shift) & 0xFFFFFFFF
    sign = (high >> 24) & 0x80
    first |= (((exponent >> 2) + 65) | sign) << 24
    out = (first.astype(np.uint64) << np.uint64(32)) | second.astype(np.uint64)
    out[exponent < -260] = 0  # with 0 and -0.0, whose exponent is -1023
    large = exponent > 248
    out[large] = ((sign[large] | 0x7F).astype(np.uint64) << np.uint64(56)) | np.uint64(
        0x00FFFFFFFFFFFFFF
    )
    out[np.isnan(values)] = np.uint64(0x2E) << np.uint64(56)
    return out


def _doubles(missing: np.uint64) -> Callable[[np.ndarray], np.ndarray]:
    def bits(values: np.ndarray) -> np.ndarray:
        out = values.view(np.uint64).copy()
        out[np.isnan(values)] = missing
        return out

    return bits


@dataclass(frozen=True)
class _Format:
    number: str  # the numpy type of a stored number
    numbers: Callable[[np.ndarray], np.ndarray]  # floats as the bits stored
    pad: bytes  # what fills a text to its width
    longest: int  # the longest text stored as a plain string
    block: int  # the data is padded to a multiple of it (SAS transport's records of 80)


_FORMATS = {
    "xpt": _Format(">u8", _ibm, b" ", 200, 80),
    "dta": _Format("<u8", _doubles(_DTA_MISSING), b"\0", 2044, 1),
    "sav": _Format("<u8", _doubles(_SAV_MISSING), b" ", 255, 1),
}


@dataclass(frozen=True)
class _Column:
    texts: np.ndarray | None  # of a text column: each distinct value, padded to the width
    codes: np.ndarray | None  # of a text column: the place of each cell's value in `texts`
    width: int  # bytes stored
    longest: str | None = None  # of a text column: its longest value in bytes


def _text_width(fmt: str, longest: int) -> int:
    return -(-longest // 8) * 8 if fmt == "sav" else longest  # SPSS: in cells of 8 bytes


def _columns(
    frame: pd.DataFrame, fmt: str, labels: dict[str, dict[float, str]]
) -> list[_Column] | None:
    """How each column is stored, or None if a column is not one this module lays out."""
    spec = _FORMATS[fmt]
    columns = []
    for name in frame.columns:
        values = frame[name].to_numpy()
        if values.dtype == np.float64:
            if np.isinf(values).any() or (fmt == "dta" and (values > _DTA_LARGEST).any()):
                return None
            columns.append(_Column(None, None, 8))
            continue
        if values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) not in (
            "string",
            "empty",
        ):
            return None
        codes, uniques = pd.factorize(values)  # a missing cell: -1
        texts = uniques.tolist()
        encoded = [text.encode() for text in texts]
        sizes = [len(text) for text in encoded]
        # pyreadstat's width: the longest value in bytes, of a value label in characters, 1 at least
        longest = max([1, *sizes, *(len(str(k)) for k in labels.get(name, {}))])
        if longest > spec.longest:
            return None
        width = _text_width(fmt, longest)
        encoded.append(b"")  # missing, the last: written as an empty text
        codes[codes < 0] = len(encoded) - 1
        stored = np.array([text.ljust(width, spec.pad) for text in encoded], dtype=f"S{width}")
        example = texts[int(np.argmax(sizes))] if texts else None
        columns.append(_Column(stored, codes, width, example))
    return columns


def _layout(fmt: str, columns: list[_Column]) -> np.dtype:
    offsets = np.cumsum([0] + [c.width for c in columns[:-1]]).tolist()
    kinds = [_FORMATS[fmt].number if c.texts is None else f"S{c.width}" for c in columns]
    return np.dtype(
        {
            "names": [f"c{n}" for n in range(len(columns))],
            "formats": kinds,
            "offsets": offsets,
            "itemsize": sum(c.width for c in columns),
        }
    )


def _rows(
    frame: pd.DataFrame, fmt: str, columns: list[_Column], layout: np.dtype, start: int, end: int
) -> np.ndarray:
    rows = np.empty(end - start, dtype=layout)
    for n, (name, column) in enumerate(zip(frame.columns, columns, strict=True)):
        if column.texts is None:
            floats = frame[name].to_numpy()[start:end]
            rows[f"c{n}"] = _FORMATS[fmt].numbers(np.ascontiguousarray(floats))
        else:
            assert column.codes is not None
            rows[f"c{n}"] = column.texts[column.codes[start:end]]
    return rows


def _one_row(frame: pd.DataFrame, columns: list[_Column]) -> pd.DataFrame:
    """The first row of `frame`, with each text column's longest value in place of its own."""
    cells: dict[str, object] = {}
    for name, column in zip(frame.columns, columns, strict=True):
        if column.texts is None:
            cells[name] = frame[name].to_numpy()[:1]
        else:
            cells[name] = np.array([column.longest], dtype=object)
    return pd.DataFrame(cells, copy=False)


@dataclass(frozen=True)
class _Shape:
    """Where the one-row file keeps its row, and how to make it the file of `n` rows."""

    head: bytes
    row: bytes
    tail: bytes
    patch: Callable[[bytes, int], bytes]  # the head for n rows


def _shape(fmt: str, data: bytes, width: int) -> _Shape | None:
    if fmt == "xpt":
        marker = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!"
        at = data.find(marker)
        if at < 0 or at % 80:
            return None
        start = at + 80
        if len(data) != start + width + (-width % 80):
            return None
        return _Shape(data[:start], data[start : start + width], b"", lambda head, n: head)
    if fmt == "sav":
        start = len(data) - width
        cases, wide_cases, end = (data[80:84], data[start - 16 : start - 8], data[start - 8 :][:4])
        if cases != struct.pack("<i", 1) or wide_cases != struct.pack("<q", 1):
            return None
        if end != struct.pack("<i", 999):
            return None

        def sav(head: bytes, n: int) -> bytes:
            at = len(head) - 16
            return head[:80] + struct.pack("<i", n) + head[84:at] + struct.pack("<q", n) + head[-8:]

        return _Shape(data[:start], data[start:], b"", sav)
    # Stata 117 and later: a count of rows <N>, then a map of the sections' offsets
    if not data.startswith(b"<stata_dta>"):
        return None
    count = data.find(b"<N>") + 3
    size = data.find(b"</N>") - count
    place = data.find(b"<map>") + 5
    if count < 3 or size not in (4, 8) or place < 5:
        return None
    offsets = struct.unpack_from("<14Q", data, place)
    start = offsets[9] + len(b"<data>")
    end = start + width
    if data[offsets[9] : start] != b"<data>" or offsets[10] != end + len(b"</data>"):
        return None
    if int.from_bytes(data[count : count + size], "little") != 1:
        return None

    def dta(head: bytes, n: int) -> bytes:
        grown = [*offsets[:10], *(o + (n - 1) * width for o in offsets[10:])]
        head = head[:count] + n.to_bytes(size, "little") + head[count + size :]
        return head[:place] + struct.pack("<14Q", *grown) + head[place + 14 * 8 :]

    return _Shape(data[:start], data[start:end], data[end:], dta)


def write(
    frame: pd.DataFrame,
    path: Path,
    fmt: str,
    labels: dict[str, dict[float, str]],
    pyreadstat: Write,
) -> None:
    """Write `frame` to `path` in `fmt` ("xpt" version 5, "dta" 117 or later, "sav" without
    compression): the bytes `pyreadstat(frame, str(path))` writes. `labels` are the value labels
    handed to it, which count in the width of a text column."""
    columns = _columns(frame, fmt, labels) if len(frame) else None
    if columns is None:
        pyreadstat(frame, str(path))
        return
    layout = _layout(fmt, columns)
    template = _one_row(frame, columns)
    pyreadstat(template, str(path))
    shape = _shape(fmt, path.read_bytes(), layout.itemsize)
    mine = _columns(template, fmt, labels)
    if (
        shape is None
        or mine is None
        or _layout(fmt, mine) != layout
        or _rows(template, fmt, mine, layout, 0, 1).tobytes() != shape.row
    ):
        pyreadstat(frame, str(path))
        return
    size = len(frame) * layout.itemsize
    with open(path, "wb") as f:
        f.write(shape.patch(shape.head, len(frame)))
        for start in range(0, len(frame), _ROWS):
            end = min(start + _ROWS, len(frame))
            f.write(_rows(frame, fmt, columns, layout, start, end).data.cast("B"))
        block = _FORMATS[fmt].block
        f.write(b" " * (-size % block))
        f.write(shape.tail)
