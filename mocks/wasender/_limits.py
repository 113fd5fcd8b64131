"""WASenderApi's send-message rate limits, per session API key, as its docs state them.

Documented (wasenderapi.com/api-docs/rate-limits/understanding-rate-limits):
trial plan 1 request a minute and 50 a day; paid plans 256 a minute; "account
protection" (any plan) 1 request every 5 seconds. Every answer carries
``X-RateLimit-Limit``, ``X-RateLimit-Remaining`` and ``X-RateLimit-Reset`` (a
Unix timestamp in seconds); a refusal is 429 ``{"message": ..., "retry_after":
seconds}``, the trial's message quoted from the docs.

Guessed (not documented): the window slides over accepted sends (refused ones
do not count); the day is the UTC calendar day; the paid, protection and daily
messages; ``Retry-After`` sent as a header too (the official SDKs read it).
``unlimited`` is no WASender plan: the mock's own, for runs where limits are not
the subject (no rate-limit headers).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from mocks._core import RateLimitAnswer, RateLimitFault
from mocks.wasender.exceptions import WasenderApiError

__all__ = ["PLANS", "Plan", "PlanName", "RateWindow", "rate_limit_answer"]

PlanName = Literal["trial", "paid", "protected", "unlimited"]


@dataclass(frozen=True)
class Plan:
    """At most ``limit`` sends in any ``window`` seconds (and ``daily`` a UTC day)."""

    limit: int | None
    window: int
    message: str
    daily: int | None = None

    def refusal(self, retry_after: int, headers: dict[str, str]) -> WasenderApiError:
        body = {"message": self.message, "retry_after": retry_after}
        return WasenderApiError(429, body, {**headers, "Retry-After": str(retry_after)})


TRIAL_MESSAGE = "You are on a free trial. You can only send 1 message every 1 minute."
DAILY_MESSAGE = "You have reached the daily limit of 50 messages on the free trial."

PLANS: dict[str, Plan] = {
    "trial": Plan(1, 60, TRIAL_MESSAGE, daily=50),
    "paid": Plan(256, 60, "Too many requests. You can only send 256 messages every 1 minute."),
    "protected": Plan(
        1, 5, "Account protection is enabled. You can only send 1 message every 5 seconds."
    ),
    "unlimited": Plan(None, 60, ""),
}
"""plan name -> its limits (``protected``: account protection on, whatever the plan)."""


@dataclass
class RateWindow:
    """One session's accepted sends, to check the next one against its plan."""

    sent: deque[float] = field(default_factory=deque)
    day: str = ""
    today: int = 0

    def admit(self, plan: Plan, now: float) -> dict[str, str]:
        """Count a send at ``now`` and return its rate-limit headers, or raise the 429."""
        if plan.limit is None:
            return {}
        while self.sent and self.sent[0] <= now - plan.window:
            self.sent.popleft()
        day = datetime.fromtimestamp(now, UTC).date().isoformat()
        if day != self.day:
            self.day, self.today = day, 0
        if len(self.sent) >= plan.limit:
            reset = self.sent[0] + plan.window
            headers = _headers(plan.limit, 0, reset)
            raise plan.refusal(max(1, math.ceil(reset - now)), headers)
        if plan.daily is not None and self.today >= plan.daily:
            midnight = (math.floor(now / 86400) + 1) * 86400
            daily = Plan(plan.daily, 86400, DAILY_MESSAGE)
            raise daily.refusal(math.ceil(midnight - now), _headers(plan.daily, 0, midnight))
        self.sent.append(now)
        self.today += 1
        return _headers(plan.limit, plan.limit - len(self.sent), self.sent[0] + plan.window)

    def reset(self) -> None:
        self.sent.clear()
        self.day, self.today = "", 0


def _headers(limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(remaining, 0)),
        "X-RateLimit-Reset": str(math.ceil(reset)),
    }


def rate_limit_answer(plan: Plan, fault: RateLimitFault, now: float) -> RateLimitAnswer:
    """A ``rate_limit`` fault answered as the plan's 429 (the trial's when it has none)."""
    shown = plan if plan.limit is not None else PLANS["trial"]
    body: dict[str, Any] = {"message": shown.message, "retry_after": fault.retry_after}
    headers = _headers(shown.limit or 1, 0, now + fault.retry_after)
    return RateLimitAnswer(headers=headers, body=body)
