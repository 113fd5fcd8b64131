"""The client's logic without I/O: keys, sealing and signing a request, judging the answer.

The sync and async clients share it and differ only in how they send and wait.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from cryptography.hazmat.primitives.asymmetric import rsa

from harness import crypto
from harness.client._exceptions import (
    ConfigurationError,
    InvalidPublicKeyError,
    InvalidRequestError,
    MissingAppSecretError,
    MissingPublicKeyError,
)
from harness.client._journal import Exchange
from harness.client._outcome import Outcome, status_meaning
from harness.client._result import FlowResult
from harness.client._shape import answer_problems

PublicKeySource = str | bytes | Path | rsa.RSAPublicKey | rsa.RSAPrivateKey
Signature = Literal["valid", "bad", "missing"] | str
KeyProvider = Callable[[], Any]
"""Returns a public key (PEM str/bytes/Path or key object); the async client also awaits it."""

CONTENT_TYPE = "application/json"
USER_AGENT = "flowharness (mock WhatsApp client)"
_WRONG_SECRET_SUFFIX = b"-not-the-app-secret"
_EXCERPT = 200


class _Omit:
    def __repr__(self) -> str:
        return "OMIT"


OMIT: Final = _Omit()
"""Use as an envelope override value to drop that field from the request."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """A request ready to go: its exact bytes, headers and the keys to open the answer."""

    body: bytes
    headers: dict[str, str]
    payload: Any
    envelope: dict[str, Any] | None
    keys: crypto.ExchangeKeys | None
    public_key: rsa.RSAPublicKey | None
    signature: str
    """valid, bad, missing or custom."""


def load_key(source: Any, *, what: str = "public key") -> rsa.RSAPublicKey:
    """A public key from anything :func:`harness.crypto.load_public_key` takes."""
    try:
        return crypto.load_public_key(source)
    except crypto.InvalidKeyError as exc:
        raise InvalidPublicKeyError(f"cannot use the {what}: {exc}") from exc
    except TypeError as exc:
        raise InvalidPublicKeyError(
            f"the {what} must be PEM (str, bytes or a Path) or an RSA key object, "
            f"not {type(source).__name__}"
        ) from exc


def check_settings(budget: float, timeout: float, retry_delay: float, version: str) -> None:
    if not budget > 0:
        raise ConfigurationError(f"budget must be a positive number of seconds, not {budget!r}")
    if not timeout > 0:
        raise ConfigurationError(f"timeout must be a positive number of seconds, not {timeout!r}")
    if not retry_delay >= 0:
        raise ConfigurationError(f"retry_delay must be >= 0 seconds, not {retry_delay!r}")
    if not isinstance(version, str) or not version:
        raise ConfigurationError(f"version must be a data API version like '3.0', not {version!r}")


def secret_bytes(app_secret: str | bytes | None) -> bytes | None:
    if app_secret is None or isinstance(app_secret, bytes):
        return app_secret
    if isinstance(app_secret, str):
        return app_secret.encode()
    raise ConfigurationError(f"app_secret must be str or bytes, not {type(app_secret).__name__}")


def prepare(
    payload: Mapping[str, Any] | bytes | None,
    *,
    public_key: rsa.RSAPublicKey | None,
    app_secret: bytes | None,
    signature: Signature = "valid",
    envelope: Mapping[str, Any] | None = None,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> Prepared:
    """Encrypt (fresh AES key and IV), serialise once, and sign those exact bytes."""
    keys: crypto.ExchangeKeys | None = None
    sent_envelope: dict[str, Any] | None = None
    if body is not None:
        if not isinstance(body, bytes):
            raise InvalidRequestError(f"body must be bytes, not {type(body).__name__}")
        raw = body
    else:
        if public_key is None:
            raise MissingPublicKeyError(
                "no public key to encrypt with: pass public_key= (the business public key "
                "PEM) or key_provider= to the client"
            )
        plaintext = _plaintext(payload)
        sealed, keys = crypto.encrypt_request(plaintext, public_key)
        sent_envelope = _override(sealed, envelope or {})
        try:
            raw = json.dumps(sent_envelope, separators=(",", ":")).encode()
        except (TypeError, ValueError) as exc:
            raise InvalidRequestError(f"the envelope overrides are not JSON: {exc}") from exc
    all_headers = {"Content-Type": CONTENT_TYPE, **(headers or {})}
    header = _signature_header(raw, signature, app_secret)
    if header is not None:
        all_headers[crypto.SIGNATURE_HEADER] = header
    mode = signature if signature in ("valid", "bad", "missing") else "custom"
    return Prepared(raw, all_headers, payload, sent_envelope, keys, public_key, mode)


def _plaintext(payload: Mapping[str, Any] | bytes | None) -> bytes:
    if isinstance(payload, bytes):
        return payload
    if not isinstance(payload, Mapping):
        raise InvalidRequestError(
            f"payload must be a mapping (JSON object) or bytes, not {type(payload).__name__}"
        )
    try:
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    except (TypeError, ValueError) as exc:
        raise InvalidRequestError(f"the payload is not JSON-serialisable: {exc}") from exc


def _override(envelope: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Apply envelope overrides: a value replaces, OMIT drops, a callable transforms."""
    result = dict(envelope)
    for name, value in overrides.items():
        if value is OMIT:
            result.pop(name, None)
        elif callable(value):
            result[name] = value(result.get(name))
        else:
            result[name] = value
    return result


