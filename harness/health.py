"""Meta's endpoint health verdict, estimated from measured traffic: alerts, then the flow state.

    from harness.health import TrafficTally, assess

    tally = TrafficTally()
    tally.record("health_check", 0.120)
    tally.record("navigation", 4.2)
    tally.record("navigation", 0.300, error="unexpected_http_status_code")
    verdict = assess(tally.traffic(seconds=60))
    verdict.state, [r.event for r in verdict.alerts]   # FlowState.PUBLISHED, [...]
    print("\\n".join(verdict.lines()))

What Meta states, and where:

- The alerts (Flows webhooks reference, developers.facebook.com/documentation/
  business-messaging/whatsapp/flows/reference/flowswebhooks): ``ENDPOINT_ERROR_RATE``
  when the endpoint request error rate reaches 5, 10 or 50 % over 30 minutes;
  ``ENDPOINT_LATENCY`` when the p90 latency reaches 1, 5 or 7 s over 30 minutes;
  ``ENDPOINT_AVAILABILITY`` when availability goes below 90 % over 10 minutes;
  ``CLIENT_ERROR_RATE`` when the error rate of screen navigations on the client reaches
  5, 10 or 50 % over 60 minutes ("approximate as it's not available for all the client
  devices and regions"). Each is sent again (``DEACTIVATED``) when the metric recovers.
- The error types (Error codes reference, "Error types reported via webhook alerts or
  propagated back to endpoint", developers.facebook.com/docs/whatsapp/flows/reference/
  error-codes): on the endpoint ``timeout_error`` (no answer within 10 s),
  ``no_http_response_error``, ``unexpected_http_status_code``; on the client
  ``response-decryption-error``, ``invalid-screen-transition``, ``payload-schema-error``,
  ``business-decryption-error`` (421 even after a key refresh), ``public-key-missing``.
- The states (Flow health and monitoring guide, developers.facebook.com/documentation/
  business-messaging/whatsapp/flows/guides/healthmonitoring): PUBLISHED, no restriction;
  THROTTLED, sending restricted to 10 messages an hour (received flows still open);
  BLOCKED, no sending and sent flows no longer open. "You will receive multiple alert
  webhooks before the Flow becomes Throttled or Blocked"; deteriorating metrics move a
  flow to THROTTLED first and only further deterioration to BLOCKED; a recovering
  endpoint moves it back BLOCKED -> THROTTLED -> PUBLISHED, detected automatically.
  The Cloud API then refuses a send with 132069 (throttled, 10 already sent in the last
  hour) or 132068 (blocked).

What Meta does not state: which alert at which threshold throttles or blocks. This
module reads the three thresholds of an alert as warn, throttle, block (:data:`RULES`):
the first one only warns (several alerts come before a throttle), the second throttles,
the third blocks (reached through THROTTLED); availability below 90 % throttles. A
threshold counts as reached at the value itself ("reaches any of these thresholds"),
availability fires strictly below 90 %. Meta judges 10 to 60 minute windows: a run of
a few minutes is an estimate, and the verdict says so.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Any, Literal

from harness import _meta_docs as meta_docs

__all__ = [
    "CLIENT_ERRORS",
    "ENDPOINT_ERRORS",
    "RULES",
    "SOURCES",
    "AlertRule",
    "FlowState",
    "HealthVerdict",
    "Reading",
    "RequestKind",
    "Traffic",
    "TrafficTally",
    "assess",
    "error_for_status",
    "percentile",
]

SOURCES: dict[str, str] = {
    "alerts": meta_docs.WEBHOOKS.url,
    "states": meta_docs.HEALTH.url,
    "error types": meta_docs.ERROR_TYPES.url,
}
"""Meta's pages for the thresholds and windows, the flow states, and the error types."""

