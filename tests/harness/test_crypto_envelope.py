"""The request/response envelope: round trips, tampering, malformed input, key rotation."""

from __future__ import annotations

import base64
import json
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness import crypto
from harness.crypto import (
    ENVELOPE_FIELDS,
    CryptoError,
    ExchangeKeys,
    InvalidBase64Error,
    InvalidIVLengthError,
    KeyMismatchError,
    KeyRing,
    MalformedEnvelopeError,
    PayloadDecodeError,
    TamperedDataError,
)

# RSA-heavy properties: few examples, no deadline (the 2 shared cores make timings noisy)
rsa_settings = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=15,
)
json_objects = st.dictionaries(st.text(max_size=8), json_values, max_size=5)
key_sizes = st.sampled_from(crypto.KEY_SIZES)
UNICODE_LEAD = {"name": "Ñandú Öztürk", "city": "東京", "note": "🚀 ok", "n": -1.5e-7}


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _flip(raw: bytes, position: int, mask: int) -> bytes:
    mutable = bytearray(raw)
    mutable[position] ^= mask
    return bytes(mutable)


# -- round trips -------------------------------------------------------------------


@rsa_settings
@given(payload=json_objects, bits=key_sizes)
@example(payload=UNICODE_LEAD, bits=2048)
@example(payload={}, bits=4096)
def test_request_round_trip(
    keys_by_size: dict[int, rsa.RSAPrivateKey], payload: dict[str, Any], bits: int
) -> None:
    key = keys_by_size[bits]
    envelope, keys = crypto.encrypt_request(payload, crypto.public_key_pem(key))
    opened = crypto.decrypt_request(json.dumps(envelope), key)
    assert opened.payload == payload
    assert opened.keys == keys
    assert opened.key_index == 0


@rsa_settings
@given(payload=json_values, bits=key_sizes)
@example(payload=UNICODE_LEAD, bits=3072)
@example(payload="", bits=2048)
def test_response_round_trip(
    keys_by_size: dict[int, rsa.RSAPrivateKey], payload: Any, bits: int
) -> None:
    key = keys_by_size[bits]
    envelope, client_keys = crypto.encrypt_request({"action": "ping"}, key)
    endpoint_keys = crypto.decrypt_request(envelope, key).keys
    body = crypto.encrypt_response(payload, endpoint_keys)
    assert crypto.decrypt_response(body, client_keys) == payload
    assert crypto.decrypt_response(body.encode() + b"\n", client_keys) == payload


def test_every_request_draws_a_fresh_key_and_16_byte_iv(private_key: rsa.RSAPrivateKey) -> None:
    (first, first_keys), (second, second_keys) = (
        crypto.encrypt_request({"a": 1}, private_key) for _ in range(2)
    )
    assert len(first_keys.iv) == crypto.IV_LENGTH == 16
    assert len(first_keys.aes_key) == crypto.AES_KEY_LENGTH == 16
    assert first_keys.aes_key != second_keys.aes_key
    assert first_keys.iv != second_keys.iv
    assert first["encrypted_flow_data"] != second["encrypted_flow_data"]
    assert set(first) == set(ENVELOPE_FIELDS)


@given(iv=st.binary(min_size=16, max_size=16))
def test_response_iv_is_request_iv_with_every_byte_flipped(iv: bytes) -> None:
    flipped = crypto.flip_iv(iv)
    assert all(a ^ b == 0xFF for a, b in zip(iv, flipped, strict=True))
    assert crypto.flip_iv(flipped) == iv
    assert ExchangeKeys(bytes(16), iv).response_iv == flipped


# -- tampering ---------------------------------------------------------------------


def _tampered_request(envelope: dict[str, str], part: str, data: st.DataObject) -> dict[str, str]:
    """Flip one hypothesis-chosen byte of one part of the envelope."""
    field = {
        "ciphertext": "encrypted_flow_data",
        "tag": "encrypted_flow_data",
        "iv": "initial_vector",
        "wrapped_key": "encrypted_aes_key",
    }[part]
    raw = _unb64(envelope[field])
    if part == "ciphertext":
        positions = st.integers(0, len(raw) - 17)
    elif part == "tag":
        positions = st.integers(len(raw) - 16, len(raw) - 1)
    else:
        positions = st.integers(0, len(raw) - 1)
    position = data.draw(positions, label="position")
    mask = data.draw(st.integers(1, 255), label="mask")
    return {**envelope, field: _b64(_flip(raw, position, mask))}


