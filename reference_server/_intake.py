"""Where a confirmed lead goes: the Redis Stream, or the local spool while Redis is down.

:meth:`LeadIntake.submit` takes the submission's idempotency key, the lead and the
answer the person gets, and either queues the lead (``XADD`` and the answer in one
Redis script, unless an earlier copy's answer is there) or, when Redis fails or is
known to be down, puts lead and answer in the spool in one fsync'd transaction. Either
way the person gets their normal SUCCESS. While the spool holds anything, new leads
queue behind it, so leads reach the stream in the order they were confirmed.
:meth:`LeadIntake.drain` moves the spool into the stream, oldest first, each lead
exactly once, with its answer for the rest of its window.

What is deduplicated while Redis is down: repeats of a submission that reach a process
sharing the same spool file (the processes of one machine), repeats of a submission
answered through Redis just before it went down that reach the process which answered
(it remembers its recent answers), and repeats arriving after Redis returned (the drain
stores the answer there). Not deduplicated: a repeat that reaches another machine, or
another process of the same one for a lead answered through Redis, during the outage:
it queues a second copy of the lead (the CRM upsert keyed by phone keeps one contact;
staff may be told twice).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from redis.exceptions import RedisError

from reference_server._idempotency import Idempotency
from reference_server._logging import log_fields
from reference_server._metrics import Metrics
from reference_server._queue import LeadQueue
from reference_server._spool import Spool
from reference_server.exceptions import QueueUnavailableError

__all__ = ["LeadIntake", "RedisState"]

log = logging.getLogger("reference_server.intake")
_RETRY_REDIS_AFTER_SECONDS = 1.0
_RECENT_ANSWERS = 10_000  # a few megabytes: the submissions of the last minutes, per process


class RedisState:
    """Whether to try Redis: after a failure, not again for a second (no request should
    wait for a timeout that another one has just met)."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._retry_at = 0.0
        self.down = False

    def usable(self) -> bool:
        return self._clock() >= self._retry_at

    def failed(self) -> None:
        self.down = True
        self._retry_at = self._clock() + _RETRY_REDIS_AFTER_SECONDS

    def recovered(self) -> None:
        self.down = False
        self._retry_at = 0.0


