"""The queue backend ``FLOWHARNESS_QUEUE`` names: the lead queue the endpoint appends to
and the work queue the worker takes from, on Redis Streams or on SQS.

The endpoint, the worker and ``flowharness leads`` hold a :class:`LeadQueue` either way
and call the same methods on it; only these factories know which backend they built.
SQS modules (and aiobotocore) are imported only when SQS is chosen.
"""

from __future__ import annotations

import redis.asyncio as aioredis

from reference_server._queue import LeadQueue
from reference_server._settings import Settings
from reference_server._work import WorkQueue

__all__ = ["close_queue", "open_queue", "open_work"]


def open_queue(
    settings: Settings, redis: aioredis.Redis, *, wait_seconds: int = 0, attempts: int = 1
) -> LeadQueue:
    """The lead queue of ``settings.queue``. For SQS: ``wait_seconds``, the longest long
    poll its user makes (the worker's), added to its read timeout; ``attempts`` per call
    (the endpoint: one, the spool is its retry)."""
    if settings.queue == "redis":
        return LeadQueue(redis, settings.stream_prefix)
    from reference_server._sqs_client import SqsClient
    from reference_server._sqs_queue import SqsLeadQueue

    return SqsLeadQueue(
        redis,
        settings.stream_prefix,
        SqsClient(settings, wait_seconds=wait_seconds, attempts=attempts),
    )


def open_work(
    queue: LeadQueue,
    redis: aioredis.Redis,
    consumer: str,
    *,
    reclaim_min_idle_ms: int,
    lease_ms: int,
) -> WorkQueue:
    """The worker's :class:`WorkQueue` on the backend ``queue`` is on."""
    from reference_server._sqs_queue import SqsLeadQueue

    if isinstance(queue, SqsLeadQueue):
        from reference_server._sqs_work import SqsWork

        return SqsWork(redis, queue, consumer)
    from reference_server._stream_work import StreamWork

    return StreamWork(
        redis, queue, consumer, reclaim_min_idle_ms=reclaim_min_idle_ms, lease_ms=lease_ms
    )


async def close_queue(queue: LeadQueue) -> None:
    """Close what the queue opened beside Redis (SQS's client)."""
    from reference_server._sqs_queue import SqsLeadQueue

    if isinstance(queue, SqsLeadQueue):
        await queue.aclose()