ENDPOINT_ERRORS = frozenset(
    {"timeout_error", "no_http_response_error", "unexpected_http_status_code"}
)
"""Error types that count in the endpoint error rate."""
CLIENT_ERRORS = frozenset(
    {
        "response-decryption-error",
        "business-decryption-error",
        "invalid-screen-transition",
        "payload-schema-error",
        "public-key-missing",
        "public-key-signiture-verification",  # Meta's spelling
    }
)
"""Error types the client reports for screen navigations (the client error rate)."""
_UNANSWERED = frozenset({"timeout_error", "no_http_response_error"})
_EXPECTED_STATUSES = frozenset({200, 421, 427, 432})

RequestKind = Literal["health_check", "navigation", "other"]
"""A health check (ping, sent by WhatsApp's servers), a navigation (INIT, data_exchange,
BACK: a person on a screen), or another request (an error notification)."""


class FlowState(StrEnum):
    PUBLISHED = "PUBLISHED"
    THROTTLED = "THROTTLED"
    BLOCKED = "BLOCKED"

    @property
    def rank(self) -> int:
        return _STATE_ORDER.index(self)

    @property
    def restriction(self) -> str:
        return _RESTRICTIONS[self]


_STATE_ORDER = (FlowState.PUBLISHED, FlowState.THROTTLED, FlowState.BLOCKED)
_RESTRICTIONS = {
    FlowState.PUBLISHED: "no restriction",
    FlowState.THROTTLED: "sending restricted to 10 flow messages an hour; people can still "
    "open the flows they received",
    FlowState.BLOCKED: "no new flow message can be sent, and sent ones no longer open",
}


def error_for_status(status: int | None, *, timed_out: bool = False) -> str | None:
    """Meta's error type for an HTTP answer (None: none, or an expected 200/427/432).

    No answer is ``timeout_error`` when the 10 s passed, else ``no_http_response_error``;
    421 is ``business-decryption-error`` (the client's retry after a key refresh is
    assumed to fail too); a status outside 200/421/427/432 is ``unexpected_http_status_code``.
    """
    if status is None or status == 0:
        return "timeout_error" if timed_out else "no_http_response_error"
    if status == 421:
        return "business-decryption-error"
    return None if status in _EXPECTED_STATUSES else "unexpected_http_status_code"


@dataclass(frozen=True)
class AlertRule:
    """One of Meta's endpoint health alerts, and the state each of its thresholds leads to."""

    event: str
    metric: str
    unit: Literal["%", "ms"]
    thresholds: tuple[int, ...]
    """In Meta's units, as the webhook's ``threshold`` carries them (percent, milliseconds)."""
    window_minutes: int
    states: tuple[FlowState, ...]
    """The state reaching each threshold leads to (flowharness's reading; see the module)."""
    below: bool = False
    """Fires when the metric goes below the threshold (availability), not when it reaches it."""

    def reached(self, value: Fraction) -> int | None:
        """The index of the highest threshold ``value`` reaches, or None."""
        hit = [
            i for i, t in enumerate(self.thresholds) if (value < t if self.below else value >= t)
        ]
        return (min(hit) if self.below else max(hit)) if hit else None

    def describe(self) -> str:
        scale = 1000 if self.unit == "ms" else 1
        unit = " s" if self.unit == "ms" else " %"
        limits = "/".join(f"{t / scale:g}" for t in self.thresholds) + unit
        when = f"below {limits}" if self.below else limits
        return f"{when} over {self.window_minutes} min"


_TIERS = (FlowState.PUBLISHED, FlowState.THROTTLED, FlowState.BLOCKED)
RULES: tuple[AlertRule, ...] = (
    AlertRule("ENDPOINT_ERROR_RATE", "endpoint request error rate", "%", (5, 10, 50), 30, _TIERS),
    AlertRule("ENDPOINT_LATENCY", "endpoint p90 latency", "ms", (1000, 5000, 7000), 30, _TIERS),
    AlertRule(
        "ENDPOINT_AVAILABILITY",
        "endpoint availability",
        "%",
        (90,),
        10,
        (FlowState.THROTTLED,),
        below=True,
    ),
    AlertRule("CLIENT_ERROR_RATE", "client request error rate", "%", (5, 10, 50), 60, _TIERS),
)
"""Meta's four endpoint health alerts (Flows webhooks reference), in the order reported."""


