"""The Redis connection: a real server from ``redis_url``, else an embedded fakeredis.

redis-py's asyncio connections belong to the event loop that opened them. An app run
in-process by a synchronous test client may see a new loop per request, so the app
holds a :class:`LoopLocalRedis`: one client per running loop, all on the same server.

Every command has a short timeout (``redis_timeout_seconds``; a worker adds its blocking
read) so a dead Redis is noticed in time to spool the lead. A broken connection is
retried once on a fresh one: after a Redis restart the pool still holds dead sockets,
and the first request must not fail on one. Timeouts are not retried: the command may
have run, and a blind retry could queue a lead twice.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Any, cast

import fakeredis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ConstantBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from reference_server._settings import Settings


class LoopLocalRedis:
    """Forwards every call to a client made for the running event loop."""

    def __init__(self, factory: Callable[[], aioredis.Redis]):
        self._factory = factory
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
            weakref.WeakKeyDictionary()
        )
        self._last: tuple[weakref.ref[asyncio.AbstractEventLoop], aioredis.Redis] | None = None
        """The loop served last and its client: a server has one loop, asked every command."""

    def _client(self) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        last = self._last
        if last is not None and last[0]() is loop:
            return last[1]
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = self._factory()
        self._last = (weakref.ref(loop), client)
        return client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client(), name)

    async def aclose(self) -> None:
        """Close the running loop's client (the others went with their loops)."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        self._last = None
        if client is not None:
            await client.aclose()


def connect(settings: Settings, *, blocking_ms: int = 0) -> aioredis.Redis:
    """A client with ``decode_responses=True``; without ``redis_url``, a fresh in-memory server.

    ``blocking_ms``: the longest blocking read (``XREADGROUP BLOCK``) this client makes.
    """
    url = settings.redis_url
    if url:
        timeout = settings.redis_timeout_seconds
        options: dict[str, Any] = {
            "decode_responses": True,
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout + blocking_ms / 1000,
            "retry": Retry(ConstantBackoff(0.05), 1, supported_errors=(RedisConnectionError,)),
        }
        return cast(aioredis.Redis, LoopLocalRedis(lambda: aioredis.from_url(url, **options)))
    server = fakeredis.FakeServer()
    return cast(
        aioredis.Redis,
        LoopLocalRedis(lambda: fakeredis.FakeAsyncRedis(server=server, decode_responses=True)),
    )
