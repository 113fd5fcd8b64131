"""The staging profile: the lead-capture users of ``locustfile.py`` on a ramp.

    locust -f loadtests/staging.py --host https://staging.example.com --headless \\
        --csv staging   # keys and secrets from FLOWHARNESS_* variables

The ramp comes from ``FLOWHARNESS_RAMP`` (``END:USERS:RATE`` stages, default
``2m:10:1,7m:50:2,17m:50:2,18m:0:10``); the run stops after the last stage. A
``LoadTestShape`` in a locustfile replaces ``-u``/``-r``/``-t``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from locust import LoadTestShape  # noqa: E402

from loadtests.config import DEFAULT_RAMP, parse_ramp  # noqa: E402
from loadtests.locustfile import HealthCheckUser, LeadCaptureUser  # noqa: E402

__all__ = ["HealthCheckUser", "LeadCaptureUser", "StagingRamp"]


class StagingRamp(LoadTestShape):
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
