"""Run locust for ``flowharness load``: a command line from a :class:`LocustRun`, then the process.

Locust runs in a child process (it monkey-patches the standard library at import), in
its own session so that it and its worker processes stop together. Settings that are
secrets (app secret, token secrets) travel in the child's environment, never on its
command line, where other users of the machine could read them. No locust import here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from loadtests.progress import Snapshot, read_snapshot

__all__ = [
    "LOCUSTFILES",
    "LocustRun",
    "Role",
    "locustfile",
    "run_locust",
]

Role = Literal["local", "master", "worker"]

LOCUSTFILES = {
    "lead-capture": "locustfile.py",
    "walker": "locustfile_walker.py",
    "ramp": "ramp.py",
}
"""The locustfiles of this package: lead journeys and pings, walker journeys, the ramp shape."""


def locustfile(name: str) -> Path:
    """The path of one of :data:`LOCUSTFILES`, wherever the package is installed."""
    return Path(__file__).resolve().parent / LOCUSTFILES[name]


@dataclass
class LocustRun:
    """One locust process: what it runs, how hard, in which role, and where results go."""

    host: str
    locustfiles: Sequence[Path]
    user_classes: Sequence[str] = ()
    """Names of the user classes to run (empty: every one in the locustfiles)."""
    users: int = 10
    spawn_rate: float = 2.0
    run_time: str | None = "1m"
    """None when a load shape (the ramp) sets users and duration."""
    processes: int = 0
    """Local worker processes (locust's --processes); 0: one process does everything."""
    role: Role = "local"
    master_host: str = "127.0.0.1"
    master_port: int = 5557
    master_bind_host: str = "*"
    expect_workers: int = 1
    csv_prefix: Path | None = None
    html: Path | None = None
    progress_file: Path | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    """flowharness options (``think_scale`` -> ``--think-scale 0.1``); no secrets here."""
    environ: Mapping[str, str] = field(default_factory=dict)
    """The child's whole environment (secrets included)."""
    stop_timeout: float = 5.0
    """Seconds users get to finish their request when the run ends."""

    def command(self) -> list[str]:
        files = ",".join(str(path) for path in self.locustfiles)
        command = [sys.executable, "-m", "locust", "-f", files, "--host", self.host]
        command += ["--headless", "--only-summary", "--stop-timeout", f"{self.stop_timeout:g}"]
        for name, value in self.options.items():
            command += [f"--{name.replace('_', '-')}", value]
        if self.role == "worker":
            command += ["--worker", "--master-host", self.master_host]
            command += ["--master-port", str(self.master_port)]
            return [*command, *self.user_classes]
        if self.run_time is not None:
            command += ["-u", str(self.users), "-r", f"{self.spawn_rate:g}", "-t", self.run_time]
        if self.role == "master":
            command += ["--master", "--expect-workers", str(self.expect_workers)]
            command += ["--master-bind-host", self.master_bind_host]
            command += ["--master-bind-port", str(self.master_port)]
        elif self.processes:
            command += ["--processes", str(self.processes)]
        if self.csv_prefix is not None:
            command += ["--csv", str(self.csv_prefix)]
        if self.html is not None:
            command += ["--html", str(self.html)]
        if self.progress_file is not None:
            command += ["--progress-file", str(self.progress_file)]
        return [*command, *self.user_classes]


def run_locust(
    run: LocustRun,
    *,
    log: Path | None,
    on_progress: Callable[[Snapshot], None] | None = None,
    timeout: float | None = None,
    poll_seconds: float = 0.5,
) -> int:
    """Run ``run`` until it ends; locust's exit code.

    Its output goes to ``log`` (None: this process's own output). ``on_progress`` gets
    each new snapshot of ``run.progress_file``. Past ``timeout`` seconds, or on Ctrl-C,
    locust and its workers are stopped (TimeoutError, KeyboardInterrupt re-raised).
    """
    if run.progress_file is not None:
        run.progress_file.unlink(missing_ok=True)
    output = log.open("wb") if log is not None else None
    try:
        process = subprocess.Popen(
            run.command(),
            env=dict(run.environ),
            stdout=output,
            stderr=subprocess.STDOUT if output is not None else None,
            start_new_session=True,
        )
    finally:
        if output is not None:
            output.close()  # the child holds its own copy
    deadline = None if timeout is None else time.monotonic() + timeout
    last: Snapshot | None = None
    try:
        while process.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"locust did not finish in {timeout:.0f} s")
            if on_progress is not None and run.progress_file is not None:
                snapshot = read_snapshot(run.progress_file)
                if snapshot is not None and snapshot != last:
                    on_progress(snapshot)
                    last = snapshot
            time.sleep(poll_seconds)
    except BaseException:
        _stop(process)
        raise
    if on_progress is not None and run.progress_file is not None:
        snapshot = read_snapshot(run.progress_file)
        if snapshot is not None and snapshot != last:
            on_progress(snapshot)
    return process.returncode


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to locust's session (it and its workers), SIGKILL if it lingers."""
    for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue
