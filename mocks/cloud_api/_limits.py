"""Cloud API throttling answers: Graph error bodies and usage headers for ``rate_limit`` faults.

A bare ``RateLimitFault`` answers like a throughput limit (code 130429) with the
usage header below; :func:`rate_limit_fault` (or ``CloudApiAdmin.throttle``)
picks another kind.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from mocks._core import RateLimitAnswer, RateLimitFault

__all__ = [
    "RATE_LIMITS",
    "RateLimitKind",
    "graph_rate_limit",
    "rate_limit_body",
    "rate_limit_fault",
    "usage_headers",
]

RateLimitKind = Literal["throughput", "account", "pair"]

RATE_LIMITS: dict[str, tuple[int, str, str]] = {
    "throughput": (130429, "Rate limit hit", "Cloud API message throughput has been reached."),
    "account": (
        80007,
        "Rate limit issues",
        "The WhatsApp Business Account has reached its rate limit.",
    ),
    "pair": (
        131056,
        "(Business Account, Consumer Account) pair rate limit hit",
        "Too many messages sent from this phone number to the same phone number in a short period.",
    ),
}
"""kind -> (Graph error code, error message, details)."""


def rate_limit_body(
    kind: RateLimitKind = "throughput", *, fbtrace_id: str = "AmockRateLimit"
) -> dict[str, Any]:
    """The Graph error body Meta sends when a limit of this ``kind`` is hit."""
    if kind not in RATE_LIMITS:
        raise ValueError(f"rate limit kind must be one of {sorted(RATE_LIMITS)}, got {kind!r}")
    code, message, details = RATE_LIMITS[kind]
    return {
        "error": {
            "message": f"(#{code}) {message}",
            "type": "OAuthException",
            "code": code,
            "error_data": {"messaging_product": "whatsapp", "details": details},
            "fbtrace_id": fbtrace_id,
        }
    }


def rate_limit_fault(
    kind: RateLimitKind = "throughput", *, retry_after: int = 1, status: int = 429
) -> RateLimitFault:
    """A ``rate_limit`` fault answering like the Cloud API (error code per ``kind``)."""
    return RateLimitFault(retry_after=retry_after, status=status, body=rate_limit_body(kind))


def usage_headers(fault: RateLimitFault) -> dict[str, str]:
    """``X-Business-Use-Case-Usage`` as Graph sends it once a business is throttled."""
    minutes = max(1, -(-fault.retry_after // 60))  # Graph counts whole minutes
    usage = {
        "mock-waba": [
            {
                "type": "whatsapp_business_management",
                "call_count": 100,
                "total_cputime": 100,
                "total_time": 100,
                "estimated_time_to_regain_access": minutes,
            }
        ]
    }
    return {"X-Business-Use-Case-Usage": json.dumps(usage, separators=(",", ":"))}


def graph_rate_limit(fault: RateLimitFault) -> RateLimitAnswer:
    """The ``rate_limit`` fault hook: the usage header and a throughput-limit body."""
    return RateLimitAnswer(headers=usage_headers(fault), body=rate_limit_body("throughput"))
