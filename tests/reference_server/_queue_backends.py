"""The worker's queue backends for one parametrised suite: Redis Streams (embedded
fakeredis, a real redis-server) and SQS (moto's real server, fakeredis for the marks).

A test gets a :class:`QueueBackend` and asks it what it would otherwise read from Redis
directly: entries waiting or in flight, held entries, a worker that took entries and
died. Everything else goes through the project's own API (``LeadQueue``, ``Worker``,
``held``, ``replay``), the same for every backend.

Where moto's SQS (5.2, ``moto/sqs/models.py``) differs from Amazon's, and what the
tests do about it:

- Deduplication: moto compares a deduplication id only with entries still in the queue;
  SQS remembers it for 5 minutes after the send, even once the entry is deleted. A
  resend after the first copy was consumed is delivered again on moto, dropped on SQS.
  Tests that need a second copy of a lead send it with a fresh id (:meth:`append_raw`,
  as a copy after the deduplication interval would be), so they hold on both.
- ``DeduplicationScope=messageGroup`` and ``FifoThroughputLimit`` are kept but not
  applied: moto deduplicates per queue and has no throughput quota.
- Order after a timeout: when several entries of one group time out together, moto's
  next receive skips the group's first entry (the later ones still count as in flight)
  and hands out the later ones first; SQS keeps the group's order. No test lets two
  entries of one person time out together.
- Moving to a dead-letter queue: SQS replaces a FIFO entry's deduplication id with its
  message id and restarts its retention clock; moto keeps both.
- Receipt handles: moto deletes and renews with any handle an entry ever had; SQS wants
  the latest (an older one "succeeds" without deleting) and refuses one whose
  visibility ran out. The worker always uses the latest.
- The 12-hour visibility limit counts from the send on moto, from the receive on SQS.
- A receive without a wait sees every entry on moto; on SQS a short poll asks only some
  servers, so ``leads list`` confirms an empty queue with a 1 s long poll (0 s here).
- Sequence numbers are random on moto (increasing per group on SQS), and
  ``ReceiveRequestAttemptId`` is ignored; counts (``ApproximateNumberOf...``) are exact.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis

from reference_server import CONSUMER_GROUP, LeadQueue, Settings, Worker, held
from reference_server._backends import close_queue, open_queue
from reference_server._redis import connect
from reference_server._sqs_client import visibility_seconds
from reference_server._sqs_queue import SqsLeadQueue
from reference_server._sqs_replay import browse
from reference_server._work import MIN_LEASE_MS

from ._processes import AWS_ENV

BACKENDS = ("fakeredis", "redis-server", "sqs")


@dataclass
class QueueBackend:
    name: str
    overrides: dict[str, Any]
    """The settings that select this backend."""
    make_settings: Callable[..., Settings]
    redis: aioredis.Redis
    queue: LeadQueue
    _opened: list[LeadQueue] = field(default_factory=list)

    @classmethod
    def open(
        cls, name: str, overrides: dict[str, Any], make_settings: Callable[..., Settings]
    ) -> QueueBackend:
        settings = make_settings(**overrides)
        redis = connect(settings)
        return cls(name, overrides, make_settings, redis, open_queue(settings, redis))

    @property
    def sqs(self) -> bool:
        return isinstance(self.queue, SqsLeadQueue)

    def settings(self, **overrides: Any) -> Settings:
        return self.make_settings(**(self.overrides | overrides))

    def worker(self, settings: Settings | None = None, **options: Any) -> Worker:
        """A worker on this backend (its queue closed with the backend)."""
        worker = Worker(settings or self.settings(), self.redis, **options)
        self._opened.append(worker.queue)
        return worker

    async def close(self) -> None:
        for queue in [*self._opened, self.queue]:
            await close_queue(queue)
        await self.redis.aclose()

    # -- what a test reads ------------------------------------------------------------

    async def _counts(self) -> tuple[int, int]:
        """Incoming entries (waiting, in flight)."""
        if isinstance(self.queue, SqsLeadQueue):
            sqs = self.queue.sqs
            result = await sqs.call(
                "get_queue_attributes",
                QueueUrl=await sqs.url("incoming"),
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )
            counts = result["Attributes"]
            return (
                int(counts["ApproximateNumberOfMessages"]),
                int(counts["ApproximateNumberOfMessagesNotVisible"]),
            )
        stream = self.queue.streams.incoming
        length = int(await self.redis.xlen(stream))
        try:
            pending = int((await self.redis.xpending(stream, CONSUMER_GROUP))["pending"])
        except Exception:  # no group yet: nothing taken
            pending = 0
        return length - pending, pending

    async def in_flight(self) -> int:
        """Incoming entries a worker took and has not settled."""
        return (await self._counts())[1]

    async def waiting(self) -> int:
        """Incoming entries not settled, taken or not."""
        return sum(await self._counts())

    async def held(self, source: str) -> list[dict[str, str]]:
        return [entry.fields for entry in await held(self.queue, source)]  # type: ignore[arg-type]

    async def incoming(self) -> list[dict[str, str]]:
        """The incoming entries' fields, oldest first (SQS: received and put back)."""
        return await entries(self.queue, self.queue.streams.incoming)

    async def entries(self, stream: str) -> list[dict[str, str]]:
        """Any stream's or queue's entries (named as in ``queue.streams``)."""
        return await entries(self.queue, stream)

    # -- what a test does ---------------------------------------------------------------

    async def append_raw(self, fields: dict[str, str]) -> None:
        """Append an incoming entry as another writer would (no deduplication id shared
        with anything: on SQS, a copy sent after the 5-minute deduplication interval)."""
        if isinstance(self.queue, SqsLeadQueue):
            await self.queue.send("incoming", fields, dedup=uuid.uuid4().hex)
        else:
            entry: dict[Any, Any] = fields
            await self.redis.xadd(self.queue.streams.incoming, entry)

    async def take_as(self, consumer: str, settings: Settings) -> int:
        """A worker named ``consumer`` (with ``settings``) takes the waiting leads and
        dies without settling them; how many it took."""
        await self.queue.ensure_group()
        if isinstance(self.queue, SqsLeadQueue):
            lease_ms = max(settings.reclaim_min_idle_ms, MIN_LEASE_MS)
            result = await self.queue.sqs.call(
                "receive_message",
                QueueUrl=await self.queue.sqs.url("incoming"),
                MaxNumberOfMessages=10,
                VisibilityTimeout=visibility_seconds(lease_ms),
            )
            return len(result.get("Messages", []))
        read: Any = await self.redis.xreadgroup(
            CONSUMER_GROUP, consumer, {self.queue.streams.incoming: ">"}, count=10
        )
        return sum(len(entries) for _, entries in read or [])

    async def reclaimable(self, count: int = 1, timeout: float = 30.0, idle_ms: int = 0) -> None:
        """Wait until ``count`` entries a dead worker held can be taken over (SQS: their
        visibility timeout ran out; Redis: they were idle ``idle_ms``)."""
        if not isinstance(self.queue, SqsLeadQueue):
            await asyncio.sleep(idle_ms / 1000 + 0.1 if idle_ms else 0)
            return
        deadline = time.monotonic() + timeout
        while (await self._counts())[0] < count:
            assert time.monotonic() < deadline, "entries never became visible again"
            await asyncio.sleep(0.2)


