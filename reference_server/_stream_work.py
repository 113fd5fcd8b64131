"""The worker's queue on Redis Streams: one consumer group shared by every worker process.

Workers on any number of machines join the group ``lead-workers`` under their own
consumer names; Redis hands each new entry to one of them (``XREADGROUP``). An entry a
worker took stays pending under its name until settled; a live worker renews it
(``XCLAIM ... JUSTID``) while the CRM call runs, and one that went silent for
``reclaim_min_idle_ms`` loses it to the next worker that asks (``XAUTOCLAIM``).
Settling is one ``MULTI``/``EXEC``: the follow-up entries, the "written" mark, ``XACK``
and ``XDEL``. A phone number is held with a lease (``SET NX PX``, renewed with the
entries) so two workers never write one person's record at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError, WatchError

from reference_server._queue import CONSUMER_GROUP, LeadQueue, now_iso
from reference_server._work import Delivery, Kind, Outbox, Settlement, Taken

__all__ = ["WRITTEN_TTL_SECONDS", "StreamWork"]

WRITTEN_TTL_SECONDS = 7 * 24 * 3600
"""How long a written lead id is remembered: copies of a lead arrive within minutes."""
_LOCK_POLL_SECONDS = 0.1


class StreamWork:
    """:class:`reference_server._work.WorkQueue` on Redis Streams."""

    def __init__(
        self,
        redis: aioredis.Redis,
        queue: LeadQueue,
        consumer: str,
        *,
        reclaim_min_idle_ms: int,
        lease_ms: int,
    ):
        self._redis = redis
        self._queue = queue
        self.consumer = consumer
        self._min_idle_ms = reclaim_min_idle_ms
        self._lease_ms = lease_ms
        s = queue.streams
        self._streams: dict[Kind, str] = {
            "lead": s.incoming,
            "notify": s.notify,
            "attachment": s.attachments,
        }
        self._kinds = {stream: kind for kind, stream in self._streams.items()}
        self._outboxes: dict[Outbox, str] = {
            "notify": s.notify,
            "dead": s.dead,
            "parked": s.parked,
        }
        self._leases: dict[str, str] = {}
        """Lock keys this worker holds -> its token in them."""

    async def prepare(self) -> None:
        await self._queue.ensure_group()

    async def take(
        self, count: int, block_ms: int | None, *, kinds: Iterable[Kind], skip: set[str]
    ) -> Taken:
        streams = [self._streams[kind] for kind in kinds]
        found: list[Delivery] = []
        for stream in streams:
            if len(found) >= count:
                break
            claimed: Any = await self._redis.xautoclaim(
                stream,
                CONSUMER_GROUP,
                self.consumer,
                min_idle_time=self._min_idle_ms,
                start_id="0-0",
                count=count - len(found),
            )
            found += [
                Delivery(self._kinds[stream], entry_id, fields)
                for entry_id, fields in claimed[1]
                if fields and entry_id not in skip
            ]
        if found:
            return Taken(found, len(found))
        read: Any = await self._redis.xreadgroup(
            CONSUMER_GROUP,
            self.consumer,
            dict.fromkeys(streams, ">"),
            count=count,
            block=block_ms,
        )
        for stream, entries in read or []:
            found += [Delivery(self._kinds[stream], eid, fields) for eid, fields in entries]
        return Taken(found, 0)

    async def keep(self, deliveries: Iterable[Delivery]) -> None:
        by_stream: dict[str, list[Any]] = {}
        for delivery in deliveries:
            by_stream.setdefault(self._streams[delivery.kind], []).append(delivery.id)
        for stream, ids in by_stream.items():
            # JUSTID: resets the idle time without counting another delivery
            await self._redis.xclaim(stream, CONSUMER_GROUP, self.consumer, 0, ids, justid=True)
        for key, token in list(self._leases.items()):
            if await self._redis.get(key) == token:
                await self._redis.pexpire(key, self._lease_ms)

    async def settle(self, delivery: Delivery, settlement: Settlement) -> list[str]:
        stream = self._streams[delivery.kind]
        async with self._redis.pipeline(transaction=True) as pipe:
            for outbox, fields in settlement.add:
                entry: dict[Any, Any] = {**fields, "at": now_iso()}
                pipe.xadd(self._outboxes[outbox], entry)
            if settlement.written_lead:
                pipe.set(self._written(settlement.written_lead), "1", ex=WRITTEN_TTL_SECONDS)
            pipe.xack(stream, CONSUMER_GROUP, delivery.id)
            pipe.xdel(stream, delivery.id)
            results = await pipe.execute()
        return [str(r) for r in results[: len(settlement.add)]]

    async def written(self, lead_id: str) -> bool:
        return bool(await self._redis.exists(self._written(lead_id)))

    def _written(self, lead_id: str) -> str:
        return f"{self._queue.prefix}:written:{lead_id}"

    @contextlib.asynccontextmanager
    async def exclusive(self, key: str) -> AsyncIterator[None]:
        # the phone is hashed: no personal data in key names (they show in monitoring)
        name = f"{self._queue.prefix}:lock:{hashlib.sha256(key.encode()).hexdigest()[:24]}"
        token = f"{self.consumer}:{uuid.uuid4().hex}"
        while not await self._redis.set(name, token, nx=True, px=self._lease_ms):
            await asyncio.sleep(_LOCK_POLL_SECONDS)
        self._leases[name] = token
        try:
            yield
        finally:
            self._leases.pop(name, None)
            with contextlib.suppress(RedisError):  # the lease runs out by itself
                await self._release(name, token)

    async def _release(self, name: str, token: str) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(name)
                if await pipe.get(name) != token:
                    return  # expired and taken by another worker: theirs now
                pipe.multi()
                pipe.delete(name)
                await pipe.execute()
            except WatchError:
                return
