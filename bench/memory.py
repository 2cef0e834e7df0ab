"""Peak memory of one phase of a benchmark, on Linux: reset the resident set's high-water mark
(`/proc/self/clear_refs`), run the phase, read the mark (`VmHWM`) against the resident set at its
start (`VmRSS`), so that what an earlier phase (the data generation) left does not count."""

from __future__ import annotations

import gc
from pathlib import Path


def peak_reset() -> float:
    """Collect garbage, reset the high-water mark; return the resident set now, in MB."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    return memory_mb("VmRSS")


def memory_mb(field: str = "VmHWM") -> float:
    """This process's resident set (VmRSS) or its high-water mark since peak_reset() (VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")
