"""A small in-process Flows endpoint for tests and demos, with switches to misbehave.

It speaks the endpoint side of the protocol (docs/protocol.md): checks the signature
over the raw body (432), decrypts with a ring of private keys (421), answers ping, INIT,
BACK, data_exchange and error notifications with encrypted JSON. :meth:`FakeEndpoint.inject`
makes it fail on purpose: a 421, a 427 with an encrypted ``error_msg``, a 500, a
plaintext or garbage answer, or an answer sealed with the wrong IV; ``delay`` slows it.
"""

from __future__ import annotations

import inspect
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from harness import crypto

Handler = Callable[[dict[str, Any]], Any]
"""Computes the answer to a decrypted request; may be async; returns the JSON to encrypt."""


class Fault(StrEnum):
    """Ways the endpoint can misbehave (each applies after the signature check)."""

    STATUS_421 = "421"
    """Answer 421 as if the request could not be decrypted."""
    STATUS_427 = "427"
    """Answer 427, with the encrypted ``{"error_msg": ...}`` or an empty body."""
    STATUS_500 = "500"
    """Answer 500 with a plaintext error."""
    PLAINTEXT = "plaintext"
    """Answer 200 with the JSON unencrypted."""
    WRONG_IV = "wrong-iv"
    """Answer 200 sealed with the request IV instead of the flipped one."""
    GARBAGE = "garbage"
    """Answer 200 with a body that is not Base64 at all."""


@dataclass(slots=True)
class ReceivedRequest:
    """What the endpoint saw and how it answered, for tests to inspect."""

    headers: dict[str, str]
    body: bytes
    signature_valid: bool | None = None
    """None when the endpoint has no app secret and does not check."""
    payload: dict[str, Any] | None = None
    iv: bytes | None = None
    key_index: int | None = None
    status: int | None = None
    fault: Fault | None = None


@dataclass(slots=True)
class _Injected:
    fault: Fault
    remaining: int | None
    error_msg: str | None


def default_handler(payload: dict[str, Any]) -> dict[str, Any]:
    """Answers like a healthy endpoint; screens echo the request so tests can check it."""
    data = payload.get("data")
    if payload.get("action") == "ping":
        return {"data": {"status": "active"}}
    if isinstance(data, dict) and ("error" in data or "error_key" in data):
        return {"data": {"acknowledged": True}}
    screen = payload.get("screen") or "START"
    return {"screen": screen, "data": {"received": payload}}


RECEIVED_LIMIT = 1000


