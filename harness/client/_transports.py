"""Where requests go: a URL over the network, or an ASGI app run in-process."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio
import anyio.from_thread
import httpx

from harness.client._exceptions import ConfigurationError

ASGIApp = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[MutableMapping[str, Any]]],
        Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ],
    Awaitable[None],
]
"""Any ASGI 3 application (FastAPI, Starlette, ...)."""

APP_BASE_URL = "http://endpoint.test"  # a reserved name: an in-process app is never on the network


def resolve_url(endpoint: str | ASGIApp, path: str | None) -> str:
    """The URL requests are posted to; checks a given URL can be used."""
    if not isinstance(endpoint, str):
        if not callable(endpoint):
            raise ConfigurationError(
                f"endpoint must be a URL or an ASGI app, not {type(endpoint).__name__}"
            )
        return APP_BASE_URL + _path(path or "/")
    if path is not None:
        raise ConfigurationError("path= is only for ASGI apps; put the path in the URL instead")
    try:
        url = httpx.URL(endpoint)
    except httpx.InvalidURL as exc:
        raise ConfigurationError(f"endpoint {endpoint!r} is not a valid URL: {exc}") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigurationError(
            f"endpoint {endpoint!r} must be an http:// or https:// URL with a host, "
            "e.g. https://example.com/flows"
        )
    return str(url)


def _path(path: str) -> str:
    if not path.startswith("/"):
        raise ConfigurationError(f"path must start with '/', not {path!r}")
    return path


class BlockingASGITransport(httpx.BaseTransport):
    """Runs an ASGI app for a synchronous client, on an event loop in a helper thread.

    Unlike Starlette's TestClient transport it enforces the client's timeout, so a slow
    in-process endpoint times out exactly as one on the network would. The loop lives
    for one request, or from :meth:`open` to :meth:`close` (the client's ``with`` block),
    which apps with loop-bound state (async database pools) need.
    """

    def __init__(self, app: ASGIApp, *, timeout: float) -> None:
        self._asgi = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
        self._timeout = timeout
        self._portal: anyio.from_thread.BlockingPortal | None = None
        self._stack = contextlib.ExitStack()
        self._lock = threading.Lock()

    def open(self) -> None:
        with self._lock:
            if self._portal is None:
                self._portal = self._stack.enter_context(anyio.from_thread.start_blocking_portal())

    def close(self) -> None:
        with self._lock:
            self._portal = None
            self._stack.close()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        args = (request.method, str(request.url), request.headers.raw, request.read())
        if self._portal is not None:
            response = self._portal.call(self._handle, *args)
        else:
            with anyio.from_thread.start_blocking_portal() as portal:
                response = portal.call(self._handle, *args)
        if response is None:
            raise httpx.ReadTimeout(f"no answer within {self._timeout} s", request=request)
        return response

    async def _handle(
        self, method: str, url: str, headers: list[tuple[bytes, bytes]], body: bytes
    ) -> httpx.Response | None:
        request = httpx.Request(method, url, headers=headers, content=body)
        with anyio.move_on_after(self._timeout):
            response = await self._asgi.handle_async_request(request)
            return httpx.Response(
                response.status_code, headers=response.headers, content=await response.aread()
            )
        return None