@dataclass(frozen=True)
class Traffic:
    """What a run measured of an endpoint: counts by Meta's error types, and latencies."""

    requests: int
    """Every request sent to the endpoint (health checks included)."""
    endpoint_errors: Mapping[str, int] = field(default_factory=dict)
    """Requests per endpoint error type (:data:`ENDPOINT_ERRORS`)."""
    navigations: int = 0
    """Requests a person's screen made (INIT, data_exchange, BACK)."""
    client_errors: Mapping[str, int] = field(default_factory=dict)
    """Navigations per client error type (:data:`CLIENT_ERRORS`)."""
    health_checks: int = 0
    health_checks_failed: int = 0
    """Health checks not answered ``{"data": {"status": "active"}}`` within 10 s."""
    p50_seconds: float | None = None
    p90_seconds: float | None = None
    seconds: float | None = None
    """How long the traffic lasted, for the estimate's caveat."""

    def __post_init__(self) -> None:
        counts = [self.requests, self.navigations, self.health_checks, self.health_checks_failed]
        counts += [*self.endpoint_errors.values(), *self.client_errors.values()]
        if any(not isinstance(n, int) or n < 0 for n in counts):
            raise ValueError(f"traffic counts must be integers >= 0: {self!r}")
        if sum(self.endpoint_errors.values()) > self.requests:
            raise ValueError("more endpoint errors than requests")
        if sum(self.client_errors.values()) > self.navigations:
            raise ValueError("more client errors than navigations")
        if self.health_checks_failed > self.health_checks:
            raise ValueError("more failed health checks than health checks")

    @property
    def endpoint_error_rate(self) -> Fraction | None:
        """Percent of requests with an endpoint error; None when nothing was sent."""
        return _percent(sum(self.endpoint_errors.values()), self.requests)

    @property
    def client_error_rate(self) -> Fraction | None:
        """Percent of navigations with a client error; None without navigations."""
        return _percent(sum(self.client_errors.values()), self.navigations)

    @property
    def availability(self) -> Fraction | None:
        """Percent of health checks answered correctly; without health checks, percent of
        requests that got an HTTP answer within 10 s."""
        if self.health_checks:
            return _percent(self.health_checks - self.health_checks_failed, self.health_checks)
        unanswered = sum(n for kind, n in self.endpoint_errors.items() if kind in _UNANSWERED)
        return _percent(self.requests - unanswered, self.requests)

    def value_of(self, rule: AlertRule) -> Fraction | None:
        """The measured metric an alert watches, in its unit; None when not measured."""
        if rule.event == "ENDPOINT_ERROR_RATE":
            return self.endpoint_error_rate
        if rule.event == "CLIENT_ERROR_RATE":
            return self.client_error_rate
        if rule.event == "ENDPOINT_AVAILABILITY":
            return self.availability
        if rule.event == "ENDPOINT_LATENCY":
            if self.p90_seconds is None or not self.requests:
                return None
            return Fraction(round(self.p90_seconds * 1000, 3))
        raise ValueError(f"no measure for {rule.event}")

    def errors_of(self, rule: AlertRule) -> dict[str, int]:
        if rule.event == "ENDPOINT_ERROR_RATE":
            return dict(self.endpoint_errors)
        if rule.event == "CLIENT_ERROR_RATE":
            return dict(self.client_errors)
        return {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "endpoint_errors": dict(self.endpoint_errors),
            "navigations": self.navigations,
            "client_errors": dict(self.client_errors),
            "health_checks": self.health_checks,
            "health_checks_failed": self.health_checks_failed,
            "p50_seconds": self.p50_seconds,
            "p90_seconds": self.p90_seconds,
            "seconds": self.seconds,
        }


def _percent(part: int, whole: int) -> Fraction | None:
    return Fraction(100 * part, whole) if whole else None


