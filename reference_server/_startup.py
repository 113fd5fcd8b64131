"""Start-up checks: refuse a Redis that would lose queued leads on a restart; find or
create the SQS queues (or refuse, naming the missing ones); warn about a CRM the worker
cannot reach and about an endpoint that serves any flow."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from reference_server._backends import close_queue, open_queue
from reference_server._logging import log_fields
from reference_server._queue import LeadQueue
from reference_server._redis import connect
from reference_server._settings import Settings
from reference_server._sqs_queue import SqsLeadQueue
from reference_server.exceptions import ConfigurationError, QueueUnavailableError

__all__ = [
    "check_queue_at_start",
    "check_redis_at_start",
    "check_redis_persistence",
    "check_start",
    "public_url",
    "warn_about_open_flows",
]

log = logging.getLogger("reference_server.startup")
OPT_IN = "FLOWHARNESS_REDIS_ALLOW_NO_PERSISTENCE"


def public_url(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


async def _persistence(redis: aioredis.Redis) -> tuple[str, bool] | None:
    """``(aof, rdb)``: the AOF's ``appendfsync`` ("" when AOF is off, "unknown" when Redis
    will not say) and whether RDB snapshots are on; None when Redis tells nothing."""
    try:
        config: Any = await redis.config_get("appendonly")
        fsync: Any = await redis.config_get("appendfsync")
        save: Any = await redis.config_get("save")
    except ResponseError:
        # managed services often disable CONFIG; INFO still tells whether AOF is on
        try:
            info: Any = await redis.info("persistence")
        except ResponseError:
            return None
        return ("unknown" if str(info.get("aof_enabled", "0")) == "1" else ""), False
    aof = str(fsync.get("appendfsync", "unknown")) if config.get("appendonly") == "yes" else ""
    return aof, bool(str(save.get("save", "")).strip())


async def check_redis_persistence(redis: aioredis.Redis, settings: Settings) -> None:
    """Raise :class:`ConfigurationError` naming the setting when Redis has neither AOF nor
    RDB, unless ``redis_allow_no_persistence``. Redis errors (unreachable) propagate."""
    if not settings.redis_url:
        return  # the embedded fakeredis lives and dies with the process: nothing to check
    where = public_url(settings.redis_url)
    found = await _persistence(redis)
    if found is None:
        log.warning(
            "cannot tell whether Redis persists its data (CONFIG and INFO refused); make "
            "sure AOF or RDB is on, or a restart loses every queued lead",
            extra=log_fields(redis=where),
        )
        return
    aof, rdb = found
    if aof == "always":
        return
    if aof:
        log.warning(
            f"Redis fsyncs its AOF with appendfsync {aof}: a crash of Redis can lose the "
            "leads it acknowledged in the last second or two (it answers before writing "
            "when the disk is busy); appendfsync always loses none",
            extra=log_fields(redis=where),
        )
        return
    if rdb:
        log.warning(
            "Redis persists with RDB snapshots only: a crash loses the leads queued since "
            "the last snapshot; turn on AOF (appendonly yes)",
            extra=log_fields(redis=where),
        )
        return
    if settings.queue == "sqs":
        log.warning(
            "Redis has no persistence (no AOF, no RDB): leads wait in SQS and are safe, but a "
            "restart of Redis forgets idempotency answers and which leads were written, so "
            "a repeat may be written again (an update) and staff told twice",
            extra=log_fields(redis=where),
        )
        return
    if settings.redis_allow_no_persistence:
        log.warning(
            f"Redis has no persistence (no AOF, no RDB): a restart loses every queued lead; "
            f"accepted because {OPT_IN} is set",
            extra=log_fields(redis=where),
        )
        return
    raise ConfigurationError(
        f"Redis at {where} has no persistence (appendonly no, no save points): a restart "
        "would lose every queued lead. Turn on AOF (appendonly yes, appendfsync always) "
        f"or at least RDB snapshots, or set {OPT_IN}=true to accept losing them"
    )


async def check_redis_at_start(redis: aioredis.Redis, settings: Settings) -> None:
    """The endpoint's check: an unreachable Redis is no reason not to start (the spool
    takes leads meanwhile), only a Redis that would lose them is."""
    try:
        await check_redis_persistence(redis, settings)
    except RedisError as exc:
        log.warning(
            "Redis is unreachable at start-up: confirmed leads go to the spool until it is back",
            extra=log_fields(error=type(exc).__name__),
        )


async def check_queue_at_start(queue: LeadQueue) -> None:
    """SQS: find or create the queues (a :class:`ConfigurationError` names the missing ones
    when creating them is off); unreachable is no reason not to start: the spool takes
    leads meanwhile. Redis Streams: nothing (streams come with their first entry)."""
    if not isinstance(queue, SqsLeadQueue):
        return
    try:
        await queue.ensure_group()
    except QueueUnavailableError as exc:
        log.warning(
            "SQS is unreachable at start-up: confirmed leads go to the spool until it is back",
            extra=log_fields(error=str(exc)),
        )


def warn_about_open_flows(settings: Settings) -> None:
    if not settings.served_flow_ids():
        log.warning(
            "no flow id configured: tokens of every flow are accepted; set "
            "FLOWHARNESS_FLOW_IDS (or FLOWHARNESS_DEFAULT_FLOW_ID) to the flows this "
            "endpoint serves"
        )


def check_start(settings: Settings) -> None:
    """The endpoint's start-up checks, run once before a server starts: a refusal is then
    one clear :class:`ConfigurationError` rather than a server's traceback."""

    async def run() -> None:
        redis = connect(settings)
        queue = open_queue(settings, redis)
        try:
            await check_redis_at_start(redis, settings)
            await check_queue_at_start(queue)
        finally:
            await close_queue(queue)
            await redis.aclose()

    asyncio.run(run())
