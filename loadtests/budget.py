"""The latency budget of a load test and the verdict on a run's figures (no locust here).

Defaults follow docs/protocol.md, "Timing": every single request under 3 s (the project's
budget), p90 under 1 s (Meta's ``ENDPOINT_LATENCY`` alert), p95 under 2 s, p99 under
3 s, and at most 1 % of requests failing. Latencies are in seconds throughout.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

__all__ = [
    "BUDGET_OPTIONS",
    "OVER_BUDGET_MARKER",
    "Budget",
    "BudgetConfigError",
    "Figures",
    "Verdict",
    "judge",
    "over_budget_message",
]

BUDGET_OPTIONS: dict[str, tuple[str, str]] = {
    "request_budget": ("request_seconds", "FLOWHARNESS_REQUEST_BUDGET"),
    "max_failure_ratio": ("max_failure_ratio", "FLOWHARNESS_MAX_FAILURE_RATIO"),
    "max_p90": ("p90_seconds", "FLOWHARNESS_MAX_P90"),
    "max_p95": ("p95_seconds", "FLOWHARNESS_MAX_P95"),
    "max_p99": ("p99_seconds", "FLOWHARNESS_MAX_P99"),
}
"""The one place budget settings are named: option -> (:class:`Budget` field, variable)."""

OVER_BUDGET_MARKER = "over the request budget"
"""Every over-budget failure's message contains this, so the CSV checker can count them."""


class BudgetConfigError(ValueError):
    """A budget limit is missing, not a number or not positive: fix the option or variable."""


@dataclass(frozen=True, slots=True)
class Budget:
    """The limits a run must stay within."""

    request_seconds: float = 3.0
    """No single request may take longer (each one over it counts as a failure too)."""
    max_failure_ratio: float = 0.01
    p90_seconds: float = 1.0
    p95_seconds: float = 2.0
    p99_seconds: float = 3.0

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, int | float) or math.isnan(value) or value < 0:
                raise BudgetConfigError(f"budget {item.name} must be a number >= 0, not {value!r}")
        if self.request_seconds == 0:
            raise BudgetConfigError("budget request_seconds must be above 0")
        if self.max_failure_ratio > 1:
            raise BudgetConfigError(
                f"max_failure_ratio is a ratio (0.01 = 1 %), not {self.max_failure_ratio!r}"
            )

    @classmethod
    def from_options(
        cls, options: Any | None = None, environ: Mapping[str, str] | None = None
    ) -> Budget:
        """Limits from the options (``--request-budget``, ``--max-failure-ratio``,
        ``--max-p90`` / ``--max-p95`` / ``--max-p99``: any object with those attributes,
        e.g. locust's ``parsed_options`` or an ``argparse.Namespace``), else from their
        ``FLOWHARNESS_*`` variables (:data:`BUDGET_OPTIONS`); unset ones keep the default."""
        environ = os.environ if environ is None else environ
        values: dict[str, float] = {}
        for option, (attribute, variable) in BUDGET_OPTIONS.items():
            given = getattr(options, option, None) if options is not None else None
            text = str(given if given not in (None, "") else environ.get(variable, "")).strip()
            if not text:
                continue
            try:
                values[attribute] = float(text)
            except ValueError as exc:
                raise BudgetConfigError(
                    f"--{option.replace('_', '-')} ({variable}) must be a number, not {text!r}"
                ) from exc
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Figures:
    """What a run measured, from locust's live stats or its CSV output."""

    requests: int
    failures: int
    over_budget: int
    """Requests slower than the request budget (each also counted in ``failures``)."""
    max_seconds: float
    p90_seconds: float
    p95_seconds: float
    p99_seconds: float

    @property
    def failure_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """PASS or FAIL, with one line per broken limit."""

    figures: Figures
    budget: Budget
    breaches: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return not self.breaches

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def summary(self) -> str:
        f, b = self.figures, self.budget
        measured = (
            f"{f.requests} requests, {f.failures} failed ({f.failure_ratio:.2%}), "
            f"p90 {f.p90_seconds:.3f} s, p95 {f.p95_seconds:.3f} s, p99 {f.p99_seconds:.3f} s, "
            f"max {f.max_seconds:.3f} s"
        )
        if self.passed:
            return (
                f"PASS: {measured}; within budget (each request < {b.request_seconds:g} s, "
                f"failures <= {b.max_failure_ratio:.0%}, p90 < {b.p90_seconds:g} s, "
                f"p95 < {b.p95_seconds:g} s, p99 < {b.p99_seconds:g} s)"
            )
        return f"FAIL: {'; '.join(self.breaches)} ({measured})"


def over_budget_message(budget_seconds: float, problem: str | None = None) -> str:
    """The failure text of a request over budget: stable, so failures group into one row.

    ``problem`` is what else was wrong with the request (an HTTP 500, an answer that
    cannot be decrypted), kept after a ``"; "`` for the health verdict.
    """
    message = f"{OVER_BUDGET_MARKER} of {budget_seconds:g} s"
    return f"{message}; {problem}" if problem else message


def judge(figures: Figures, budget: Budget) -> Verdict:
    """Every limit ``figures`` break, in a fixed order; none means the run passed."""
    breaches: list[str] = []
    if figures.requests == 0:
        breaches.append("no request was made: the endpoint was never exercised")
    over = max(figures.over_budget, 0)
    if over == 0 and figures.max_seconds > budget.request_seconds:
        over = 1  # the counter was lost (e.g. a CSV without failures) but the max tells
    if over:
        breaches.append(
            f"{over} request(s) over the {budget.request_seconds:g} s budget "
            f"(slowest {figures.max_seconds:.1f} s)"
        )
    if figures.failure_ratio > budget.max_failure_ratio:
        breaches.append(
            f"failure ratio {figures.failure_ratio:.2%} > {budget.max_failure_ratio:.2%} "
            f"({figures.failures} of {figures.requests})"
        )
    for name in ("p90", "p95", "p99"):
        measured = getattr(figures, f"{name}_seconds")
        limit = getattr(budget, f"{name}_seconds")
        if measured > limit:
            breaches.append(f"{name} {measured:.2f} s > {limit:.2f} s")
    return Verdict(figures, budget, tuple(breaches))