@rsa_settings
@pytest.mark.parametrize(
    ("part", "error"),
    [
        ("ciphertext", TamperedDataError),
        ("tag", TamperedDataError),
        ("iv", TamperedDataError),
        ("wrapped_key", KeyMismatchError),
    ],
)
@given(data=st.data(), bits=key_sizes)
def test_any_flipped_request_byte_is_caught_with_the_right_error(
    keys_by_size: dict[int, rsa.RSAPrivateKey],
    part: str,
    error: type[CryptoError],
    data: st.DataObject,
    bits: int,
) -> None:
    key = keys_by_size[bits]
    envelope, _ = crypto.encrypt_request({"screen": "LEAD", "data": {"x": "y"}}, key)
    tampered = _tampered_request(envelope, part, data)
    with pytest.raises(error) as caught:
        crypto.decrypt_request(tampered, key)
    assert type(caught.value) is error
    fragment = "AES-GCM authentication" if error is TamperedDataError else "re-upload"
    assert fragment in str(caught.value)


@rsa_settings
@pytest.mark.parametrize("part", ["ciphertext", "tag", "iv", "aes_key"])
@given(data=st.data())
def test_any_flipped_response_byte_is_caught(
    private_key: rsa.RSAPrivateKey, part: str, data: st.DataObject
) -> None:
    _, keys = crypto.encrypt_request({"action": "ping"}, private_key)
    body = crypto.encrypt_response({"data": {"status": "active"}}, keys)
    sealed = _unb64(body)
    mask = data.draw(st.integers(1, 255), label="mask")
    if part == "ciphertext":
        body = _b64(_flip(sealed, data.draw(st.integers(0, len(sealed) - 17)), mask))
    elif part == "tag":
        body = _b64(_flip(sealed, data.draw(st.integers(len(sealed) - 16, len(sealed) - 1)), mask))
    elif part == "iv":
        keys = ExchangeKeys(keys.aes_key, _flip(keys.iv, data.draw(st.integers(0, 15)), mask))
    else:
        keys = ExchangeKeys(_flip(keys.aes_key, data.draw(st.integers(0, 15)), mask), keys.iv)
    with pytest.raises(TamperedDataError, match="AES-GCM authentication of the response"):
        crypto.decrypt_response(body, keys)


def test_response_sealed_with_the_request_iv_unflipped_is_rejected(
    private_key: rsa.RSAPrivateKey,
) -> None:
    """The classic endpoint bug: reusing the request IV for the answer."""
    _, keys = crypto.encrypt_request({"action": "ping"}, private_key)
    wrong = crypto.encrypt_response({"data": {}}, ExchangeKeys(keys.aes_key, keys.response_iv))
    with pytest.raises(TamperedDataError, match="flipped"):
        crypto.decrypt_response(wrong, keys)


@pytest.mark.parametrize("length", [0, 1, 15])
def test_sealed_data_shorter_than_the_tag(private_key: rsa.RSAPrivateKey, length: int) -> None:
    envelope, keys = crypto.encrypt_request({}, private_key)
    short = _b64(os.urandom(length))
    with pytest.raises(TamperedDataError, match="shorter than the 16-byte GCM tag"):
        crypto.decrypt_request({**envelope, "encrypted_flow_data": short}, private_key)
    with pytest.raises(TamperedDataError, match="shorter than the 16-byte GCM tag"):
        crypto.decrypt_response(short, keys)


# -- malformed envelopes -----------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(length=st.integers(0, 64).filter(lambda n: n != crypto.IV_LENGTH))
@example(length=12)
def test_wrong_iv_length(private_key: rsa.RSAPrivateKey, length: int) -> None:
    envelope, _ = crypto.encrypt_request({}, private_key)
    envelope["initial_vector"] = _b64(os.urandom(length))
    with pytest.raises(InvalidIVLengthError, match=f"{length} bytes.*16-byte IVs"):
        crypto.decrypt_request(envelope, private_key)


