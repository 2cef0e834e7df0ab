"""scripts/_setup.sh, which scripts/run, scripts/test and bench/run source: stopping the
services at exit never turns a command's success into a failure."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_stopping_services_already_stopped_keeps_the_exit_status(tmp_path: Path) -> None:
    """bench/run stops the throwaway PostgreSQL to start one on a kept data directory; its exit
    trap then stopped a server that was not running, and the benchmark exited 1 after PASS."""
    services = tmp_path / "services"
    (services / "pg").mkdir(parents=True)
    (services / "redis.pid").write_text("999999999")  # no such process
    script = (
        f'set -euo pipefail; source "{ROOT}/scripts/_setup.sh"; '
        f'PGBIN=/usr/lib/postgresql/15/bin; SERVICES_DIR="{services}"; '
        "trap services_stop EXIT; true"
    )

    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    assert not services.exists()