class LeadIntake:
    def __init__(
        self,
        queue: LeadQueue,
        idempotency: Idempotency,
        metrics: Metrics,
        spool: Spool | None = None,
    ):
        self.queue = queue
        self.idempotency = idempotency
        self.metrics = metrics
        self.spool = spool
        self.redis_state = RedisState()
        self._drain_lock = asyncio.Lock()
        self._recent: OrderedDict[str, tuple[str, float]] = OrderedDict()
        """Answers this process gave lately (key -> answer JSON, end of window): for
        repeats that arrive while Redis, which holds them, is down. Kept as text: ten
        thousand answers as dicts would be ten thousand objects more for every full
        garbage collection to walk, each a pause of every request in flight."""

    async def submit(
        self, key: str, lead: dict[str, Any], answer: dict[str, Any]
    ) -> tuple[dict[str, Any], bool]:
        """``(answer, replayed)``: the answer the person gets, and whether it is a repeat's
        (then ``lead`` was dropped). Raises :class:`DuplicateInFlightError` when the first
        copy is still running, :class:`SpoolError` when Redis is down and the spool fails."""
        if self.spool is None:
            return await self._through_redis(key, lead, answer, behind_spool=False)
        given = self._recent_answer(key)
        backlog = False
        if given is None:
            given, backlog = self.spool.lookup(key)
        if given is not None:
            return given, True
        if self.redis_state.usable():
            try:
                queued = await self._through_redis(key, lead, answer, behind_spool=backlog)
                return self._remember(key, *queued)
            except _RedisFailed as failed:
                self.redis_state.failed()
                log.warning(
                    "Redis failed on a submission: the lead goes to the spool",
                    extra=log_fields(error=failed.reason, lead_id=lead["lead_id"]),
                )
                if failed.queued:
                    await self.spool.remember(key, answer, self.idempotency.ttl_seconds)
                    return self._remember(key, answer, False)
        return self._remember(key, *await self._to_spool(key, lead, answer))

    def _recent_answer(self, key: str) -> dict[str, Any] | None:
        found = self._recent.get(key)
        if found is None or found[1] <= time.monotonic():
            return None
        return dict(json.loads(found[0]))

    def _remember(
        self, key: str, answer: dict[str, Any], replayed: bool
    ) -> tuple[dict[str, Any], bool]:
        self._recent[key] = (json.dumps(answer), time.monotonic() + self.idempotency.ttl_seconds)
        self._recent.move_to_end(key)
        while len(self._recent) > _RECENT_ANSWERS:
            self._recent.popitem(last=False)
        return answer, replayed

    async def _through_redis(
        self, key: str, lead: dict[str, Any], answer: dict[str, Any], *, behind_spool: bool
    ) -> tuple[dict[str, Any], bool]:
        """Queue the lead with its answer, or give an earlier copy's answer. ``behind_spool``:
        the spool holds leads, so this one joins them there (leads reach the stream in
        the order they were confirmed) under a claim of its key."""
        queued = False
        try:
            if not behind_spool:  # the lead and its answer in one step
                first = await self.idempotency.queue_once(key, self.queue, lead, answer)
                if first is not None:
                    return first, True
                replayed = False
            else:
                first = await self.idempotency.claim(key)
                if first is not None:
                    return first, True
                try:
                    answer, replayed = await self._to_spool(key, lead, answer)
                    queued = True
                    await self.idempotency.store(key, answer)
                except BaseException:
                    if not queued:
                        await self.idempotency.release(key)
                    raise
        except (RedisError, QueueUnavailableError) as exc:  # SQS, with FLOWHARNESS_QUEUE=sqs
            if self.spool is None:
                raise
            raise _RedisFailed(type(exc).__name__, queued) from exc
        self.redis_state.recovered()
        return answer, replayed

    async def _to_spool(
        self, key: str, lead: dict[str, Any], answer: dict[str, Any]
    ) -> tuple[dict[str, Any], bool]:
        assert self.spool is not None
        given, replayed = await self.spool.append(key, lead, answer, self.idempotency.ttl_seconds)
        if not replayed:
            self.metrics.leads_spooled.inc()
            log.info("lead spooled", extra=log_fields(lead_id=lead["lead_id"]))
        return given, replayed

    async def drain(self) -> int:
        """Move spooled leads into the stream, oldest first, each exactly once; how many
        this call moved. Raises :class:`RedisError` when Redis fails again (the rest stays)."""
        if self.spool is None:
            return 0
        moved = 0
        async with self._drain_lock:
            while (entry := await self.spool.oldest()) is not None:
                left_ms = int((entry.expires_at - time.time()) * 1000)
                answer = (self.idempotency.name(entry.idem_key), entry.answer, left_ms)
                if await self.queue.enqueue_once(entry.lead_id, entry.lead, answer=answer):
                    moved += 1
                await self.spool.remove(entry.seq)
            await self.spool.forget_expired()
        self.redis_state.recovered()
        if moved:
            log.info("spool drained into the stream", extra=log_fields(leads=moved))
        return moved

    async def keep_draining(self, interval: float = 0.5) -> None:
        """Drain whenever the spool holds leads (run as a task; cancel to stop)."""
        while True:
            await asyncio.sleep(interval)
            if self.spool is None or not self.spool.has_backlog():
                continue
            try:
                await self.drain()
            except (RedisError, QueueUnavailableError) as exc:
                self.redis_state.failed()
                log.debug("spool not drained yet", extra=log_fields(error=type(exc).__name__))


class _RedisFailed(Exception):
    """Redis failed during a submission; ``queued``: the lead had reached the stream (or
    the spool) already, only the answer is missing."""

    def __init__(self, reason: str, queued: bool):
        super().__init__(reason)
        self.reason = reason
        self.queued = queued
