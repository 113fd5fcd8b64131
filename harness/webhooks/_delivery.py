"""Deliver notifications to a team's webhook receiver the way Meta does, and verify it.

Meta signs the raw body with the app secret (``X-Hub-Signature-256``), counts only an
HTTP 200 as delivered, and retries anything else with decreasing frequency (for up to
36 hours per the Graph API webhooks docs; the Cloud API docs say 7 days). Every retry
carries the same bytes, so the same message id and signature: a receiver must
deduplicate. Here the backoff is configurable and short by default, so a test of the
receiver's retry and dedup handling takes seconds, not hours.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from tenacity import (
    AsyncRetrying,
    Retrying,
    retry_if_result,
    stop_after_attempt,
    wait_exponential,
)

from harness.crypto import SIGNATURE_HEADER, sign_body
from harness.webhooks._exceptions import WebhookError

__all__ = ["Attempt", "Delivery", "Verification", "WebhookSender"]

Signature = Literal["valid", "bad", "missing"]
USER_AGENT = "facebookexternalua"  # the agent Meta's webhook requests carry
_BODY_LIMIT = 500


@dataclass
class Attempt:
    """One POST (or GET) to the receiver and what it answered."""

    number: int
    status: int | None
    body: str
    elapsed: float
    at: float
    """Seconds after the first attempt started."""
    error: str | None = None
    duplicate: bool = False
    """A deliberate redelivery after a 200, as Meta sometimes does."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "status": self.status,
            "body": self.body,
            "elapsed": self.elapsed,
            "at": self.at,
            "error": self.error,
            "duplicate": self.duplicate,
        }

    def describe(self) -> str:
        what = f"{self.status}" if self.status is not None else f"no answer ({self.error})"
        body = f" {self.body[:80]!r}" if self.body else ""
        kind = "redelivery" if self.duplicate else f"attempt {self.number}"
        return f"{kind} at +{self.at:.2f} s: {what}{body} in {self.elapsed * 1000:.0f} ms"


@dataclass
class Delivery:
    """A notification and every attempt to deliver it."""

    url: str
    body: bytes
    signature: str | None
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        """True when an attempt (not counting redeliveries) was answered 200."""
        return any(a.status == 200 for a in self.attempts if not a.duplicate)

    @property
    def statuses(self) -> list[int | None]:
        return [a.status for a in self.attempts]

    @property
    def payload(self) -> Any:
        return json.loads(self.body)

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "delivered": self.delivered,
            "statuses": self.statuses,
            "signature": self.signature,
            "payload": self.payload,
            "attempts": [a.to_dict() for a in self.attempts],
        }


@dataclass
class Verification:
    """Meta's verification GET, and the same with a wrong token (which must be refused)."""

    url: str
    challenge: str
    attempt: Attempt
    wrong_token: Attempt

    @property
    def echoed(self) -> bool:
        return self.attempt.status == 200 and self.attempt.body.strip() == self.challenge

    @property
    def refused_wrong_token(self) -> bool:
        return not (
            self.wrong_token.status == 200 and self.wrong_token.body.strip() == self.challenge
        )

    @property
    def passed(self) -> bool:
        return self.echoed and self.refused_wrong_token

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "challenge": self.challenge,
            "passed": self.passed,
            "echoed": self.echoed,
            "refused_wrong_token": self.refused_wrong_token,
            "attempt": self.attempt.to_dict(),
            "wrong_token": self.wrong_token.to_dict(),
        }