def test_request_sealed_with_a_12_byte_nonce(private_key: rsa.RSAPrivateKey) -> None:
    """What a client built on Go's or .NET's GCM defaults would send."""
    envelope, _ = crypto.encrypt_request(
        {}, private_key, keys=ExchangeKeys(os.urandom(16), os.urandom(12))
    )
    with pytest.raises(InvalidIVLengthError, match="12-byte GCM nonce"):
        crypto.decrypt_request(envelope, private_key)


# bytes whose standard Base64 is full of '+' and '/', so the URL-safe form differs
URL_SAFE_ONLY = base64.urlsafe_b64encode(b"\xfb\xff\xbf" * 6).decode()


@pytest.mark.parametrize("field", ENVELOPE_FIELDS)
@pytest.mark.parametrize(
    "value",
    [URL_SAFE_ONLY, "not base64!", "QUJD", "QUJDRA", "QUJD\nRA==", '"QUJD"', "Ñandú"],
    ids=["url-safe", "punctuation", "ok-but-other", "no-padding", "newline", "quoted", "non-ascii"],
)
def test_non_standard_base64(private_key: rsa.RSAPrivateKey, field: str, value: str) -> None:
    envelope, _ = crypto.encrypt_request({}, private_key)
    envelope[field] = value
    if value == "QUJD":  # valid Base64: only this field is then wrong in another way
        with pytest.raises(CryptoError) as caught:
            crypto.decrypt_request(envelope, private_key)
        assert not isinstance(caught.value, InvalidBase64Error)
        return
    with pytest.raises(InvalidBase64Error, match=f"{field}.*standard Base64"):
        crypto.decrypt_request(envelope, private_key)


def test_url_safe_base64_error_names_the_likely_cause(private_key: rsa.RSAPrivateKey) -> None:
    envelope, _ = crypto.encrypt_request({}, private_key)
    envelope["encrypted_aes_key"] = URL_SAFE_ONLY
    with pytest.raises(InvalidBase64Error, match="URL-safe"):
        crypto.decrypt_request(envelope, private_key)


@pytest.mark.parametrize(
    "missing",
    [(f,) for f in ENVELOPE_FIELDS] + [ENVELOPE_FIELDS],
    ids=[*ENVELOPE_FIELDS, "all"],
)
def test_missing_fields(private_key: rsa.RSAPrivateKey, missing: tuple[str, ...]) -> None:
    envelope, _ = crypto.encrypt_request({}, private_key)
    for field in missing:
        del envelope[field]
    with pytest.raises(MalformedEnvelopeError, match="lacks " + ", ".join(missing)) as caught:
        crypto.decrypt_request(json.dumps(envelope).encode(), private_key)
    assert type(caught.value) is MalformedEnvelopeError


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"", "not JSON"),
        (b"encrypted_flow_data=abc", "not JSON"),
        (b"\xff\xfe{}", "not JSON"),
        ("{" * 100_000, "not JSON"),
        ("[" * 100_000 + "]" * 100_000, "not JSON"),
        (b"[]", "JSON object"),
        ("null", "JSON object"),
        ('"a string"', "JSON object"),
        ([], "JSON object"),
        ('{"encrypted_flow_data": 1, "encrypted_aes_key": null, "initial_vector": []}', "strings"),
    ],
    ids=[
        "empty",
        "form-encoded",
        "not-utf8",
        "unterminated",
        "too-deep",
        "array",
        "null",
        "string",
        "python-list",
        "non-string-fields",
    ],
)
def test_malformed_envelope(private_key: rsa.RSAPrivateKey, body: Any, fragment: str) -> None:
    with pytest.raises(MalformedEnvelopeError, match=fragment) as caught:
        crypto.decrypt_request(body, private_key)
    assert type(caught.value) is MalformedEnvelopeError


