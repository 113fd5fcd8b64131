"""The synchronous mock WhatsApp client."""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from harness.client import _core
from harness.client._base import BaseClient
from harness.client._core import Signature
from harness.client._exceptions import ConfigurationError
from harness.client._journal import Exchange
from harness.client._requests import ErrorKey, ping_request
from harness.client._result import FlowResult
from harness.client._transports import BlockingASGITransport


class FlowClient(BaseClient):
    """Talks to a Flows endpoint the way WhatsApp does: encrypts, signs, times, decrypts.

    ``endpoint`` is a URL, or an ASGI app run in-process. Network trouble never raises:
    it comes back as a :class:`FlowResult` with an :class:`Outcome`. Use as a context
    manager, or call :meth:`close`.
    """

    def _open_http(self, transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None) -> None:
        if transport is not None and not isinstance(transport, httpx.BaseTransport):
            raise ConfigurationError("FlowClient needs a sync httpx transport; this one is async")
        self._asgi: BlockingASGITransport | None = None
        self._own_pool = transport is None and isinstance(self.endpoint, str)
        if transport is None and not isinstance(self.endpoint, str):
            transport = self._asgi = BlockingASGITransport(self.endpoint, timeout=self.timeout)
        self._http = httpx.Client(
            transport=transport,
            timeout=self.timeout,
            headers={"User-Agent": _core.USER_AGENT},
            follow_redirects=False,
        )

    def __enter__(self) -> FlowClient:
        if self._asgi is not None:
            self._asgi.open()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- what WhatsApp sends ---------------------------------------------------------

    def ping(self) -> FlowResult:
        """The health check: ``{"version": "3.0", "action": "ping"}``."""
        return self.send(ping_request())

    def init(
        self,
        flow_token: str | None,
        data: Mapping[str, Any] | None = None,
        *,
        screen: str | None = None,
    ) -> FlowResult:
        """The flow was opened (``INIT``); a None token is left out, like some iOS clients."""
        return self.send(self._init_payload(flow_token, data, screen))

    def data_exchange(
        self, screen: str, data: Mapping[str, Any], flow_token: str | None
    ) -> FlowResult:
        return self.send(self._data_exchange_payload(screen, data, flow_token))

    def back(self, screen: str, flow_token: str | None) -> FlowResult:
        return self.send(self._back_payload(screen, flow_token))

    def error_notification(
        self,
        flow_token: str | None,
        error: str,
        error_message: str = "",
        *,
        screen: str | None = None,
        key: ErrorKey = "error",
        action: str = "data_exchange",
    ) -> FlowResult:
        """Report an error type (e.g. ``response-decryption-error``) the way WhatsApp does."""
        return self.send(self._error_payload(flow_token, error, error_message, screen, key, action))

    def send(
        self,
        payload: Mapping[str, Any] | bytes | None = None,
        *,
        signature: Signature = "valid",
        envelope: Mapping[str, Any] | None = None,
        body: bytes | None = None,
        public_key: _core.PublicKeySource | None = None,
    ) -> FlowResult:
        """Encrypt and send any payload, optionally malformed.

        ``envelope`` replaces envelope fields (a value, :data:`OMIT` to drop one, or a
        callable applied to the sealed value); ``body`` sends raw bytes instead; ``signature``
        is ``"valid"``, ``"bad"``, ``"missing"`` or the literal header value to send.
        """
        key = self._request_key(public_key, body)
        prepared = self._prepare(payload, key, signature, envelope, body)
        started = time.perf_counter()
        exchanges = [self._post(prepared, attempt=1)]
        if self._should_retry(exchanges[0]):
            if self._key_provider is not None:
                key = self._accept_provided(self._call_provider())
            time.sleep(self.retry_delay)
            prepared = self._prepare(payload, key, signature, envelope, body)
            exchanges.append(self._post(prepared, attempt=2))
        return _core.result(exchanges, time.perf_counter() - started, self.budget)

    # -- I/O -------------------------------------------------------------------------

    def _request_key(
        self, override: _core.PublicKeySource | None, body: bytes | None
    ) -> rsa.RSAPublicKey | None:
        if self._needs_provider(override):
            return self._accept_provided(self._call_provider())
        return self._fixed_key(override, body)

    def _post(self, prepared: _core.Prepared, attempt: int) -> Exchange:
        exchange = self._new_exchange(prepared, attempt)
        started = time.perf_counter()
        try:
            answer = self._exchange(prepared, deadline=started + self.timeout)
        except (httpx.TimeoutException, _DeadlineExceeded):
            exchange.elapsed = time.perf_counter() - started
            self._record_timeout(exchange)
        except httpx.RequestError as exc:
            exchange.elapsed = time.perf_counter() - started
            self._record_no_response(exchange, exc)
        else:
            exchange.elapsed = time.perf_counter() - started
            self._record_answer(exchange, *answer)
        if self._own_pool and _core.connection_suspect(exchange):
            self._fresh_connections()
        self.journal.append(exchange)
        return exchange

    def _fresh_connections(self) -> None:
        """Drop pooled connections: after a 5xx or a broken exchange the server may have
        closed (or be about to close) its side, and reusing it reports a false reset."""
        self._http.close()
        self._open_http(None)

    def _exchange(
        self, prepared: _core.Prepared, *, deadline: float
    ) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body, within a deadline for the whole exchange.

        httpx's timeouts are per connect/read/write: an answer trickled a few bytes at a
        time would never time out. The body is read in chunks and the deadline checked
        after each, like the async client's total deadline.
        """
        with self._http.stream(
            "POST", self.url, content=prepared.body, headers=prepared.headers
        ) as response:
            chunks: list[bytes] = []
            for chunk in response.iter_bytes():
                if time.perf_counter() > deadline:
                    raise _DeadlineExceeded
                chunks.append(chunk)
            if time.perf_counter() > deadline:
                raise _DeadlineExceeded
            return response.status_code, dict(response.headers), b"".join(chunks)


class _DeadlineExceeded(Exception):
    """The whole exchange took longer than the client's timeout."""
