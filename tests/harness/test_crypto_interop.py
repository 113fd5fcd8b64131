"""Interop with pywa, an independent implementation of the endpoint side of the Flows crypto.

pywa's helpers follow Meta's Python example: they decrypt what WhatsApp sends, encrypt the
answer, and decrypt CDN media. If our client side speaks the protocol, pywa understands it.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import crypto

pywa_utils = pytest.importorskip(
    "pywa.utils", reason="pywa is a test-only dependency: pip install -e '.[dev]'"
)

payload_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=10,
)
payloads = st.dictionaries(st.text(max_size=8), payload_values, max_size=4)
interop_settings = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
LEAD = {
    "version": "3.0",
    "action": "data_exchange",
    "screen": "LEAD",
    "data": {"name": "Zoë Ñúñez", "company": "Müller & Söhne", "budget": 12500.5},
    "flow_token": "tok-42",
}


def _pywa_decrypt(envelope: dict[str, str], pem: bytes, passphrase: str | None) -> tuple:
    return pywa_utils.default_flow_request_decryptor(
        envelope["encrypted_flow_data"],
        envelope["encrypted_aes_key"],
        envelope["initial_vector"],
        pem.decode(),
        passphrase,
    )


@pytest.mark.parametrize("fmt", ["pkcs8", "pkcs1"])
@pytest.mark.parametrize("passphrase", [None, "flows-pass"])
@pytest.mark.parametrize("bits", crypto.KEY_SIZES)
def test_pywa_opens_our_requests(
    keys_by_size: dict[int, rsa.RSAPrivateKey], bits: int, fmt: str, passphrase: str | None
) -> None:
    key = keys_by_size[bits]
    pem = crypto.private_key_pem(key, passphrase=passphrase, fmt=fmt)  # type: ignore[arg-type]
    envelope, keys = crypto.encrypt_request(LEAD, crypto.public_key_pem(key))
    data, aes_key, iv = _pywa_decrypt(envelope, pem, passphrase)
    assert (data, aes_key, iv) == (LEAD, keys.aes_key, keys.iv)


@interop_settings
@given(payload=payloads)
def test_pywa_opens_any_request_payload(private_key: rsa.RSAPrivateKey, payload: dict) -> None:
    pem = crypto.private_key_pem(private_key, passphrase="pw")
    envelope, _ = crypto.encrypt_request(payload, private_key)
    assert _pywa_decrypt(envelope, pem, "pw")[0] == payload


@interop_settings
@given(answer=payloads)
def test_we_open_pywa_responses(private_key: rsa.RSAPrivateKey, answer: dict[str, Any]) -> None:
    pem = crypto.private_key_pem(private_key)
    envelope, keys = crypto.encrypt_request(LEAD, private_key)
    _, aes_key, iv = _pywa_decrypt(envelope, pem, None)
    body = pywa_utils.default_flow_response_encryptor(answer, aes_key, iv)
    assert crypto.decrypt_response(body, keys) == answer


def test_pywa_and_we_seal_responses_identically(private_key: rsa.RSAPrivateKey) -> None:
    """Same key, IV and plaintext bytes give the same ciphertext: the response IV rule agrees.

    pywa serialises with json.dumps defaults, so ours is fed the same bytes.
    """
    _, keys = crypto.encrypt_request(LEAD, private_key)
    answer = {"screen": "DONE", "data": {"ok": True}}
    ours = crypto.encrypt_response(json.dumps(answer).encode(), keys)
    theirs = pywa_utils.default_flow_response_encryptor(answer, keys.aes_key, keys.iv)
    assert ours == theirs


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 1000, 70_000])
def test_pywa_decrypts_our_cdn_media(size: int) -> None:
    plaintext = bytes(i * 7 % 256 for i in range(size))
    media = crypto.encrypt_media(plaintext)
    cdn_url = "https://cdn.example.invalid/media/123"
    requested: list[str] = []

    def cdn(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        return httpx.Response(200, content=media.cdn_file)

    upload = {
        "media_id": "123",
        "cdn_url": cdn_url,
        "file_name": "photo.jpg",
        "encryption_metadata": media.encryption_metadata,
    }
    with httpx.Client(transport=httpx.MockTransport(cdn)) as session:
        decrypted = pywa_utils.flow_request_media_decryptor(upload, dl_session=session)
    assert requested == [cdn_url]
    assert (decrypted.media_id, decrypted.filename, decrypted.data) == (
        "123",
        "photo.jpg",
        plaintext,
    )


def test_pywa_rejects_what_we_reject() -> None:
    """A cross-check that the integrity rules are the same, not just the happy path."""
    media = crypto.encrypt_media(b"contract.pdf bytes")
    tampered = {
        **media.encryption_metadata,
        "plaintext_hash": media.encryption_metadata["encrypted_hash"],
    }
    with pytest.raises(ValueError, match="hash verification failed"):
        pywa_utils._flow_request_media_decryptor(media.cdn_file, tampered)
    with pytest.raises(crypto.MediaIntegrityError, match="plaintext_hash"):
        crypto.decrypt_media(media.cdn_file, tampered)