@pytest.mark.parametrize(
    ("plaintext", "fragment"),
    [
        (b"not json", "not UTF-8 JSON"),
        (b"\xff\xfe\x00", "not UTF-8 JSON"),
        (b'{"a": NaN}', "NaN is not valid JSON"),
        (b"Infinity", "Infinity is not valid JSON"),
        (b"[1, 2]", "a list, not an object"),
        (b'"ping"', "a str, not an object"),
    ],
)
def test_request_plaintext_not_a_json_object(
    private_key: rsa.RSAPrivateKey, plaintext: bytes, fragment: str
) -> None:
    envelope, _ = crypto.encrypt_request(plaintext, private_key)
    with pytest.raises(PayloadDecodeError, match=fragment):
        crypto.decrypt_request(envelope, private_key)


@pytest.mark.parametrize("plaintext", [b"<html>ok</html>", b"\xc3\x28", b"NaN", b""])
def test_response_plaintext_not_json(private_key: rsa.RSAPrivateKey, plaintext: bytes) -> None:
    _, keys = crypto.encrypt_request({}, private_key)
    with pytest.raises(PayloadDecodeError, match="decrypted response is not UTF-8 JSON"):
        crypto.decrypt_response(crypto.encrypt_response(plaintext, keys), keys)


@pytest.mark.parametrize("body", ["not base64!", b"\xff\xfe", '"QUJD"', "QUJD-_=="])
def test_response_body_not_base64(private_key: rsa.RSAPrivateKey, body: str | bytes) -> None:
    _, keys = crypto.encrypt_request({}, private_key)
    with pytest.raises(InvalidBase64Error, match="response body"):
        crypto.decrypt_response(body, keys)


# -- keys: mismatch and rotation ---------------------------------------------------


def test_wrong_private_key_says_re_upload_or_rotate(
    private_key: rsa.RSAPrivateKey, other_private_key: rsa.RSAPrivateKey
) -> None:
    envelope, _ = crypto.encrypt_request({}, other_private_key)
    with pytest.raises(KeyMismatchError, match="re-upload the business public key") as caught:
        crypto.decrypt_request(envelope, private_key)
    assert "rotation" in str(caught.value)


def test_key_ring_opens_old_and_new_and_reports_the_index(
    private_key: rsa.RSAPrivateKey, other_private_key: rsa.RSAPrivateKey
) -> None:
    new, old = private_key, other_private_key
    ring = KeyRing(
        [
            crypto.private_key_pem(new, passphrase="pw"),
            crypto.private_key_pem(old, passphrase="pw"),
        ],
        passphrase="pw",
    )
    for key, index in ((new, 0), (old, 1)):
        envelope, keys = crypto.encrypt_request({"who": index}, key)
        opened = crypto.decrypt_request(envelope, ring)
        assert (opened.payload, opened.keys, opened.key_index) == ({"who": index}, keys, index)
    assert crypto.decrypt_request(envelope, [new, old]).key_index == 1


def test_key_ring_without_the_right_key(
    keys_by_size: dict[int, rsa.RSAPrivateKey], other_private_key: rsa.RSAPrivateKey
) -> None:
    envelope, _ = crypto.encrypt_request({}, other_private_key)
    with pytest.raises(KeyMismatchError, match="any of the 2 private keys"):
        crypto.decrypt_request(envelope, KeyRing([keys_by_size[3072], keys_by_size[4096]]))


# -- never a bare library exception ------------------------------------------------

envelope_values = st.one_of(
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_"),
    st.binary(max_size=300).map(_b64),
    json_scalars,
)


@settings(max_examples=50, deadline=None)
@given(
    body=st.one_of(
        st.binary(max_size=100),
        st.dictionaries(st.sampled_from(ENVELOPE_FIELDS), envelope_values),
        json_values.map(json.dumps),
    )
)
def test_arbitrary_request_bodies_raise_only_crypto_errors(
    private_key: rsa.RSAPrivateKey, body: Any
) -> None:
    with pytest.raises(CryptoError) as caught:
        crypto.decrypt_request(body, private_key)
    assert str(caught.value)


@settings(max_examples=50)
@given(body=st.one_of(st.binary(max_size=100), st.text(max_size=100)))
def test_arbitrary_response_bodies_raise_only_crypto_errors(body: str | bytes) -> None:
    keys = ExchangeKeys(bytes(16), bytes(16))
    with pytest.raises(CryptoError):
        crypto.decrypt_response(body, keys)
