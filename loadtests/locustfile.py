"""The lead-capture load test: people submitting leads, plus WhatsApp's health checks.

    locust -f loadtests/locustfile.py --host http://127.0.0.1:8000 \\
        --public-key key.pub.pem --app-secret ... --token-secret ...   (or FLOWHARNESS_* vars)
    python loadtests/locustfile.py --host ...   # one person's journey, every request printed

See loadtests/README.md for the profiles (smoke, staging, distributed).
"""

from __future__ import annotations

import sys
from pathlib import Path

# `locust -f loadtests/locustfile.py` puts only loadtests/ on sys.path; the package needs its parent
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from locust import run_single_user  # noqa: E402

import loadtests.hooks  # noqa: E402, F401  (registers the options and the budget check)
from loadtests.users import FlowUser, LeadSubmission, PingTraffic  # noqa: E402


class LeadCaptureUser(FlowUser):
    """Mostly lead journeys, with a ping now and then as WhatsApp does."""

    weight = 4
    tasks = {LeadSubmission: 9, PingTraffic: 1}  # type: ignore[assignment]  # weights, as documented


class HealthCheckUser(FlowUser):
    """Ping-only traffic: the health checks WhatsApp keeps sending to a published flow."""

    weight = 1
    tasks = [PingTraffic]


if __name__ == "__main__":
    LeadCaptureUser.max_journeys = 1
    LeadCaptureUser.tasks = [LeadSubmission]  # type: ignore[assignment]
    run_single_user(LeadCaptureUser)
