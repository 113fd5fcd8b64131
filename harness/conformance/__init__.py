"""The conformance check: the promises every Flows endpoint must keep, graded with fix hints.

    from harness.conformance import assert_conforms, check_endpoint

    report = check_endpoint("https://example.com/flows", public_key=pem, app_secret=secret)
    print(report.to_text())          # or report.to_json()
    assert_conforms(app, public_key=pem, app_secret=secret, flow_token=token)

Each check (:data:`CHECK_IDS`) is graded pass, warn, fail or skip; only a failure (or a
fuzzing finding) makes a run fail. ``fuzz=N`` adds N hypothesis-generated hostile
requests; each 5xx, hang, dropped connection or leaked stack trace is shrunk to a small
request that :func:`replay_finding` sends again. ``flowharness check`` is the CLI.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from harness.conformance._leaks import leaked_trace
from harness.conformance._probe import PLACEHOLDER_TOKEN, TokenSource, command_token_source
from harness.conformance._report import CheckResult, ConformanceReport, Grade
from harness.conformance._suite import (
    CHECK_IDS,
    CHECKS,
    assert_conforms,
    check_endpoint,
    select_checks,
)
from harness.conformance.exceptions import (
    ConformanceError,
    ConformanceFailure,
    ReproducerError,
    TokenSourceError,
    UnknownCheckError,
)

if TYPE_CHECKING:
    from harness.conformance._fuzz import (
        FINDING_KINDS,
        FindingKind,
        FuzzFinding,
        FuzzObservation,
        FuzzReport,
        FuzzRequest,
        fuzz_endpoint,
        load_finding,
        replay_finding,
        save_finding,
    )
    from harness.conformance._fuzz_cases import Edit, FuzzCase, fuzz_cases

# Fuzzing needs hypothesis (the `hypothesis` extra): imported on first use, so the
# checks themselves run on a base install.
_FUZZ = (
    "FINDING_KINDS", "FindingKind", "FuzzFinding", "FuzzObservation", "FuzzReport",
    "FuzzRequest", "fuzz_endpoint", "load_finding", "replay_finding", "save_finding",
)  # fmt: skip
_FUZZ_NAMES = dict.fromkeys(_FUZZ, "_fuzz") | dict.fromkeys(
    ("Edit", "FuzzCase", "fuzz_cases"), "_fuzz_cases"
)


def __getattr__(name: str) -> Any:
    module = _FUZZ_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from harness._extras import require

    require("hypothesis", extra="hypothesis", feature="fuzzing (check --fuzz)")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "CHECKS",
    "CHECK_IDS",
    "FINDING_KINDS",
    "PLACEHOLDER_TOKEN",
    "CheckResult",
    "ConformanceError",
    "ConformanceFailure",
    "ConformanceReport",
    "Edit",
    "FindingKind",
    "FuzzCase",
    "FuzzFinding",
    "FuzzObservation",
    "FuzzReport",
    "FuzzRequest",
    "Grade",
    "ReproducerError",
    "TokenSource",
    "TokenSourceError",
    "UnknownCheckError",
    "assert_conforms",
    "check_endpoint",
    "command_token_source",
    "fuzz_cases",
    "fuzz_endpoint",
    "leaked_trace",
    "load_finding",
    "replay_finding",
    "save_finding",
    "select_checks",
]
