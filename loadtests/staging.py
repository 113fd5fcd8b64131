"""The staging profile: the lead-capture users of ``locustfile.py`` on a ramp.

    locust -f loadtests/staging.py --host https://staging.example.com --headless \\
        --csv staging   # keys and secrets from FLOWHARNESS_* variables

The ramp comes from ``FLOWHARNESS_RAMP`` (``END:USERS:RATE`` stages, default
``2m:10:1,7m:50:2,17m:50:2,18m:0:10``); the run stops after the last stage. A
``LoadTestShape`` in a locustfile replaces ``-u``/``-r``/``-t``. ``flowharness load run
URL --profile staging`` runs the same shape with any users.
"""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from loadtests.locustfile import HealthCheckUser, LeadCaptureUser  # noqa: E402
from loadtests.ramp import Ramp  # noqa: E402

__all__ = ["HealthCheckUser", "LeadCaptureUser", "Ramp"]