async def entries(queue: LeadQueue, stream: str) -> list[dict[str, str]]:
    """The entries of one of ``queue``'s streams or queues, oldest first (SQS: received,
    which counts towards a consumed queue's redrive policy, and put back)."""
    if isinstance(queue, SqsLeadQueue):
        return [entry.fields for entry in await browse(queue, queue.label(stream))]
    return [dict(fields) for _, fields in await queue.redis.xrange(stream)]


def lead_json(lead: dict[str, Any]) -> dict[str, str]:
    """The incoming entry of ``lead``, as the endpoint appends it."""
    return {"lead_id": lead["lead_id"], "lead": json.dumps(lead)}


def backend_env(overrides: dict[str, Any], settings: Settings | None = None) -> dict[str, str]:
    """The environment a separate process needs to share a backend: the settings that
    select it (``QueueBackend.overrides``) as ``FLOWHARNESS_*`` variables, and AWS
    credentials for SQS; ``settings``: the reclaim time too."""
    env: dict[str, str] = {}
    for name, value in overrides.items():
        if value is None:
            continue
        text = json.dumps(value) if isinstance(value, dict | list | bool) else str(value)
        env[f"FLOWHARNESS_{name.upper()}"] = text
    if settings is not None:
        env["FLOWHARNESS_RECLAIM_MIN_IDLE_MS"] = str(settings.reclaim_min_idle_ms)
    return env | (AWS_ENV if overrides.get("queue") == "sqs" else {})
