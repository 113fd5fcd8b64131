"""A running load test's live figures: written by locust's hooks, shown by ``flowharness load``.

The process that holds the complete figures (the local runner, or the master; never a
worker) writes a :class:`Snapshot` as JSON to ``--progress-file`` every second, replacing
the file atomically. The command reads it and shows one line: requests, rate, p90 and
failures. No locust import here.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["Snapshot", "read_snapshot", "write_snapshot"]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The run so far."""

    elapsed_seconds: float
    users: int
    requests: int
    failures: int
    rps: float
    """Requests per second over locust's last few seconds."""
    p90_seconds: float
    """Over the whole run so far, as the budget judges it."""
    state: str = "running"
    """locust's runner state: spawning, running, stopping, stopped."""
    peak_users: int = 0

    def line(self) -> str:
        ratio = self.failures / self.requests if self.requests else 0.0
        users = f"{self.users} users" if self.state != "stopped" else f"{self.peak_users} users"
        return (
            f"{self.elapsed_seconds:5.0f} s  {users}  {self.requests:,} requests  "
            f"{self.rps:,.1f}/s  p90 {self.p90_seconds * 1000:,.0f} ms  "
            f"{self.failures:,} failures ({ratio:.1%})"
        )


def write_snapshot(path: str | Path, snapshot: Snapshot) -> None:
    """Replace ``path`` with ``snapshot`` (a reader never sees half a file)."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(json.dumps(asdict(snapshot)), encoding="utf-8")
    partial.replace(path)


def read_snapshot(path: str | Path) -> Snapshot | None:
    """The latest snapshot, or None while there is none yet."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return Snapshot(**data)
    except (OSError, ValueError, TypeError):
        return None
