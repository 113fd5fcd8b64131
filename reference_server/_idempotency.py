"""Idempotent requests: a repeat within the window gets the first answer and does nothing.

The first request claims the key with ``SET NX`` and a pending marker; concurrent
repeats poll until the answer is stored. If the first request fails, the marker is
removed and a waiting repeat takes over.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis

from reference_server.exceptions import ReferenceServerError

_PENDING = "__pending__"
_PENDING_TTL_SECONDS = 30  # a crashed first request blocks its repeats no longer than this


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
    canonical = json.dumps(
        [phone, normalise(relevant)], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class Idempotency:
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
        self._ttl = ttl_seconds
        self._wait = wait_seconds
        self._poll = poll_seconds

    async def run(
        self, key: str, compute: Callable[[], Awaitable[dict[str, Any]]]
    ) -> tuple[dict[str, Any], bool]:
        """``(answer, replayed)``: the stored answer for ``key``, or ``compute()``'s, stored."""
        name = f"{self._prefix}:idem:{key}"
        deadline = time.monotonic() + self._wait
        while True:
            if await self._redis.set(
                name, _PENDING, nx=True, ex=min(self._ttl, _PENDING_TTL_SECONDS)
            ):
                try:
                    answer = await compute()
                except BaseException:
                    await self._redis.delete(name)
                    raise
                await self._redis.set(name, json.dumps(answer), ex=self._ttl)
                return answer, False
            stored = await self._redis.get(name)
            if stored is not None and stored != _PENDING:
                return json.loads(stored), True
            if time.monotonic() > deadline:
                raise DuplicateInFlightError(
                    "an identical request is still being handled; try again in a moment"
                )
            if stored is not None:
                await asyncio.sleep(self._poll)
