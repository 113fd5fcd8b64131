"""Calling a mock's ASGI app from httpx with no server: sync and async transports, respx.

The in-process transports behave like a socket where tests can tell: the
client's read timeout fires when the app is slower (a ``latency`` fault), and
the call it gave up on still runs to its end, as a server finishes a request
whose client went away. Sync calls run on one background event loop (a
daemon thread, like :class:`ThreadedServer`'s); async calls on the caller's.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import anyio
import anyio.from_thread
import httpx
from starlette.types import ASGIApp

__all__ = [
    "AsyncASGITransport",
    "SyncASGITransport",
    "asgi_side_effect",
    "async_http_client",
    "http_client",
]

_CLIENT = ("127.0.0.1", 50000)

_Answer = tuple[int, httpx.Headers, bytes]


def _read_timeout(request: httpx.Request) -> float | None:
    """The client's read timeout for ``request`` (None: wait forever)."""
    timeout = request.extensions.get("timeout") or {}
    value = timeout.get("read")
    return None if value is None else float(value)


def _timed_out(request: httpx.Request, seconds: float) -> httpx.ReadTimeout:
    return httpx.ReadTimeout(
        f"the in-process mock did not answer within the client's {seconds} s read timeout "
        "(a latency fault?); the call goes on in the background, as on a server",
        request=request,
    )


class _BackgroundLoop:
    """One event loop in a daemon thread that in-process sync calls run on, started lazily."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def submit(self, coro: Coroutine[Any, Any, _Answer]) -> concurrent.futures.Future[_Answer]:
        return asyncio.run_coroutine_threadsafe(coro, self._running())

    def is_current(self) -> bool:
        return self._thread is not None and threading.current_thread() is self._thread

    def _running(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=loop.run_forever, name="mock-in-process-loop", daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop


_LOOP = _BackgroundLoop()


async def _answer(transport: httpx.ASGITransport, request: httpx.Request) -> _Answer:
    response = await transport.handle_async_request(request)
    body = await response.aread()
    return response.status_code, response.headers, body


class SyncASGITransport(httpx.BaseTransport):
    """An httpx transport for a sync :class:`httpx.Client` that calls an ASGI app in-process.

    httpx's own :class:`httpx.ASGITransport` is async only; this one runs each
    request on a background event loop, so it works from plain code and from
    inside a running event loop alike. The client's read timeout applies (an
    :class:`httpx.ReadTimeout`, the app's work going on in the background); app
    exceptions (such as an injected connection reset) reach the caller unchanged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._transport = httpx.ASGITransport(app=app, client=_CLIENT)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        replayable = _async_copy(request)
        timeout = _read_timeout(request)
        if _LOOP.is_current():  # an app calling a mock synchronously from the loop itself
            status, headers, body = self._on_own_loop(replayable, timeout, request)
        else:
            future = _LOOP.submit(_answer(self._transport, replayable))
            try:
                status, headers, body = future.result(timeout)
            except concurrent.futures.TimeoutError:
                raise _timed_out(request, timeout or 0.0) from None
        return httpx.Response(
            status, headers=headers, stream=httpx.ByteStream(body), request=request
        )

    def _on_own_loop(
        self, replayable: httpx.Request, timeout: float | None, request: httpx.Request
    ) -> _Answer:
        async def bounded() -> _Answer | None:
            with anyio.move_on_after(timeout):
                return await _answer(self._transport, replayable)
            return None

        with anyio.from_thread.start_blocking_portal() as portal:
            answer = portal.call(bounded)
        if answer is None:
            raise _timed_out(request, timeout or 0.0)
        return answer


class AsyncASGITransport(httpx.AsyncBaseTransport):
    """:class:`httpx.ASGITransport` with the client's read timeout applied, as over a socket.

    A call that times out keeps running on the caller's event loop (under
    asyncio; under another async library it is cancelled).
    """

    def __init__(self, app: ASGIApp) -> None:
        self._transport = httpx.ASGITransport(app=app, client=_CLIENT)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = _read_timeout(request)
        call = _answer(self._transport, request)
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (trio): cancel at the deadline instead
            with anyio.move_on_after(timeout):
                status, headers, body = await call
                return httpx.Response(status, headers=headers, content=body, request=request)
            raise _timed_out(request, timeout or 0.0) from None
        task = asyncio.ensure_future(call)
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if not done:
            raise _timed_out(request, timeout or 0.0)
        status, headers, body = task.result()
        return httpx.Response(status, headers=headers, content=body, request=request)


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
        kwargs["transport"] = AsyncASGITransport(app)
    return httpx.AsyncClient(base_url=base_url, **kwargs)


def asgi_side_effect(
    app: ASGIApp,
) -> Callable[[httpx.Request], httpx.Response | Awaitable[httpx.Response]]:
    """A respx side effect sending each matched request to ``app``.

    With no running event loop (sync ``httpx.Client``) it answers at once;
    inside a running loop it returns a coroutine, which respx awaits for an
    ``httpx.AsyncClient``. So in async code, call the mock with an AsyncClient.
    The client's read timeout applies either way.
    """
    sync = SyncASGITransport(app)
    transport = AsyncASGITransport(app)

    def side_effect(request: httpx.Request) -> httpx.Response | Awaitable[httpx.Response]:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return sync.handle_request(request)
        return transport.handle_async_request(_async_copy(request))

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
