"""Peak memory of one phase of a benchmark, on Linux: reset the resident set's high-water mark
(`/proc/self/clear_refs`), run the phase, read the mark (`VmHWM`) against the resident set at its
start (`VmRSS`), so that what an earlier phase (the data generation) left does not count.

In the process that generated the data, a phase reuses the heap the generation freed, and its
peak shows as +0 MB: `fresh_process` runs the phase in a new process instead, where what it
allocates is what the resident set grows by."""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


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


def fresh_process(script: str, function: str, *args: Any) -> tuple[Any, float]:
    """`function(*args)` of the benchmark `script` (a path; its arguments and result as JSON)
    in a new Python process on the database this process uses now; its result and how many MB
    its resident set grew by during the call (after the imports of its start)."""
    from django.db import connection

    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
    child = subprocess.run(
        [sys.executable, __file__, script, function, json.dumps(args)],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=False,
    )
    if child.returncode != 0:
        raise RuntimeError(f"{function} in a fresh process failed:\n{child.stderr}")
    answer = json.loads(child.stdout.splitlines()[-1])
    return answer["result"], answer["peak_mb"]


def _child(script: str, function: str, args: str) -> None:
    spec = importlib.util.spec_from_file_location("bench_child", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # sets Django up, as the script does when run
    before = peak_reset()
    result = getattr(module, function)(*json.loads(args))
    print(json.dumps({"result": result, "peak_mb": memory_mb() - before}))


if __name__ == "__main__":
    _child(*sys.argv[1:4])
