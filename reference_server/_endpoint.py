"""The Flows request path: size, signature, decryption, validation, dispatch (docs/protocol.md).

Every step answers with the status WhatsApp expects: 413 too big, 432 bad signature,
421 cannot decrypt, 427 bad flow token (or a token of a flow this endpoint does not
serve), 400 for requests that make no sense, and 200 with the encrypted answer
otherwise. Once a request is decrypted every answer, errors included, is encrypted with
its key. A missing flow token is no 427 (that would disable the flow's button): some
iOS clients omit it.

Decrypted JSON may hold lone surrogates (``"\ud800"`` is valid JSON but no UTF-8): they
become U+FFFD before anything reads the request, so no later encoding step can fail.
Only a confirmed lead touches storage (:class:`LeadIntake`): INIT, BACK, ping and the
first screen keep working while Redis is down.

:class:`FlowEndpoint` is a plain ASGI app: every request WhatsApp sends takes this path,
so it reads the body and answers with ASGI messages itself, without a framework's
request object, routing or dependency resolution (the app serves it ahead of FastAPI).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from harness.crypto import (
    CryptoError,
    DecryptedRequest,
    KeyRing,
    MalformedEnvelopeError,
    PayloadDecodeError,
    decrypt_request,
    encrypt_response,
    verify_signature,
)
from reference_server._alerts import Alert, Alerter
from reference_server._idempotency import DuplicateInFlightError, idempotency_key
from reference_server._intake import LeadIntake
from reference_server._lead_flow import LeadFlow, UnknownScreenError
from reference_server._logging import log_fields
from reference_server._metrics import Metrics
from reference_server._settings import Settings
from reference_server._tokens import FlowTokenClaims, FlowTokens
from reference_server.exceptions import FlowTokenError, SpoolError

log = logging.getLogger("reference_server.endpoint")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
_SIGNATURE = b"x-hub-signature-256"  # ASGI header names are lower-case
_CONTENT_TYPE = (b"content-type", b"text/plain; charset=utf-8")
_KNOWN_ACTIONS = "ping, INIT, BACK or data_exchange"
_ACTIONS = {"init": "INIT", "back": "BACK", "data_exchange": "data_exchange", "ping": "ping"}


class _BodyTooLarge(Exception):
    pass


class _Answer(Exception):
    """Stops the request path with this status and (encrypted when possible) body."""

    def __init__(self, status: int, payload: dict[str, Any] | str):
        super().__init__(status)
        self.status = status
        self.payload = payload


@dataclass
class FlowEndpoint:
    settings: Settings
    keys: KeyRing
    app_secrets: list[str]
    tokens: FlowTokens
    intake: LeadIntake
    flow: LeadFlow
    alerter: Alerter
    metrics: Metrics
    _alerted_versions: set[str] = field(default_factory=set)
    """One alert per unknown version and process, not one per request."""
    _spool_alerted: bool = False
    """One alert per process when the spool cannot be written."""

    def __post_init__(self) -> None:
        self._served = self.settings.served_flow_ids()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one Flows POST (ASGI)."""
        started = time.perf_counter()
        action = "unknown"
        decrypted: DecryptedRequest | None = None
        payload: dict[str, Any] | str
        try:
            body = await self._read_body(scope, receive)
            if body is None:
                return  # the client went away before sending it all: no one to answer
            if verify_signature(body, _header(scope, _SIGNATURE), self.app_secrets) is None:
                raise _Answer(
                    432, "X-Hub-Signature-256 is missing or does not match the app secret"
                )
            decrypted = self._decrypt(body)
            action, answer = await self._dispatch(utf8_safe(decrypted.payload))
            status, payload = 200, answer
        except _Answer as stop:
            status, payload = stop.status, stop.payload
        content = self._content(payload, decrypted)
        elapsed = time.perf_counter() - started
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-length", b"%d" % len(content)), _CONTENT_TYPE],
            }
        )
        await send({"type": "http.response.body", "body": content})
        self.metrics.observe(action, elapsed, status)
        log.info(
            "flows request",
            extra=log_fields(action=action, status=status, elapsed_ms=round(elapsed * 1000, 2)),
        )

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | None:
        limit = self.settings.max_body_bytes
        too_big = _Answer(413, f"the request body is larger than {limit} bytes")
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise too_big
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise too_big
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def _decrypt(self, body: bytes) -> DecryptedRequest:
        try:
            return decrypt_request(body, self.keys)
        except PayloadDecodeError as exc:
            raise _Answer(400, f"the decrypted request is not JSON: {exc}") from exc
        except MalformedEnvelopeError as exc:
            # bad Base64 or IV is a decryption failure; a body that is no envelope at all is not
            if type(exc) is MalformedEnvelopeError:
                raise _Answer(400, f"not a Flows request envelope: {exc}") from exc
            raise _Answer(421, "the request cannot be decrypted") from exc
        except CryptoError as exc:
            log.warning("request not decrypted", extra=log_fields(error=str(exc)))
            raise _Answer(421, "the request cannot be decrypted") from exc

    async def _dispatch(self, payload: Any) -> tuple[str, dict[str, Any]]:
        if not isinstance(payload, dict):
            raise _Answer(400, {"error_msg": "the request must be a JSON object"})
        version, raw_action = payload.get("version"), payload.get("action")
        if not isinstance(raw_action, str) or not raw_action:
            raise _Answer(400, {"error_msg": "the request has no action"})
        if version not in self.settings.supported_versions:
            if repr(version) not in self._alerted_versions:
                self._alerted_versions.add(repr(version))
                self.alerter.raise_soon(
                    Alert(
                        "high",
                        "Flows request with an unsupported data API version",
                        {"version": repr(version), "supported": self.settings.supported_versions},
                    )
                )
            raise _Answer(
                400,
                {
                    "error_msg": f"data API version {version!r} is not supported; "
                    f"this endpoint speaks {', '.join(self.settings.supported_versions)}"
                },
            )
        action = _ACTIONS.get(raw_action.lower(), raw_action)
        if action == "ping":
            return action, {"data": {"status": "active"}}
        data: Any = payload.get("data")
        if _is_error_notification(action, data):
            log.warning(
                "client error notification",
                extra=log_fields(
                    error=str(data.get("error") or data.get("error_key")),
                    error_message=str(data.get("error_message", "")),
                    screen=str(payload.get("screen") or data.get("screen") or ""),
                ),
            )
            return "error_notification", {"data": {"acknowledged": True}}
        if action not in ("INIT", "BACK", "data_exchange"):
            # before the token check: a 427 would disable the flow's button for good
            raise _Answer(
                400,
                {"error_msg": f"unknown action {raw_action!r}: expected {_KNOWN_ACTIONS}"},
            )
        if data is not None and not isinstance(data, dict):
            raise _Answer(400, {"error_msg": "data must be a JSON object"})
        if data is not None and _deeper_than(data, MAX_DATA_DEPTH):
            # no Flow nests payloads this deep; refusing here keeps recursion out of the rest
            raise _Answer(400, {"error_msg": f"data is nested deeper than {MAX_DATA_DEPTH} levels"})
        raw_token = payload.get("flow_token")
        if raw_token is None or raw_token == "":
            # some iOS clients omit it (docs/protocol.md); a 427 would disable the button for good
            return action, self._without_token(action, payload.get("screen"), data or {})
        claims = self._claims(raw_token)
        token = str(raw_token)
        if action in ("INIT", "BACK"):
            return action, self.flow.first_screen()
        screen = _screen_of(payload)
        try:
            step = self.flow.data_exchange(screen, data or {}, claims, token)
        except UnknownScreenError as exc:
            raise _Answer(400, {"error_msg": str(exc)}) from exc
        if step.lead is None:
            return action, step.answer
        key = idempotency_key(claims.phone, payload)
        try:
            answer, replayed = await self.intake.submit(key, step.lead, step.answer)
        except DuplicateInFlightError:
            # a 409 counts as an endpoint error; the snackbar lets the person simply retry
            return action, self._stay(screen, data or {}, TRY_AGAIN_MESSAGE)
        except SpoolError as exc:
            self._spool_failed(exc)
            return action, self._stay(screen, data or {}, TRY_AGAIN_MESSAGE)
        if replayed:
            log.info("repeated request answered from the idempotency store")
        return action, answer

    def _claims(self, raw_token: Any) -> FlowTokenClaims:
        """The token's claims, or 427: forged, expired, or minted for a flow not served here."""
        try:
            claims = self.tokens.verify(raw_token)
        except FlowTokenError as exc:
            raise _Answer(427, {"error_msg": str(exc)}) from exc
        if self._served and claims.flow_id not in self._served:
            log.warning(
                "flow token of a flow this endpoint does not serve",
                extra=log_fields(flow_id=claims.flow_id),
            )
            raise _Answer(427, {"error_msg": OTHER_FLOW_MESSAGE})
        return claims

    def _spool_failed(self, exc: SpoolError) -> None:
        """Redis is down and the spool cannot be written: the lead cannot be kept."""
        log.error(
            "lead refused: Redis is down and the spool failed", extra=log_fields(error=str(exc))
        )
        if not self._spool_alerted:
            self._spool_alerted = True
            self.alerter.raise_soon(
                Alert("high", "Leads refused: Redis is down and the spool cannot be written",
                      {"error": str(exc), "setting": "FLOWHARNESS_SPOOL_PATH"})
            )  # fmt: skip

    def _without_token(self, action: str, screen: Any, data: dict[str, Any]) -> dict[str, Any]:
        """INIT and BACK need no claims; a submission cannot be attributed without the phone."""
        if action in ("INIT", "BACK"):
            return self.flow.first_screen()
        log.warning("data_exchange without a flow_token: asked to reopen the flow")
        return self._stay(_screen_of({"screen": screen}), data, REOPEN_MESSAGE)

    def _stay(self, screen: str, data: dict[str, Any], message: str) -> dict[str, Any]:
        try:
            return self.flow.stay(screen, data, message)
        except UnknownScreenError as exc:
            raise _Answer(400, {"error_msg": str(exc)}) from exc

    def _content(self, payload: dict[str, Any] | str, decrypted: DecryptedRequest | None) -> bytes:
        """The body: encrypted once the request was decrypted, else the reason as text."""
        if decrypted is not None and isinstance(payload, dict):
            return encrypt_response(payload, decrypted.keys).encode("ascii")
        text = payload if isinstance(payload, str) else str(payload.get("error_msg", ""))
        return text.encode("utf-8")