class WebhookSender:
    """Posts signed notifications to ``url`` with Meta's retry behaviour.

    ``retries`` extra attempts after a non-200 (or no answer), waiting ``backoff``
    seconds, then ``backoff * factor``, ... up to ``max_backoff``. ``transport`` may be
    an httpx transport (e.g. ``ASGITransport(app)`` for a receiver in-process).
    """

    def __init__(
        self,
        url: str,
        app_secret: str | None,
        *,
        retries: int = 3,
        backoff: float = 0.5,
        factor: float = 2.0,
        max_backoff: float = 60.0,
        timeout: float = 10.0,
        signature: Signature = "valid",
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if retries < 0:
            raise WebhookError("retries must be 0 or more")
        if backoff < 0 or factor < 1:
            raise WebhookError("backoff must be >= 0 and factor >= 1")
        if signature == "valid" and not app_secret:
            raise WebhookError(
                "no app secret: Meta signs every notification with it (X-Hub-Signature-256)"
            )
        self.url = url
        self.app_secret = app_secret
        self.retries = retries
        self.backoff = backoff
        self.factor = factor
        self.max_backoff = max_backoff
        self.timeout = timeout
        self.signature = signature
        self.transport = transport

    # -- building ------------------------------------------------------------------------

    def prepare(self, notification: Mapping[str, Any] | bytes) -> Delivery:
        """The exact bytes and signature every attempt of this notification will carry."""
        body = (
            notification
            if isinstance(notification, bytes)
            else json.dumps(notification, ensure_ascii=False).encode()
        )
        signature: str | None
        if self.signature == "missing":
            signature = None
        elif self.signature == "bad":
            signature = sign_body(body, "not-the-app-secret")
        else:
            signature = sign_body(body, self.app_secret or "")
        return Delivery(self.url, body, signature)

    def _headers(self, delivery: Delivery) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if delivery.signature is not None:
            headers[SIGNATURE_HEADER] = delivery.signature
        return headers

    def _retrying(self) -> dict[str, Any]:
        return {
            "stop": stop_after_attempt(self.retries + 1),
            "wait": wait_exponential(
                multiplier=self.backoff,
                exp_base=self.factor,
                min=self.backoff,
                max=self.max_backoff,
            ),
            "retry": retry_if_result(lambda status: status != 200),
            "retry_error_callback": lambda state: state.outcome.result() if state.outcome else None,
        }

    # -- sync ----------------------------------------------------------------------------

    def deliver(self, notification: Mapping[str, Any] | bytes, *, duplicates: int = 0) -> Delivery:
        """Post until answered 200 or out of retries; then ``duplicates`` redeliveries."""
        delivery = self.prepare(notification)
        started = time.perf_counter()
        with httpx.Client(transport=self._sync_transport(), timeout=self.timeout) as http:

            def once(duplicate: bool = False) -> int | None:
                return self._record(delivery, started, duplicate, lambda: http.post(
                    self.url, content=delivery.body, headers=self._headers(delivery)
                ))  # fmt: skip

            Retrying(**self._retrying())(once)
            if delivery.delivered:
                for _ in range(duplicates):
                    once(duplicate=True)
        return delivery

    def verify(self, verify_token: str, *, challenge: str | None = None) -> Verification:
        """Meta's subscription check: ``GET ?hub.mode=subscribe&hub.challenge&hub.verify_token``."""
        challenge = challenge or str(secrets.randbelow(9 * 10**9) + 10**9)
        started = time.perf_counter()
        results = []
        with httpx.Client(transport=self._sync_transport(), timeout=self.timeout) as http:
            for number, token in enumerate((verify_token, verify_token + "-wrong"), 1):
                params = _hub(challenge, token)
                results.append(
                    _attempt(number, started, lambda p=params: http.get(self.url, params=p))
                )
        return Verification(self.url, challenge, results[0], results[1])

    # -- async ---------------------------------------------------------------------------

    async def adeliver(
        self, notification: Mapping[str, Any] | bytes, *, duplicates: int = 0
    ) -> Delivery:
        """:meth:`deliver` for async code (scenarios, async tests)."""
        delivery = self.prepare(notification)
        started = time.perf_counter()
        async with httpx.AsyncClient(
            transport=self._async_transport(), timeout=self.timeout
        ) as http:

            async def once(duplicate: bool = False) -> int | None:
                began = time.perf_counter()
                try:
                    response = await http.post(
                        self.url, content=delivery.body, headers=self._headers(delivery)
                    )
                except httpx.HTTPError as exc:
                    return _add(delivery, _failed(len(delivery.attempts) + 1, started, began, exc),
                                duplicate)  # fmt: skip
                attempt = _answered(len(delivery.attempts) + 1, started, began, response)
                return _add(delivery, attempt, duplicate)

            await AsyncRetrying(**self._retrying())(once)
            if delivery.delivered:
                for _ in range(duplicates):
                    await once(duplicate=True)
        return delivery

    async def averify(self, verify_token: str, *, challenge: str | None = None) -> Verification:
        """:meth:`verify` for async code."""
        challenge = challenge or str(secrets.randbelow(9 * 10**9) + 10**9)
        started = time.perf_counter()
        results = []
        async with httpx.AsyncClient(
            transport=self._async_transport(), timeout=self.timeout
        ) as http:
            for number, token in enumerate((verify_token, verify_token + "-wrong"), 1):
                began = time.perf_counter()
                try:
                    response = await http.get(self.url, params=_hub(challenge, token))
                except httpx.HTTPError as exc:
                    results.append(_failed(number, started, began, exc))
                    continue
                results.append(_answered(number, started, began, response))
        return Verification(self.url, challenge, results[0], results[1])

    def _sync_transport(self) -> httpx.BaseTransport | None:
        if self.transport is None or isinstance(self.transport, httpx.BaseTransport):
            return self.transport
        raise WebhookError("an async transport needs adeliver()/averify()")

    def _async_transport(self) -> httpx.AsyncBaseTransport | None:
        if self.transport is None or isinstance(self.transport, httpx.AsyncBaseTransport):
            return self.transport
        raise WebhookError("a sync transport needs deliver()/verify()")

    def _record(self, delivery: Delivery, started: float, duplicate: bool, call: Any) -> int | None:
        attempt = _attempt(len(delivery.attempts) + 1, started, call)
        return _add(delivery, attempt, duplicate)


def _hub(challenge: str, token: str) -> dict[str, str]:
    return {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": token}


def _add(delivery: Delivery, attempt: Attempt, duplicate: bool) -> int | None:
    attempt.duplicate = duplicate
    delivery.attempts.append(attempt)
    return attempt.status


def _attempt(number: int, started: float, call: Any) -> Attempt:
    began = time.perf_counter()
    try:
        response = call()
    except httpx.HTTPError as exc:
        return _failed(number, started, began, exc)
    return _answered(number, started, began, response)


def _answered(number: int, started: float, began: float, response: httpx.Response) -> Attempt:
    now = time.perf_counter()
    text = response.text
    return Attempt(number, response.status_code, text[:_BODY_LIMIT], now - began, began - started)


def _failed(number: int, started: float, began: float, exc: Exception) -> Attempt:
    now = time.perf_counter()
    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return Attempt(number, None, "", now - began, began - started, error=reason)
