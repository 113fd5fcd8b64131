from __future__ import annotations

import dataclasses
import re
from argparse import Namespace

import pytest

from loadtests.budget import (
    BUDGET_OPTIONS,
    OVER_BUDGET_MARKER,
    Budget,
    BudgetConfigError,
    Figures,
    judge,
    over_budget_message,
)
from loadtests.config import ENVIRONMENT_VARIABLES

HEALTHY = Figures(
    requests=1000,
    failures=5,
    over_budget=0,
    max_seconds=2.5,
    p90_seconds=0.2,
    p95_seconds=0.4,
    p99_seconds=0.9,
)


def test_healthy_run_passes_and_says_so() -> None:
    verdict = judge(HEALTHY, Budget())
    assert verdict.passed
    assert verdict.exit_code == 0
    assert verdict.summary().startswith("PASS: 1000 requests, 5 failed (0.50%)")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"over_budget": 3, "max_seconds": 4.2}, "3 request(s) over the 3 s budget"),
        ({"failures": 11}, "failure ratio 1.10% > 1.00%"),
        ({"p90_seconds": 1.8}, "p90 1.80 s > 1.00 s"),
        ({"p95_seconds": 2.5}, "p95 2.50 s > 2.00 s"),
        ({"p99_seconds": 3.2}, "p99 3.20 s > 3.00 s"),
        ({"requests": 0, "failures": 0}, "no request was made"),
    ],
)
def test_each_broken_limit_fails_the_run(change: dict[str, float], expected: str) -> None:
    verdict = judge(dataclasses.replace(HEALTHY, **change), Budget())
    assert not verdict.passed
    assert verdict.exit_code == 1
    assert verdict.summary().startswith("FAIL: ")
    assert expected in verdict.summary()
    assert len(verdict.breaches) == 1


def test_a_lost_over_budget_count_is_recovered_from_the_slowest_request() -> None:
    verdict = judge(dataclasses.replace(HEALTHY, max_seconds=3.5), Budget())
    assert verdict.breaches == ("1 request(s) over the 3 s budget (slowest 3.5 s)",)


def test_limits_sit_on_the_boundary_and_can_be_tightened() -> None:
    at_limit = dataclasses.replace(HEALTHY, p90_seconds=1.0, failures=10)
    assert judge(at_limit, Budget()).passed
    assert not judge(at_limit, Budget(p90_seconds=0.5)).passed
    assert not judge(at_limit, Budget(max_failure_ratio=0.0)).passed


def test_every_breach_is_listed_at_once() -> None:
    broken = Figures(
        requests=10,
        failures=10,
        over_budget=10,
        max_seconds=4.0,
        p90_seconds=4.0,
        p95_seconds=4.0,
        p99_seconds=4.0,
    )
    assert len(judge(broken, Budget()).breaches) == 5


@pytest.mark.parametrize(
    "kwargs",
    [
        {"request_seconds": 0},
        {"p90_seconds": -1},
        {"max_failure_ratio": 5},
        {"p99_seconds": float("nan")},
    ],
)
def test_nonsense_limits_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(BudgetConfigError):
        Budget(**kwargs)


def test_limits_come_from_options_else_the_environment() -> None:
    environ = {"FLOWHARNESS_MAX_P90": "0.5", "FLOWHARNESS_REQUEST_BUDGET": " "}
    assert Budget.from_options(None, environ) == Budget(p90_seconds=0.5)
    options = Namespace(max_p90=None, max_p99="2.5", max_failure_ratio=0.0)
    assert Budget.from_options(options, environ) == Budget(
        p90_seconds=0.5, p99_seconds=2.5, max_failure_ratio=0.0
    )
    assert Budget.from_options(None, {}) == Budget()
    with pytest.raises(BudgetConfigError, match=re.escape("--max-p95 (FLOWHARNESS_MAX_P95)")):
        Budget.from_options(None, {"FLOWHARNESS_MAX_P95": "fast"})


def test_every_budget_option_is_a_locust_option_with_its_variable() -> None:
    assert {field for field, _ in BUDGET_OPTIONS.values()} == {
        f.name for f in dataclasses.fields(Budget)
    }
    for option, (_, variable) in BUDGET_OPTIONS.items():
        assert ENVIRONMENT_VARIABLES[option] == variable


def test_over_budget_messages_are_stable_and_marked() -> None:
    assert over_budget_message(3.0) == over_budget_message(3)
    assert OVER_BUDGET_MARKER in over_budget_message(2.5)