@dataclass
class FakeEndpoint:
    """An ASGI app: pass it to :class:`~harness.client.FlowClient` or serve it with uvicorn."""

    __test__ = False  # not a pytest test class, whatever module imports it

    private_keys: crypto.KeyRing
    app_secrets: list[bytes] | None
    delay: float = 0.0
    handler: Handler = default_handler
    path: str = "/"
    # bounded so a long load run against a stub does not grow without end
    received: deque[ReceivedRequest] = field(default_factory=lambda: deque(maxlen=RECEIVED_LIMIT))
    _faults: list[_Injected] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._app = Starlette(routes=[Route(self.path, self._answer, methods=["POST"])])

    async def __call__(
        self,
        scope: MutableMapping[str, Any],
        receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
        send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
    ) -> None:
        await self._app(scope, receive, send)

    def inject(
        self, fault: Fault | str, *, times: int | None = None, error_msg: str | None = None
    ) -> None:
        """Misbehave on the next ``times`` requests (None: until :meth:`clear_faults`).

        ``error_msg`` is the text of a 427 answer (None: an empty body).
        """
        if times is not None and times < 1:
            raise ValueError(f"times must be a positive count or None, not {times}")
        self._faults.append(_Injected(Fault(fault), times, error_msg))

    def clear_faults(self) -> None:
        self._faults.clear()

    def reset(self) -> None:
        """Forget received requests, faults and delay."""
        self.clear_faults()
        self.received.clear()
        self.delay = 0.0

    def _next_fault(self) -> _Injected | None:
        if not self._faults:
            return None
        injected = self._faults[0]
        if injected.remaining is not None:
            injected.remaining -= 1
            if injected.remaining == 0:
                self._faults.pop(0)
        return injected

    async def _answer(self, request: Request) -> Response:
        body = await request.body()
        seen = ReceivedRequest(headers=dict(request.headers), body=body)
        self.received.append(seen)
        response = await self._respond(seen)
        seen.status = response.status_code
        return response

    async def _respond(self, seen: ReceivedRequest) -> Response:
        if self.delay:
            await anyio.sleep(self.delay)
        if self.app_secrets is not None:
            header = seen.headers.get(crypto.SIGNATURE_HEADER.lower())
            seen.signature_valid = (
                crypto.verify_signature(seen.body, header, self.app_secrets) is not None
            )
            if not seen.signature_valid:
                return PlainTextResponse("signature check failed", status_code=432)
        try:
            opened = crypto.decrypt_request(seen.body, self.private_keys)
        except crypto.CryptoError as exc:
            return PlainTextResponse(f"cannot decrypt the request: {exc}", status_code=421)
        seen.payload, seen.iv, seen.key_index = opened.payload, opened.keys.iv, opened.key_index
        injected = self._next_fault()
        if injected is not None:
            seen.fault = injected.fault
            return await self._misbehave(injected, opened)
        answer = await self._handle(opened.payload)
        return _encrypted(answer, opened.keys)

    async def _handle(self, payload: dict[str, Any]) -> Any:
        answer = self.handler(payload)
        return await answer if inspect.isawaitable(answer) else answer

    async def _misbehave(self, injected: _Injected, opened: crypto.DecryptedRequest) -> Response:
        fault = injected.fault
        if fault is Fault.STATUS_421:
            return PlainTextResponse("injected 421", status_code=421)
        if fault is Fault.STATUS_427:
            if injected.error_msg is None:
                return Response(status_code=427)
            sealed = crypto.encrypt_response({"error_msg": injected.error_msg}, opened.keys)
            return PlainTextResponse(sealed, status_code=427)
        if fault is Fault.STATUS_500:
            return PlainTextResponse("injected internal server error", status_code=500)
        if fault is Fault.GARBAGE:
            return PlainTextResponse("this is not base64 at all!")
        answer = await self._handle(opened.payload)
        if fault is Fault.PLAINTEXT:
            return JSONResponse(answer)
        # WRONG_IV: flipping the IV here makes encrypt_response flip it back to the request IV
        wrong = crypto.ExchangeKeys(opened.keys.aes_key, crypto.flip_iv(opened.keys.iv))
        return _encrypted(answer, wrong)


def _encrypted(answer: Any, keys: crypto.ExchangeKeys) -> Response:
    return PlainTextResponse(crypto.encrypt_response(answer, keys))


def make_test_endpoint(
    private_keys: crypto.KeyRing | Any,
    app_secret: str | bytes | Iterable[str | bytes] | None,
    *,
    delay: float = 0.0,
    fault: Fault | str | None = None,
    fault_times: int | None = None,
    error_msg: str | None = None,
    handler: Handler = default_handler,
    path: str = "/",
) -> FakeEndpoint:
    """A :class:`FakeEndpoint` holding ``private_keys`` (one key, PEM, or several for a
    rotation) and checking signatures with ``app_secret`` (several accepted; None: no check).
    """
    if app_secret is None:
        secrets = None
    elif isinstance(app_secret, str | bytes):
        secrets = [_secret(app_secret)]
    else:
        secrets = [_secret(s) for s in app_secret]
    endpoint = FakeEndpoint(
        crypto.KeyRing.of(private_keys), secrets, delay=delay, handler=handler, path=path
    )
    if fault is not None:
        endpoint.inject(fault, times=fault_times, error_msg=error_msg)
    return endpoint


def _secret(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret
