"""The Flows request/response envelope, both sides (docs/protocol.md, "The envelope").

Request: a fresh AES-128 key wrapped with RSA-OAEP (SHA-256, MGF1-SHA-256), a fresh
16-byte IV, AES-GCM over UTF-8 JSON with the tag appended. Response: same key, the IV
with every byte flipped, AES-GCM again, Base64 as the bare body.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from harness.crypto._b64 import b64decode, b64encode
from harness.crypto._errors import (
    InvalidIVLengthError,
    KeyMismatchError,
    MalformedEnvelopeError,
    PayloadDecodeError,
    TamperedDataError,
)
from harness.crypto._keys import KeyRing, KeyRingLike, PublicKeyLike, load_public_key

IV_LENGTH = 16
AES_KEY_LENGTH = 16
TAG_LENGTH = 16
ENVELOPE_FIELDS = ("encrypted_flow_data", "encrypted_aes_key", "initial_vector")

_OAEP = padding.OAEP(
    mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None
)


@dataclass(frozen=True, slots=True)
class ExchangeKeys:
    """The AES key and IV of one request; the response is sealed with them."""

    aes_key: bytes
    iv: bytes

    @property
    def response_iv(self) -> bytes:
        return flip_iv(self.iv)


@dataclass(frozen=True, slots=True)
class DecryptedRequest:
    """What the endpoint side gets from a request envelope."""

    payload: dict[str, Any]
    keys: ExchangeKeys
    key_index: int = 0
    """Which key of the ring opened it (0 = the current key)."""


_FLIPPED = bytes(range(255, -1, -1))  # byte b -> 255 - b, which is b XOR 0xFF


def flip_iv(iv: bytes) -> bytes:
    """The response IV: every byte of the request IV XOR 0xFF."""
    return bytes(iv).translate(_FLIPPED)


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # built once


def _json_bytes(payload: Mapping[str, Any] | bytes) -> bytes:
    if isinstance(payload, bytes):
        return payload
    return _ENCODE(payload).encode("utf-8")


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN/Infinity; WhatsApp's clients do not
    raise ValueError(f"{name} is not valid JSON (json.dumps(..., allow_nan=False) avoids it)")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)  # built once, not per request


def _parse_json(plaintext: bytes, what: str) -> Any:
    try:
        text = plaintext.decode("utf-8")
        if text.startswith("\ufeff"):  # what json.loads says; the decoder does not check
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        return _DECODER.decode(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise PayloadDecodeError(f"the decrypted {what} is not UTF-8 JSON: {exc}") from exc


def _gcm_open(aes_key: bytes, iv: bytes, sealed: bytes, what: str) -> bytes:
    if len(sealed) < TAG_LENGTH:
        raise TamperedDataError(
            f"the {what} is {len(sealed)} bytes, shorter than the 16-byte GCM tag it must end with"
        )
    try:
        return AESGCM(aes_key).decrypt(iv, sealed, None)
    except InvalidTag as exc:
        raise TamperedDataError(
            f"AES-GCM authentication of the {what} failed: the ciphertext, tag or IV was "
            "altered, or it was sealed with another AES key (check the response IV is the "
            "request IV with every byte flipped)"
        ) from exc


# -- client side -------------------------------------------------------------------


def encrypt_request(
    payload: Mapping[str, Any] | bytes,
    public_key: PublicKeyLike,
    *,
    keys: ExchangeKeys | None = None,
) -> tuple[dict[str, str], ExchangeKeys]:
    """Seal ``payload`` the way WhatsApp does; returns the envelope and the keys for the answer.

    ``payload`` may be raw bytes to send deliberately malformed plaintext. ``keys`` is
    for tests that need a fixed key/IV; WhatsApp draws fresh ones every time.
    """
    keys = keys or ExchangeKeys(os.urandom(AES_KEY_LENGTH), os.urandom(IV_LENGTH))
    wrapped = load_public_key(public_key).encrypt(keys.aes_key, _OAEP)
    sealed = AESGCM(keys.aes_key).encrypt(keys.iv, _json_bytes(payload), None)
    envelope = {
        "encrypted_flow_data": b64encode(sealed),
        "encrypted_aes_key": b64encode(wrapped),
        "initial_vector": b64encode(keys.iv),
    }
    return envelope, keys


def decrypt_response(body: str | bytes, keys: ExchangeKeys) -> Any:
    """Open an endpoint's answer (bare Base64 body) with the request's key and flipped IV."""
    if isinstance(body, bytes):
        body = body.decode("ascii", errors="replace")
    sealed = b64decode(body.strip(), field="response body")
    return _parse_json(_gcm_open(keys.aes_key, keys.response_iv, sealed, "response"), "response")


# -- endpoint side -----------------------------------------------------------------


def parse_envelope(body: bytes | str | Mapping[str, Any]) -> dict[str, str]:
    """Check the envelope's shape: a JSON object with the three Base64 string fields."""
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise MalformedEnvelopeError(f"the request body is not JSON: {exc}") from exc
    if type(body) is not dict and not isinstance(body, Mapping):  # the ABC check is slow
        raise MalformedEnvelopeError("the request body must be a JSON object")
    missing = [f for f in ENVELOPE_FIELDS if f not in body]
    if missing:
        raise MalformedEnvelopeError(f"the envelope lacks {', '.join(missing)}")
    wrong = [f for f in ENVELOPE_FIELDS if not isinstance(body[f], str)]
    if wrong:
        raise MalformedEnvelopeError(f"{', '.join(wrong)} must be Base64 strings")
    return {f: body[f] for f in ENVELOPE_FIELDS}