class TrafficTally:
    """Builds a :class:`Traffic` one request at a time (walks, scenario runs, tests)."""

    def __init__(self) -> None:
        self._latencies: list[float] = []
        self._endpoint: Counter[str] = Counter()
        self._client: Counter[str] = Counter()
        self._navigations = 0
        self._checks = 0
        self._checks_failed = 0

    def record(
        self,
        kind: RequestKind,
        seconds: float | None,
        error: str | None = None,
        *,
        failed: bool | None = None,
    ) -> None:
        """One request: its kind, how long it took, Meta's error type if it had one.

        ``error`` may be any outcome name: only Meta's error types count (``ok``,
        ``flow-token-invalid`` and the like do not). A client error on a health check
        counts for availability only: WhatsApp's servers, not a person, sent it.
        ``failed`` marks a health check not answered as it should be (default: it had
        an error).
        """
        error = str(error) if error is not None else None
        if seconds is not None:
            self._latencies.append(seconds)
        if error in ENDPOINT_ERRORS:
            self._endpoint[error] += 1
        if kind == "navigation":
            self._navigations += 1
            if error in CLIENT_ERRORS:
                self._client[error] += 1
        elif kind == "health_check":
            self._checks += 1
            bad = failed if failed is not None else error in ENDPOINT_ERRORS | CLIENT_ERRORS
            self._checks_failed += int(bad)

    def __len__(self) -> int:
        return len(self._latencies)

    def traffic(self, *, seconds: float | None = None) -> Traffic:
        return Traffic(
            requests=len(self._latencies),
            endpoint_errors=dict(self._endpoint),
            navigations=self._navigations,
            client_errors=dict(self._client),
            health_checks=self._checks,
            health_checks_failed=self._checks_failed,
            p50_seconds=percentile(self._latencies, 50),
            p90_seconds=percentile(self._latencies, 90),
            seconds=seconds,
        )


def percentile(values: list[float], rank: float) -> float | None:
    """The nearest-rank percentile (the smallest value with ``rank`` % at or below it)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(rank / 100 * len(ordered)) - 1)]


@dataclass(frozen=True)
class Reading:
    """One alert's reading: the measured value, and the threshold reached (None: quiet)."""

    rule: AlertRule
    value: Fraction | None
    """In the rule's unit; None when the run measured nothing it watches."""
    threshold: int | None = None
    state: FlowState = FlowState.PUBLISHED
    errors: Mapping[str, int] = field(default_factory=dict)

    @property
    def event(self) -> str:
        return self.rule.event

    @property
    def fires(self) -> bool:
        return self.threshold is not None

    def line(self) -> str:
        rule = self.rule
        if self.value is None:
            shown = "not measured (no screen navigation)" if "CLIENT" in rule.event else "n/a"
            return f"{rule.event:<22} {shown}"
        measured = f"{rule.metric} {_in_unit(self.value, rule.unit, exact=True)}"
        if self.threshold is None:
            return f"{rule.event:<22} quiet: {measured} ({rule.describe()})"
        errors = ", ".join(f"{kind} x{count}" for kind, count in _by_count(self.errors))
        why = f"; {errors}" if errors else ""
        threshold = _in_unit(self.threshold, rule.unit)
        reached = "below" if rule.below else "at"
        leads = f"-> {self.state}"
        if self.state is FlowState.PUBLISHED:
            worse = [
                (state, t)
                for state, t in zip(rule.states, rule.thresholds, strict=True)
                if state is not FlowState.PUBLISHED
            ]
            leads = "warns" + (
                f"; {worse[0][0]} from {_in_unit(worse[0][1], rule.unit)}" if worse else ""
            )
        return (
            f"{rule.event:<22} ACTIVATED {reached} {threshold}: {measured}{why} "
            f"({rule.describe()}) {leads}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "alert_state": "ACTIVATED" if self.fires else None,
            "threshold": self.threshold,
            "value": None if self.value is None else round(float(self.value), 3),
            "unit": self.rule.unit,
            "thresholds": list(self.rule.thresholds),
            "window_minutes": self.rule.window_minutes,
            "leads_to": str(self.state) if self.fires else None,
            "errors": dict(self.errors),
        }


