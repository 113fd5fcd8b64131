"""CDN media of PhotoPicker/DocumentPicker uploads: round trip and integrity checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from harness import crypto
from harness.crypto import CryptoError, MediaIntegrityError

METADATA_FIELDS = ("encrypted_hash", "iv", "encryption_key", "hmac_key", "plaintext_hash")
BLOCK_EDGES = [0, 1, 15, 16, 17, 31, 32, 33, 47, 48, 49, 4095, 4096, 4097]


def _flip(raw: bytes, position: int, mask: int) -> bytes:
    mutable = bytearray(raw)
    mutable[position] ^= mask
    return bytes(mutable)


@given(plaintext=st.binary(max_size=2000))
@example(plaintext=b"")
@example(plaintext=b"\x10" * 16)  # a full padding block's worth of 0x10 bytes
def test_round_trip(plaintext: bytes) -> None:
    media = crypto.encrypt_media(plaintext)
    assert crypto.decrypt_media(media.cdn_file, media.encryption_metadata) == plaintext


@pytest.mark.parametrize("size", BLOCK_EDGES)
def test_cdn_file_layout_around_block_boundaries(size: int) -> None:
    plaintext = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    media = crypto.encrypt_media(plaintext)
    meta = {k: base64.b64decode(v) for k, v in media.encryption_metadata.items()}
    # PKCS7 always pads, so a whole block is added when the size is a multiple of 16
    assert len(media.cdn_file) == (size // 16 + 1) * 16 + 10
    assert (len(meta["encryption_key"]), len(meta["hmac_key"]), len(meta["iv"])) == (32, 32, 16)
    ciphertext, mac = media.cdn_file[:-10], media.cdn_file[-10:]
    assert mac == hmac.new(meta["hmac_key"], meta["iv"] + ciphertext, hashlib.sha256).digest()[:10]
    assert meta["encrypted_hash"] == hashlib.sha256(media.cdn_file).digest()
    assert meta["plaintext_hash"] == hashlib.sha256(plaintext).digest()
    assert crypto.decrypt_media(media.cdn_file, media.encryption_metadata) == plaintext


def test_every_file_gets_fresh_keys() -> None:
    first, second = crypto.encrypt_media(b"same"), crypto.encrypt_media(b"same")
    for field in ("iv", "encryption_key", "hmac_key"):
        assert first.encryption_metadata[field] != second.encryption_metadata[field]
    assert first.cdn_file != second.cdn_file


@settings(max_examples=50)
@given(plaintext=st.binary(max_size=100), data=st.data())
def test_any_flipped_cdn_byte_is_caught(plaintext: bytes, data: st.DataObject) -> None:
    media = crypto.encrypt_media(plaintext)
    position = data.draw(st.integers(0, len(media.cdn_file) - 1), label="position")
    mask = data.draw(st.integers(1, 255), label="mask")
    with pytest.raises(MediaIntegrityError, match="encrypted_hash does not match"):
        crypto.decrypt_media(_flip(media.cdn_file, position, mask), media.encryption_metadata)


@settings(max_examples=50)
@given(plaintext=st.binary(max_size=100), field=st.sampled_from(METADATA_FIELDS), data=st.data())
def test_any_flipped_metadata_byte_is_caught(
    plaintext: bytes, field: str, data: st.DataObject
) -> None:
    media = crypto.encrypt_media(plaintext)
    raw = base64.b64decode(media.encryption_metadata[field])
    position = data.draw(st.integers(0, len(raw) - 1), label="position")
    mask = data.draw(st.integers(1, 255), label="mask")
    metadata = {**media.encryption_metadata, field: base64.b64encode(_flip(raw, position, mask))}
    metadata[field] = metadata[field].decode()
    with pytest.raises(MediaIntegrityError):
        crypto.decrypt_media(media.cdn_file, metadata)


def test_a_consistently_forged_file_fails_the_hmac() -> None:
    """Truncating the file and fixing encrypted_hash still cannot forge the HMAC."""
    media = crypto.encrypt_media(b"x" * 40)
    forged = media.cdn_file[16:]
    metadata = {
        **media.encryption_metadata,
        "encrypted_hash": base64.b64encode(hashlib.sha256(forged).digest()).decode(),
    }
    with pytest.raises(MediaIntegrityError, match="HMAC does not verify"):
        crypto.decrypt_media(forged, metadata)


@pytest.mark.parametrize(
    "missing", [(f,) for f in METADATA_FIELDS] + [METADATA_FIELDS], ids=[*METADATA_FIELDS, "all"]
)
def test_metadata_missing_fields(missing: tuple[str, ...]) -> None:
    media = crypto.encrypt_media(b"photo")
    metadata = {k: v for k, v in media.encryption_metadata.items() if k not in missing}
    with pytest.raises(MediaIntegrityError, match="lacks " + ", ".join(missing)):
        crypto.decrypt_media(media.cdn_file, metadata)


@pytest.mark.parametrize("field", METADATA_FIELDS)
@pytest.mark.parametrize(
    ("value", "fragment"),
    [("not base64!", "standard Base64"), (None, "must be Base64 strings"), (7, "Base64 strings")],
)
def test_metadata_with_bad_values(field: str, value: Any, fragment: str) -> None:
    media = crypto.encrypt_media(b"photo")
    with pytest.raises(MediaIntegrityError, match=fragment) as caught:
        crypto.decrypt_media(media.cdn_file, {**media.encryption_metadata, field: value})
    assert field in str(caught.value)


@pytest.mark.parametrize("metadata", [None, [], "metadata"])
def test_metadata_not_an_object(metadata: Any) -> None:
    with pytest.raises(MediaIntegrityError, match="must be a JSON object"):
        crypto.decrypt_media(b"x" * 26, metadata)


@settings(max_examples=50)
@given(
    cdn_file=st.binary(max_size=80),
    metadata=st.dictionaries(
        st.sampled_from(METADATA_FIELDS),
        st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode()) | st.text(max_size=8),
    ),
)
def test_arbitrary_media_raises_only_crypto_errors(cdn_file: bytes, metadata: dict) -> None:
    with pytest.raises(CryptoError):
        crypto.decrypt_media(cdn_file, metadata)