def decrypt_request(
    body: bytes | str | Mapping[str, Any], private_keys: KeyRingLike
) -> DecryptedRequest:
    """Open a request envelope with the first key of the ring that fits."""
    envelope = parse_envelope(body)
    iv = b64decode(envelope["initial_vector"], field="initial_vector")
    if len(iv) != IV_LENGTH:
        raise InvalidIVLengthError(
            f"initial_vector is {len(iv)} bytes; WhatsApp sends 16-byte IVs (an endpoint or "
            "client assuming the usual 12-byte GCM nonce breaks here)"
        )
    wrapped = b64decode(envelope["encrypted_aes_key"], field="encrypted_aes_key")
    sealed = b64decode(envelope["encrypted_flow_data"], field="encrypted_flow_data")
    ring = KeyRing.of(private_keys)
    for index, key in enumerate(ring):
        try:
            aes_key = key.decrypt(wrapped, _OAEP)
        except ValueError:
            continue
        if len(aes_key) not in (16, 24, 32):
            raise KeyMismatchError(
                f"the unwrapped AES key is {len(aes_key)} bytes; WhatsApp sends 16 (AES-128)"
            )
        keys = ExchangeKeys(aes_key, iv)
        payload = _parse_json(_gcm_open(aes_key, iv, sealed, "request"), "request")
        if not isinstance(payload, dict):
            raise PayloadDecodeError(
                f"the decrypted request is JSON but a {type(payload).__name__}, not an object"
            )
        return DecryptedRequest(payload, keys, index)
    tried = f"any of the {len(ring)} private keys" if len(ring) > 1 else "the private key"
    raise KeyMismatchError(
        f"encrypted_aes_key cannot be unwrapped with {tried}: the client used another public "
        "key (re-upload the business public key; after a key rotation keep the old private "
        "key in the KeyRing until clients have refetched), or the wrapped key was corrupted"
    )


def encrypt_response(payload: Mapping[str, Any] | bytes, keys: ExchangeKeys) -> str:
    """Seal an answer for the client: Base64 text to send as the bare body."""
    return b64encode(AESGCM(keys.aes_key).encrypt(keys.response_iv, _json_bytes(payload), None))
