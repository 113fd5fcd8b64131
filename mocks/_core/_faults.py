"""Faults: a closed set of misbehaviours a mock can show, and the rules that apply them.

A :class:`FaultRule` attaches one fault to a route pattern (method + path glob)
or to the whole service, and fires always, for the next ``times`` matching
calls, or with ``probability`` drawn from the service's seeded RNG (or both:
the next ``times`` firings, each with probability ``p``).

``latency`` delays the call and lets it go on; every other kind replaces the
answer (a "terminal" fault). On one call all firing latency faults add up and
at most one terminal fault applies: the first rule in insertion order.
"""

from __future__ import annotations

import fnmatch
import itertools
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "ConnectionResetFault",
    "EmptyResponseFault",
    "Fault",
    "FaultBook",
    "FaultPlan",
    "FaultRule",
    "LatencyFault",
    "MalformedBodyFault",
    "RateLimitFault",
    "StatusFault",
    "TerminalFault",
]

# One fault may not hang a test run for long: cap delays.
MAX_LATENCY_SECONDS = 120.0

_Body = str | dict[str, Any] | list[Any] | None


class _FaultModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LatencyFault(_FaultModel):
    """Wait ``seconds``, or a uniform draw in [``min_seconds``, ``max_seconds``], then answer."""

    kind: Literal["latency"] = "latency"
    seconds: float | None = Field(None, ge=0, le=MAX_LATENCY_SECONDS)
    min_seconds: float | None = Field(None, ge=0, le=MAX_LATENCY_SECONDS)
    max_seconds: float | None = Field(None, ge=0, le=MAX_LATENCY_SECONDS)

    @model_validator(mode="after")
    def _one_shape(self) -> LatencyFault:
        fixed = self.seconds is not None
        ranged = self.min_seconds is not None and self.max_seconds is not None
        partial = (self.min_seconds is None) != (self.max_seconds is None)
        if fixed == ranged or partial:
            raise ValueError("give either seconds, or both min_seconds and max_seconds")
        if ranged and self.min_seconds > self.max_seconds:  # type: ignore[operator]
            raise ValueError("min_seconds must be <= max_seconds")
        return self

    def delay(self, rng: random.Random) -> float:
        if self.seconds is not None:
            return self.seconds
        return rng.uniform(self.min_seconds, self.max_seconds)  # type: ignore[arg-type]


class StatusFault(_FaultModel):
    """Answer ``status`` with ``body`` (JSON when a dict or list) and ``headers``."""

    kind: Literal["status"] = "status"
    status: int = Field(..., ge=100, le=599)
    body: _Body = None
    headers: dict[str, str] = Field(default_factory=dict)


class ConnectionResetFault(_FaultModel):
    """Drop the connection without any response: clients get a transport error."""

    kind: Literal["connection_reset"] = "connection_reset"


class EmptyResponseFault(_FaultModel):
    """Answer ``status`` (200) with an empty body."""

    kind: Literal["empty_response"] = "empty_response"
    status: int = Field(200, ge=100, le=599)


class MalformedBodyFault(_FaultModel):
    """Answer ``status`` (200) with a body that does not parse (truncated JSON by default)."""

    kind: Literal["malformed_body"] = "malformed_body"
    status: int = Field(200, ge=100, le=599)
    body: str = '{"id": "12345", "status": "ok", "data": {"name": '
    content_type: str = "application/json"


class RateLimitFault(_FaultModel):
    """Answer 429 with ``Retry-After`` plus the service's own rate-limit headers."""

    kind: Literal["rate_limit"] = "rate_limit"
    retry_after: int = Field(1, ge=0)
    status: int = Field(429, ge=400, le=599)
    body: _Body = None
    headers: dict[str, str] = Field(default_factory=dict)


Fault = Annotated[
    LatencyFault
    | StatusFault
    | ConnectionResetFault
    | EmptyResponseFault
    | MalformedBodyFault
    | RateLimitFault,
    Field(discriminator="kind"),
]
"""Any fault; the ``kind`` field picks the model."""

TerminalFault = (
    StatusFault | ConnectionResetFault | EmptyResponseFault | MalformedBodyFault | RateLimitFault
)
"""The faults that replace the answer (every kind but latency)."""


class FaultRule(BaseModel):
    """A fault and when to apply it. ``id`` and ``fired`` are filled in by the mock."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    fault: Fault
    method: str | None = None
    path: str | None = Field(None, description="fnmatch glob on the path; None: every path")
    times: int | None = Field(None, ge=1, description="apply to the next N matching calls")
    probability: float = Field(1.0, ge=0.0, le=1.0)
    fired: int = 0

    @property
    def remaining(self) -> int | None:
        return None if self.times is None else max(self.times - self.fired, 0)

    def applies_to(self, method: str, path: str) -> bool:
        if self.remaining == 0:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or fnmatch.fnmatchcase(path, self.path)


@dataclass
class FaultPlan:
    """What to do to one call: wait ``delay`` seconds, then answer with ``fault`` if any."""

    delay: float = 0.0
    fault: TerminalFault | None = None
    kinds: list[str] = field(default_factory=list)


class FaultBook:
    """The fault rules of one service, drawing chances from the backend's RNG."""

    def __init__(self, rng: Callable[[], random.Random]) -> None:
        self._rng = rng
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            stored = rule.model_copy(update={"id": f"fault-{next(self._ids)}", "fired": 0})
            self._rules.append(stored)
            return stored.model_copy()

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return [rule.model_copy() for rule in self._rules]

    def remove(self, rule_id: str) -> FaultRule | None:
        with self._lock:
            for index, rule in enumerate(self._rules):
                if rule.id == rule_id:
                    return self._rules.pop(index)
        return None

    def clear(self) -> int:
        with self._lock:
            removed = len(self._rules)
            self._rules.clear()
            self._ids = itertools.count(1)
            return removed

    def plan(self, method: str, path: str) -> FaultPlan:
        """Decide the faults for one call, counting the rules that fire."""
        plan = FaultPlan()
        with self._lock:
            for rule in self._rules:
                terminal = not isinstance(rule.fault, LatencyFault)
                if (terminal and plan.fault is not None) or not rule.applies_to(method, path):
                    continue
                if not self._fires(rule.probability):
                    continue
                rule.fired += 1
                plan.kinds.append(rule.fault.kind)
                if isinstance(rule.fault, LatencyFault):
                    plan.delay += rule.fault.delay(self._rng())
                else:
                    plan.fault = rule.fault
        return plan

    def _fires(self, probability: float) -> bool:
        # Only draw for real chances, so p=0 and p=1 rules leave the id stream alone.
        if probability >= 1.0:
            return True
        if probability <= 0.0:
            return False
        return self._rng().random() < probability
