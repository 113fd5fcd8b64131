"""The asynchronous mock WhatsApp client: the same API, every call awaited."""

from __future__ import annotations

import inspect
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import anyio
import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from harness.client import _core
from harness.client._base import BaseClient
from harness.client._core import Signature
from harness.client._exceptions import ConfigurationError, KeyProviderError
from harness.client._journal import Exchange
from harness.client._requests import ErrorKey, ping_request
from harness.client._result import FlowResult


class AsyncFlowClient(BaseClient):
    """:class:`FlowClient` for asyncio/trio code: ``async with``, and every call awaited.

    Many requests can run at once (``asyncio.gather``); each is timed on its own. The
    timeout is a deadline for the whole HTTP exchange, also for an in-process ASGI app.
    A ``key_provider`` may be a coroutine function.
    """

    def _open_http(self, transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None) -> None:
        if transport is not None and not isinstance(transport, httpx.AsyncBaseTransport):
            raise ConfigurationError("AsyncFlowClient needs an async httpx transport; this is sync")
        self._own_pool = transport is None and isinstance(self.endpoint, str)
        if not hasattr(self, "_in_flight"):  # the first pool, opened by __init__
            self._in_flight = {}
        if transport is None and not isinstance(self.endpoint, str):
            transport = httpx.ASGITransport(app=self.endpoint, raise_app_exceptions=False)  # type: ignore[arg-type]
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=self.timeout,
            headers={"User-Agent": _core.USER_AGENT},
            follow_redirects=False,
        )

    _in_flight: dict[httpx.AsyncClient, int]
    """Requests under way in each connection pool (a failure replaces the pool)."""

    async def __aenter__(self) -> AsyncFlowClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for pool in [*self._in_flight, self._http]:  # replaced pools a request still holds
            await pool.aclose()
        self._in_flight.clear()

    async def close(self) -> None:
        """Same as :meth:`aclose`."""
        await self.aclose()

    # -- what WhatsApp sends ---------------------------------------------------------

    async def ping(self) -> FlowResult:
        """The health check: ``{"version": "3.0", "action": "ping"}``."""
        return await self.send(ping_request())

    async def init(
        self,
        flow_token: str | None,
        data: Mapping[str, Any] | None = None,
        *,
        screen: str | None = None,
    ) -> FlowResult:
        return await self.send(self._init_payload(flow_token, data, screen))

    async def data_exchange(
        self, screen: str, data: Mapping[str, Any], flow_token: str | None
    ) -> FlowResult:
        return await self.send(self._data_exchange_payload(screen, data, flow_token))

    async def back(self, screen: str, flow_token: str | None) -> FlowResult:
        return await self.send(self._back_payload(screen, flow_token))

    async def error_notification(
        self,
        flow_token: str | None,
        error: str,
        error_message: str = "",
        *,
        screen: str | None = None,
        key: ErrorKey = "error",
        action: str = "data_exchange",
    ) -> FlowResult:
        payload = self._error_payload(flow_token, error, error_message, screen, key, action)
        return await self.send(payload)

    async def send(
        self,
        payload: Mapping[str, Any] | bytes | None = None,
        *,
        signature: Signature = "valid",
        envelope: Mapping[str, Any] | None = None,
        body: bytes | None = None,
        public_key: _core.PublicKeySource | None = None,
    ) -> FlowResult:
        """See :meth:`FlowClient.send`."""
        key = await self._request_key(public_key, body)
        prepared = self._prepare(payload, key, signature, envelope, body)
        started = time.perf_counter()
        exchanges = [await self._post(prepared, attempt=1)]
        if self._should_retry(exchanges[0]):
            if self._key_provider is not None:
                key = await self._provided_key()
            await anyio.sleep(self.retry_delay)
            prepared = self._prepare(payload, key, signature, envelope, body)
            exchanges.append(await self._post(prepared, attempt=2))
        return _core.result(exchanges, time.perf_counter() - started, self.budget)

    # -- I/O -------------------------------------------------------------------------

    async def _request_key(
        self, override: _core.PublicKeySource | None, body: bytes | None
    ) -> rsa.RSAPublicKey | None:
        if self._needs_provider(override):
            return await self._provided_key()
        return self._fixed_key(override, body)

    async def _provided_key(self) -> rsa.RSAPublicKey:
        source = self._call_provider()
        if inspect.isawaitable(source):
            try:
                source = await source
            except Exception as exc:
                raise KeyProviderError(f"key_provider raised {type(exc).__name__}: {exc}") from exc
        return self._accept_provided(source)

    async def _post(self, prepared: _core.Prepared, attempt: int) -> Exchange:
        exchange = self._new_exchange(prepared, attempt)
        started = time.perf_counter()
        response: httpx.Response | None = None
        failure: Exception | None = None
        # A deadline for the whole exchange: httpx's timeouts are per read/write and an
        # in-process app has none at all.
        http = self._http
        self._in_flight[http] = self._in_flight.get(http, 0) + 1
        try:
            with anyio.move_on_after(self.timeout):
                try:
                    response = await http.post(
                        self.url, content=prepared.body, headers=prepared.headers
                    )
                except httpx.RequestError as exc:
                    failure = exc
        finally:
            self._in_flight[http] -= 1
        exchange.elapsed = time.perf_counter() - started
        if response is not None:
            self._record_response(exchange, response)
        elif failure is not None and not isinstance(failure, httpx.TimeoutException):
            self._record_no_response(exchange, failure)
        else:
            self._record_timeout(exchange)
        if self._own_pool and _core.connection_suspect(exchange) and self._http is http:
            # a 5xx or a broken exchange may leave a half-closed connection in the pool:
            # later requests get a fresh one (once, however many fail together)
            self._open_http(None)
        if http is not self._http and not self._in_flight[http]:
            # a replaced pool is closed once no request uses it: closing it under a request
            # still connecting would leave that connection's socket open for good
            del self._in_flight[http]
            await http.aclose()
        self.journal.append(exchange)
        return exchange
