"""Calling a mock's ASGI app from httpx with no server: sync transport and respx side effect."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.from_thread
import httpx
from starlette.types import ASGIApp

__all__ = ["SyncASGITransport", "asgi_side_effect", "async_http_client", "http_client"]

_CLIENT = ("127.0.0.1", 50000)


class SyncASGITransport(httpx.BaseTransport):
    """An httpx transport for a sync :class:`httpx.Client` that calls an ASGI app in-process.

    httpx's own :class:`httpx.ASGITransport` is async only; this one runs each
    request on a short-lived event loop in a worker thread, so it works from
    plain code and from inside a running event loop alike. App exceptions
    (such as an injected connection reset) reach the caller unchanged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._transport = httpx.ASGITransport(app=app, client=_CLIENT)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        replayable = _async_copy(request)
        with anyio.from_thread.start_blocking_portal() as portal:
            status, headers, body = portal.call(self._send, replayable)
        return httpx.Response(
            status, headers=headers, stream=httpx.ByteStream(body), request=request
        )

    async def _send(self, request: httpx.Request) -> tuple[int, httpx.Headers, bytes]:
        response = await self._transport.handle_async_request(request)
        body = await response.aread()
        return response.status_code, response.headers, body


def http_client(base_url: str, app: ASGIApp | None = None, **kwargs: Any) -> httpx.Client:
    """A sync client on ``base_url``: in-process when ``app`` is given, else over the network."""
    if app is not None:
        kwargs["transport"] = SyncASGITransport(app)
    return httpx.Client(base_url=base_url, **kwargs)


def async_http_client(
    base_url: str, app: ASGIApp | None = None, **kwargs: Any
) -> httpx.AsyncClient:
    """The async counterpart of :func:`http_client`."""
    if app is not None:
        kwargs["transport"] = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(base_url=base_url, **kwargs)


def asgi_side_effect(
    app: ASGIApp,
) -> Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]:
    """A respx side effect sending each matched request to ``app``.

    With no running event loop (sync ``httpx.Client``) it answers at once;
    inside a running loop it returns a coroutine, which respx awaits for an
    ``httpx.AsyncClient``. So in async code, call the mock with an AsyncClient.
    """
    sync = SyncASGITransport(app)
    transport = httpx.ASGITransport(app=app, client=_CLIENT)

    async def call_async(request: httpx.Request) -> httpx.Response:
        response = await transport.handle_async_request(_async_copy(request))
        body = await response.aread()
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )

    def side_effect(request: httpx.Request) -> httpx.Response | Awaitable[httpx.Response]:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return sync.handle_request(request)
        return call_async(request)

    return side_effect


def _async_copy(request: httpx.Request) -> httpx.Request:
    """The same request with its body in memory, readable by the async ASGI transport."""
    body = request.read() if not isinstance(request.stream, httpx.AsyncByteStream) else None
    if body is None:
        return request
    return httpx.Request(
        request.method,
        request.url,
        headers=request.headers,
        content=body,
        extensions=request.extensions,
    )