@dataclass(frozen=True)
class HealthVerdict:
    """Every alert's reading and the flow state that would follow, with Meta's sources."""

    traffic: Traffic
    readings: tuple[Reading, ...]
    state: FlowState

    @property
    def alerts(self) -> tuple[Reading, ...]:
        """The readings whose alert fires."""
        return tuple(r for r in self.readings if r.fires)

    @property
    def measured(self) -> bool:
        return self.traffic.requests > 0

    @property
    def passed(self) -> bool:
        """The flow stays PUBLISHED (alerts at their first threshold only warn)."""
        return self.state is FlowState.PUBLISHED

    @property
    def path(self) -> tuple[FlowState, ...]:
        """The states the flow goes through from PUBLISHED: one step at a time, as Meta says."""
        return _STATE_ORDER[: self.state.rank + 1]

    def reading(self, event: str) -> Reading:
        return next(r for r in self.readings if r.event == event)

    def headline(self) -> str:
        if not self.measured:
            return "nothing measured: no request reached the endpoint"
        fired = ", ".join(
            f"{r.event} at {_in_unit(r.threshold or 0, r.rule.unit)}" for r in self.alerts
        )
        if self.state is FlowState.PUBLISHED:
            warned = f" (alerts: {fired}; the first threshold only warns)" if fired else ""
            return f"the flow stays PUBLISHED{warned}"
        via = f" via {' -> '.join(self.path)}" if self.state is FlowState.BLOCKED else ""
        return f"the flow would be {self.state}{via}: {self.state.restriction} ({fired})"

    def caveat(self) -> str:
        took = f" in {_duration(self.traffic.seconds)}" if self.traffic.seconds else ""
        return (
            f"an estimate from {self.traffic.requests} request(s){took}: Meta judges windows "
            "of 10 to 60 minutes, so a short run only shows where the endpoint is heading"
        )

    def lines(self) -> list[str]:
        """The verdict for a terminal: the headline, each alert, the state rules, sources."""
        lines = [self.headline(), f"  {self.caveat()}"]
        if self.measured:
            lines += [f"  {reading.line()}" for reading in self.readings]
        if self.state is not FlowState.PUBLISHED:
            lines.append(
                "  recovery: once the metrics recover Meta moves the flow back one state at a "
                "time (BLOCKED -> THROTTLED -> PUBLISHED), on its own"
            )
        lines.append(
            "  states: first threshold warns, second throttles, third blocks, availability "
            "below 90 % throttles (flowharness's reading: Meta does not say which alert at "
            "which threshold throttles or blocks)"
        )
        lines.append(f"  sources: {SOURCES['alerts']} ; {SOURCES['states']}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": str(self.state),
            "passed": self.passed,
            "path": [str(s) for s in self.path],
            "restriction": self.state.restriction,
            "alerts": [r.event for r in self.alerts],
            "readings": [r.to_dict() for r in self.readings],
            "traffic": self.traffic.to_dict(),
            "estimate": self.caveat(),
            "sources": dict(SOURCES),
        }


def assess(traffic: Traffic) -> HealthVerdict:
    """Which of Meta's alerts the traffic would fire, and the flow state that follows."""
    readings: list[Reading] = []
    for rule in RULES:
        value = traffic.value_of(rule)
        index = None if value is None else rule.reached(value)
        if index is None:
            readings.append(Reading(rule, value))
            continue
        readings.append(
            Reading(
                rule,
                value,
                threshold=rule.thresholds[index],
                state=rule.states[index],
                errors=traffic.errors_of(rule),
            )
        )
    state = max((r.state for r in readings), key=lambda s: s.rank, default=FlowState.PUBLISHED)
    return HealthVerdict(traffic, tuple(readings), state)


def _in_unit(value: float | Fraction, unit: str, *, exact: bool = False) -> str:
    if unit == "ms":
        if exact and value < 1000:
            return f"{float(value):.0f} ms"
        return f"{float(value) / 1000:.2f} s" if exact else f"{float(value) / 1000:g} s"
    return f"{float(value):.1f} %" if exact else f"{float(value):g} %"


def _by_count(errors: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(errors.items(), key=lambda item: (-item[1], item[0]))


def _duration(seconds: float) -> str:
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"
