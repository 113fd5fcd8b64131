"""A load shape alone: users follow the stages of ``FLOWHARNESS_RAMP``, then the run stops.

Given to locust beside a locustfile (``-f loadtests/locustfile.py,loadtests/ramp.py``),
it replaces ``-u``/``-r``/``-t`` for any of the users. Stages read ``END:USERS:RATE``
(default ``2m:10:1,7m:50:2,17m:50:2,18m:0:10``: warm up, 10 minutes at 50 users, ramp
down); ``flowharness load run --profile``/``--ramp`` set it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# `locust -f loadtests/ramp.py` puts only loadtests/ on sys.path; the package needs its parent
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from locust import LoadTestShape  # noqa: E402

from loadtests.config import DEFAULT_RAMP, parse_ramp  # noqa: E402

__all__ = ["Ramp"]


class Ramp(LoadTestShape):
    """Users per stage of ``FLOWHARNESS_RAMP``; None after the last stage ends the run."""

    def __init__(self) -> None:
        super().__init__()
        self.stages = parse_ramp(os.environ.get("FLOWHARNESS_RAMP", DEFAULT_RAMP))

    def tick(self) -> tuple[int, float] | None:
        elapsed = self.get_run_time()
        for stage in self.stages:
            if elapsed < stage.until_seconds:
                return stage.users, stage.spawn_rate
        return None
