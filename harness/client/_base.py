"""What the sync and async clients share: settings, keys, and the requests WhatsApp sends."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from harness.client import _core, _requests
from harness.client._exceptions import (
    ConfigurationError,
    KeyProviderError,
    MissingPublicKeyError,
)
from harness.client._journal import Exchange, Journal
from harness.client._outcome import Outcome
from harness.client._transports import ASGIApp, resolve_url


class BaseClient:
    """Settings and request building; subclasses add the I/O."""

    def __init__(
        self,
        endpoint: str | ASGIApp,
        *,
        public_key: _core.PublicKeySource | None = None,
        app_secret: str | bytes | None = None,
        budget: float = 3.0,
        timeout: float = 10.0,
        version: str = "3.0",
        key_provider: _core.KeyProvider | None = None,
        retry_on_421: bool = True,
        retry_delay: float = 0.5,
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        path: str | None = None,
        journal_size: int | None = 1000,
    ) -> None:
        _core.check_settings(budget, timeout, retry_delay, version)
        if key_provider is not None and not callable(key_provider):
            raise ConfigurationError("key_provider must be a callable returning a public key")
        self.endpoint = endpoint
        self.url = resolve_url(endpoint, path)
        self.budget = budget
        self.timeout = timeout
        self.version = version
        self.retry_on_421 = retry_on_421
        self.retry_delay = retry_delay
        self.headers = dict(headers or {})
        self.journal = Journal(journal_size)
        self._app_secret = _core.secret_bytes(app_secret)
        self._public_key = _core.load_key(public_key) if public_key is not None else None
        self._key_provider = key_provider
        self._open_http(transport)

    def _open_http(self, transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url} budget={self.budget}s>"

    @property
    def public_key(self) -> rsa.RSAPublicKey | None:
        """The key requests are encrypted to; a 421 retry replaces it with the provider's."""
        return self._public_key

    # -- payloads ------------------------------------------------------------------

    def _init_payload(
        self, flow_token: str | None, data: Mapping[str, Any] | None, screen: str | None
    ) -> dict[str, Any]:
        return _requests.init_request(self.version, flow_token, data, screen)

    def _data_exchange_payload(
        self, screen: str, data: Mapping[str, Any], flow_token: str | None
    ) -> dict[str, Any]:
        return _requests.data_exchange_request(self.version, screen, data, flow_token)

    def _back_payload(self, screen: str, flow_token: str | None) -> dict[str, Any]:
        return _requests.back_request(self.version, screen, flow_token)

    def _error_payload(
        self,
        flow_token: str | None,
        error: str,
        error_message: str,
        screen: str | None,
        key: _requests.ErrorKey,
        action: str,
    ) -> dict[str, Any]:
        return _requests.error_notification_request(
            self.version, flow_token, error, error_message, screen=screen, key=key, action=action
        )

    # -- keys and preparing ----------------------------------------------------------

    def _call_provider(self) -> Any:
        assert self._key_provider is not None
        try:
            return self._key_provider()
        except Exception as exc:
            raise KeyProviderError(f"key_provider raised {type(exc).__name__}: {exc}") from exc

    def _accept_provided(self, source: Any) -> rsa.RSAPublicKey:
        self._public_key = _core.load_key(source, what="public key returned by key_provider")
        return self._public_key

    def _fixed_key(
        self, override: _core.PublicKeySource | None, body: bytes | None
    ) -> rsa.RSAPublicKey | None:
        """The key for a request when no provider call is needed; raises if there is none."""
        if override is not None:
            return _core.load_key(override)
        if self._public_key is None and self._key_provider is None and body is None:
            raise MissingPublicKeyError(
                "no public key to encrypt with: pass public_key= (the business public key "
                "PEM) or key_provider= to the client, or public_key= to send()"
            )
        return self._public_key

    def _needs_provider(self, override: _core.PublicKeySource | None) -> bool:
        return override is None and self._public_key is None and self._key_provider is not None

    def _prepare(
        self,
        payload: Mapping[str, Any] | bytes | None,
        key: rsa.RSAPublicKey | None,
        signature: _core.Signature,
        envelope: Mapping[str, Any] | None,
        body: bytes | None,
    ) -> _core.Prepared:
        return _core.prepare(
            payload,
            public_key=key,
            app_secret=self._app_secret,
            signature=signature,
            envelope=envelope,
            body=body,
            headers=self.headers,
        )

    def _new_exchange(self, prepared: _core.Prepared, attempt: int) -> Exchange:
        return Exchange(
            url=self.url,
            request_headers=dict(prepared.headers),
            request_body=prepared.body,
            request_payload=prepared.payload,
            envelope=prepared.envelope,
            keys=prepared.keys,
            signature=prepared.signature,
            attempt=attempt,
        )

    def _should_retry(self, exchange: Exchange) -> bool:
        return exchange.status == 421 and self.retry_on_421

    def _record_response(self, exchange: Exchange, response: httpx.Response) -> None:
        self._record_answer(
            exchange, response.status_code, dict(response.headers), response.content
        )

    def _record_answer(
        self, exchange: Exchange, status: int, headers: dict[str, str], body: bytes
    ) -> None:
        exchange.status = status
        exchange.response_headers = headers
        exchange.response_body = body
        _core.judge(exchange)

    def _record_timeout(self, exchange: Exchange) -> None:
        exchange.outcome = Outcome.TIMEOUT_ERROR
        exchange.error = f"no answer within the {self.timeout} s timeout"

    def _record_no_response(self, exchange: Exchange, exc: Exception) -> None:
        exchange.outcome = Outcome.NO_HTTP_RESPONSE_ERROR
        detail = str(exc) or type(exc).__name__
        exchange.error = f"no HTTP answer from {self.url}: {detail}"
