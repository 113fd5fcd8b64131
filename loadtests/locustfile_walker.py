"""Walker journeys through any Flow JSON: the walker chooses, locust sends and measures.

    locust -f loadtests/locustfile_walker.py --host http://127.0.0.1:8000 \\
        --flow-json flow.json --public-key key.pub.pem --app-secret ...   (or FLOWHARNESS_*)
    python loadtests/locustfile_walker.py --host ... --flow-json flow.json   # one journey,
                                                                   # its transcript printed

Try it without an endpoint: ``python -m loadtests.serve_target --stub flow.json`` serves
a stub that answers every request of that flow validly. See loadtests/README.md.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

# `locust -f loadtests/locustfile_walker.py` puts only loadtests/ on sys.path
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from locust import run_single_user  # noqa: E402

import loadtests.hooks  # noqa: E402, F401  (registers the options and the budget check)
from loadtests.users import PingTraffic  # noqa: E402
from loadtests.walking import WalkerJourney, WalkerUser  # noqa: E402

# the FlowClient's httpx logs a line per request at INFO: far too much under load
logging.getLogger("httpx").setLevel(logging.WARNING)


class WalkerJourneyUser(WalkerUser):
    """Walker journeys through ``--flow-json``, with a ping now and then as WhatsApp does."""

    tasks = {WalkerJourney: 9, PingTraffic: 1}  # type: ignore[assignment]  # weights, as documented


if __name__ == "__main__":
    WalkerJourneyUser.max_journeys = 1
    WalkerJourneyUser.tasks = [WalkerJourney]  # type: ignore[assignment]
    run_single_user(WalkerJourneyUser, loglevel="INFO")  # INFO: the transcript too