def _signature_header(raw: bytes, signature: Signature, app_secret: bytes | None) -> str | None:
    if signature == "missing":
        return None
    if signature == "valid":
        if app_secret is None:
            raise MissingAppSecretError(
                "cannot sign the request: pass app_secret= (the Meta app secret) to the client, "
                "or send with signature='missing' to test an unsigned request"
            )
        return crypto.sign_body(raw, app_secret)
    if signature == "bad":
        return crypto.sign_body(raw, (app_secret or b"") + _WRONG_SECRET_SUFFIX)
    if not isinstance(signature, str) or not signature.isprintable() or not signature.isascii():
        raise InvalidRequestError(
            "signature must be 'valid', 'bad', 'missing' or a printable ASCII header value"
        )
    return signature


# -- judging answers ---------------------------------------------------------------


def connection_suspect(exchange: Exchange) -> bool:
    """After this exchange, should the next request use a fresh connection? Yes after no
    answer (reset, refused, timeout) and after a 5xx: servers often close the connection
    after an unhandled error without saying so."""
    return exchange.status is None or exchange.status >= 500


def judge(exchange: Exchange) -> None:
    """Set the exchange's outcome, decrypted payload and error from its HTTP answer."""
    status, body = exchange.status, exchange.response_body or b""
    if status == 200:
        _judge_200(exchange, body)
    elif status == 421:
        exchange.outcome = Outcome.BUSINESS_DECRYPTION_ERROR
        exchange.error = "the endpoint could not decrypt the request (421)"
    elif status == 427:
        exchange.outcome = Outcome.FLOW_TOKEN_INVALID
        _judge_427(exchange, body)
    elif status == 432:
        exchange.outcome = Outcome.SIGNATURE_REJECTED
        signature = exchange.request_headers.get(crypto.SIGNATURE_HEADER)
        exchange.error = "the endpoint rejected the " + (
            "request's signature" if signature else "request: it carried no signature"
        )
    else:
        exchange.outcome = Outcome.UNEXPECTED_HTTP_STATUS_CODE
        exchange.error = f"{status_meaning(status or 0)}; body starts {_excerpt(body)}"


def _judge_200(exchange: Exchange, body: bytes) -> None:
    if exchange.keys is None:
        exchange.outcome = Outcome.RESPONSE_DECRYPTION_ERROR
        exchange.error = "a raw body was sent, so there is no AES key to open the answer with"
        return
    try:
        exchange.response_payload = crypto.decrypt_response(body, exchange.keys)
    except crypto.CryptoError as exc:
        exchange.outcome = Outcome.RESPONSE_DECRYPTION_ERROR
        exchange.error = _why_undecryptable(body, exchange.keys, exc)
    else:
        if isinstance(exchange.response_payload, dict):
            exchange.outcome = Outcome.OK
        else:
            exchange.outcome = Outcome.PAYLOAD_SCHEMA_ERROR
            exchange.error = (
                "the decrypted answer is JSON but not an object "
                f"({type(exchange.response_payload).__name__}); WhatsApp expects "
                '{"screen": ..., "data": {...}} or {"data": {...}}'
            )


def _judge_427(exchange: Exchange, body: bytes) -> None:
    if not body.strip() or exchange.keys is None:
        return
    try:
        answer = crypto.decrypt_response(body, exchange.keys)
    except crypto.CryptoError as exc:
        exchange.error = "the 427 body cannot be used: " + _why_undecryptable(
            body, exchange.keys, exc
        )
        return
    exchange.response_payload = answer
    if isinstance(answer, dict) and isinstance(answer.get("error_msg"), str):
        return
    exchange.error = 'the decrypted 427 body should be {"error_msg": "..."}'


def _why_undecryptable(body: bytes, keys: crypto.ExchangeKeys, exc: crypto.CryptoError) -> str:
    if not body.strip():
        return "the body is empty; it must be the encrypted answer"
    parsed = _json_value(body)
    if isinstance(parsed, str):
        return "the body is a quoted JSON string; send the bare Base64 text, without quotes"
    if isinstance(parsed, dict | list):
        return (
            f"the body is plaintext JSON ({_excerpt(body)}); it must be encrypted and "
            "sent as bare Base64"
        )
    unflipped = crypto.ExchangeKeys(keys.aes_key, crypto.flip_iv(keys.iv))
    try:
        crypto.decrypt_response(body, unflipped)
    except crypto.CryptoError:
        return f"the answer cannot be decrypted: {exc}"
    return (
        "the answer was sealed with the request IV; the response IV must be the request IV "
        "with every byte XOR 0xFF"
    )


def _json_value(body: bytes) -> Any:
    """The body parsed as JSON, or None (bare Base64 is not JSON, bar digit-only strings)."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def _excerpt(body: bytes) -> str:
    text = body[:_EXCERPT].decode("utf-8", errors="replace")
    return repr(text + ("..." if len(body) > _EXCERPT else ""))


def result(exchanges: list[Exchange], elapsed: float, budget: float) -> FlowResult:
    last = exchanges[-1]
    error_msg = None
    if last.status == 427 and isinstance(last.response_payload, dict):
        message = last.response_payload.get("error_msg")
        error_msg = message if isinstance(message, str) else None
    return FlowResult(
        outcome=last.outcome or Outcome.NO_HTTP_RESPONSE_ERROR,
        status=last.status,
        payload=last.response_payload if last.status == 200 else None,
        error_msg=error_msg,
        elapsed=elapsed,
        budget=budget,
        exchange=last,
        exchanges=tuple(exchanges),
        retried=len(exchanges) > 1,
        error=last.error,
        problems=answer_problems(last.request_payload, last.response_payload)
        if last.outcome is Outcome.OK
        else (),
    )