def _header(scope: Scope, name: bytes) -> str | None:
    """The first ``name`` header of the request (latin-1, as HTTP carries it), or None."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


MAX_DATA_DEPTH = 32
# json.loads joins a valid pair into one code point: any surrogate left is a lone one
_SURROGATE = re.compile("[\ud800-\udfff]")
OTHER_FLOW_MESSAGE = "This link belongs to another flow. Please ask us for a new one."
REOPEN_MESSAGE = (
    "We could not link this form to your chat. Please close it and open it again from our message."
)
TRY_AGAIN_MESSAGE = "We are still working on your previous tap. Please try again in a moment."
KNOWN_ERROR_TYPES = frozenset(
    {
        "timeout_error",
        "no_http_response_error",
        "unexpected_http_status_code",
        "response-decryption-error",
        "invalid-screen-transition",
        "payload-schema-error",
        "business-decryption-error",
        "public-key-missing",
        "cannot_be_served",
        "missing_capability",
        "public-key-signiture-verification",  # Meta's spelling
    }
)
"""Error types WhatsApp reports (Meta: Error Codes, Error Types Reported via WebHook Alerts or
Propagated Back to Endpoint)."""


def utf8_safe(value: Any) -> Any:
    """``value`` with every lone surrogate in its strings (keys too) replaced by U+FFFD.

    Containers nested deeper than the request may be are left as they are: the request is
    refused for its depth before anything reads them.
    """

    def walk(node: Any, depth: int) -> Any:
        if isinstance(node, str):  # ASCII, the usual case, holds no surrogate
            return node if node.isascii() else _SURROGATE.sub("\ufffd", node)
        if depth > MAX_DATA_DEPTH + 1:
            return node
        if isinstance(node, dict):
            return {
                k if k.isascii() else _SURROGATE.sub("\ufffd", k): walk(v, depth + 1)
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [walk(v, depth + 1) for v in node]
        return node

    return walk(value, 0)


def _screen_of(payload: dict[str, Any]) -> str:
    screen = payload.get("screen")
    if not isinstance(screen, str) or not screen:
        raise _Answer(400, {"error_msg": "a data_exchange request needs its screen"})
    return screen


def _is_error_notification(action: str, data: Any) -> TypeGuard[dict[str, Any]]:
    """Whether ``data`` is an error notification's: a string ``error`` or ``error_key``.

    A form may well have a field named ``error``, so a data_exchange must also carry an
    ``error_message`` or name an error type WhatsApp reports.
    """
    if not isinstance(data, dict):
        return False
    kinds = [data[k] for k in ("error", "error_key") if isinstance(data.get(k), str) and data[k]]
    if not kinds:
        return False
    if action != "data_exchange":
        return True
    return isinstance(data.get("error_message"), str) or any(k in KNOWN_ERROR_TYPES for k in kinds)


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether JSON ``value`` nests containers more than ``limit`` levels (iteratively)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
