"""Idempotent submissions: a repeat within the window gets the first answer and does nothing.

A submission's answer lives in ``<prefix>:idem:<key>`` for the window
(``idempotency_ttl_seconds``, default 5 minutes). :meth:`Idempotency.queue_once` queues
the lead and stores the answer in one Redis script, unless the key exists: one round
trip, and nothing between the check and the write.

When something else must happen between the check and the answer (the lead goes to the
local spool), the first request claims the key with ``SET NX`` and a pending marker,
then stores its answer in the same key: the claim and the answer are one key, so the
answer lives exactly as long as the claim. Repeats that find the marker poll until the
answer is stored. If the first request fails, the marker is removed and a waiting
repeat takes over.

The key is the phone number (from the flow token) and the normalised submission: the
same form sent from two phones is two leads.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from typing import Any

import redis.asyncio as aioredis

from reference_server._queue import PENDING as _PENDING
from reference_server._queue import PENDING_TTL_SECONDS as _PENDING_TTL_SECONDS
from reference_server._queue import LeadQueue
from reference_server.exceptions import ReferenceServerError

_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


class DuplicateInFlightError(ReferenceServerError):
    """The same request is still being handled elsewhere; the client should retry."""


def idempotency_key(phone: str, payload: dict[str, Any]) -> str:
    """sha256 of the phone number and the normalised payload (keys sorted, strings trimmed)."""

    def normalise(value: Any) -> Any:
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, dict):
            return {k: normalise(v) for k, v in value.items()}
        if isinstance(value, list):
            return [normalise(v) for v in value]
        return value

    relevant = {k: payload.get(k) for k in ("action", "screen", "data")}
    canonical = _CANONICAL([phone, normalise(relevant)])
    # surrogatepass: a lone surrogate still hashes (the endpoint replaces them before this)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


class Idempotency:
    """Claims, answers and releases submissions in Redis (see the module docstring)."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        prefix: str = "leads",
        ttl_seconds: int = 300,
        wait_seconds: float = 2.0,
        poll_seconds: float = 0.02,
    ):
        self._redis = redis
        self._prefix = prefix
        self.ttl_seconds = ttl_seconds
        self._wait = wait_seconds
        self._poll = poll_seconds

    def name(self, key: str) -> str:
        """The Redis key of a submission."""
        return f"{self._prefix}:idem:{key}"

    async def claim(self, key: str) -> dict[str, Any] | None:
        """None: this request now owns ``key`` and must :meth:`store` or :meth:`release`.
        Otherwise the answer stored by the first request (waiting for it a little);
        :class:`DuplicateInFlightError` when the first is still running after the wait."""
        name = self.name(key)
        deadline = time.monotonic() + self._wait
        while True:
            pending_ttl = min(self.ttl_seconds, _PENDING_TTL_SECONDS)
            if await self._redis.set(name, _PENDING, nx=True, ex=pending_ttl):
                return None
            stored = await self._redis.get(name)
            if stored is not None and stored != _PENDING:
                return dict(json.loads(stored))
            if time.monotonic() > deadline:
                raise DuplicateInFlightError(
                    "an identical request is still being handled; try again in a moment"
                )
            if stored is not None:
                await asyncio.sleep(self._poll)

    async def store(self, key: str, answer: dict[str, Any]) -> None:
        """The answer of a claimed submission, for the whole window."""
        await self._redis.set(self.name(key), json.dumps(answer), ex=self.ttl_seconds)

    async def queue_once(
        self, key: str, queue: LeadQueue, lead: dict[str, Any], answer: dict[str, Any]
    ) -> dict[str, Any] | None:
        """None: ``lead`` is queued and ``answer`` stored, in one step. Otherwise the answer
        of an earlier copy (waiting a little for one still being handled, as :meth:`claim`
        does), and nothing was queued."""
        value = json.dumps(answer)
        deadline = time.monotonic() + self._wait
        while True:
            queued, stored = await queue.enqueue_unless_answered(
                lead, (self.name(key), value, self.ttl_seconds * 1000)
            )
            if queued:
                return None
            if stored != _PENDING:
                return dict(json.loads(stored))
            if time.monotonic() > deadline:
                raise DuplicateInFlightError(
                    "an identical request is still being handled; try again in a moment"
                )
            await asyncio.sleep(self._poll)

    async def release(self, key: str) -> None:
        """Give up a claim (the request failed): a waiting repeat takes over."""
        await self._redis.delete(self.name(key))
