"""``flowharness mocks up`` in its own process, as a user starts it; stopped by its PID."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FLOWHARNESS = Path(sys.executable).with_name("flowharness")


@dataclass
class MocksUpRun:
    """The JSON line it printed; after the ``with`` block, how it ended."""

    line: dict[str, Any]
    process: subprocess.Popen[str]
    output: str = ""


@contextmanager
def mocks_up(*args: str) -> Iterator[MocksUpRun]:
    """Run ``flowharness mocks up ARGS --json``; SIGINT (Ctrl-C) on leaving the block."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [str(FLOWHARNESS), "mocks", "up", *args, "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    run = MocksUpRun({}, process)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        if not first:
            raise RuntimeError("flowharness mocks up printed nothing; see its stderr")
        run.line = json.loads(first)
        yield run
    finally:
        process.send_signal(signal.SIGINT)
        try:
            out, err = process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        run.output = out + err
