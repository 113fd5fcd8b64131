"""CDN media of PhotoPicker/DocumentPicker uploads (docs/protocol.md, "Media").

The CDN file is AES-256-CBC (PKCS7) ciphertext followed by the first 10 bytes of
HMAC-SHA256(hmac_key, iv || ciphertext). ``encrypted_hash`` is SHA-256 of the whole
file, ``plaintext_hash`` SHA-256 of the plaintext, all Base64.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from harness.crypto._b64 import b64decode, b64encode
from harness.crypto._errors import InvalidBase64Error, MediaIntegrityError

HMAC_TRUNCATION = 10
METADATA_FIELDS = ("encrypted_hash", "iv", "encryption_key", "hmac_key", "plaintext_hash")


@dataclass(frozen=True, slots=True)
class EncryptedMedia:
    cdn_file: bytes
    encryption_metadata: dict[str, str]


def _hmac10(hmac_key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    return hmac.new(hmac_key, iv + ciphertext, hashlib.sha256).digest()[:HMAC_TRUNCATION]


def encrypt_media(plaintext: bytes) -> EncryptedMedia:
    """Encrypt a file the way WhatsApp stores an upload on its CDN."""
    key, hmac_key, iv = os.urandom(32), os.urandom(32), os.urandom(16)
    padder = sym_padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    cdn_file = ciphertext + _hmac10(hmac_key, iv, ciphertext)
    metadata = {
        "encrypted_hash": b64encode(hashlib.sha256(cdn_file).digest()),
        "iv": b64encode(iv),
        "encryption_key": b64encode(key),
        "hmac_key": b64encode(hmac_key),
        "plaintext_hash": b64encode(hashlib.sha256(plaintext).digest()),
    }
    return EncryptedMedia(cdn_file, metadata)


def _metadata_bytes(metadata: Mapping[str, str]) -> dict[str, bytes]:
    if not isinstance(metadata, Mapping):
        raise MediaIntegrityError("encryption_metadata must be a JSON object")
    missing = [f for f in METADATA_FIELDS if f not in metadata]
    if missing:
        raise MediaIntegrityError(f"encryption_metadata lacks {', '.join(missing)}")
    wrong = [f for f in METADATA_FIELDS if not isinstance(metadata[f], str)]
    if wrong:
        raise MediaIntegrityError(f"encryption_metadata {', '.join(wrong)} must be Base64 strings")
    try:
        return {
            f: b64decode(metadata[f], field=f"encryption_metadata.{f}") for f in METADATA_FIELDS
        }
    except InvalidBase64Error as exc:
        raise MediaIntegrityError(str(exc)) from exc


def decrypt_media(cdn_file: bytes, encryption_metadata: Mapping[str, str]) -> bytes:
    """Verify a CDN file against its metadata and return the plaintext."""
    meta = _metadata_bytes(encryption_metadata)
    if not hmac.compare_digest(hashlib.sha256(cdn_file).digest(), meta["encrypted_hash"]):
        raise MediaIntegrityError(
            "encrypted_hash does not match the CDN file: the download is corrupt or not this file"
        )
    ciphertext, mac = cdn_file[:-HMAC_TRUNCATION], cdn_file[-HMAC_TRUNCATION:]
    if not hmac.compare_digest(_hmac10(meta["hmac_key"], meta["iv"], ciphertext), mac):
        raise MediaIntegrityError("the CDN file's HMAC does not verify: wrong hmac_key or iv")
    if len(meta["encryption_key"]) != 32 or len(meta["iv"]) != 16:
        raise MediaIntegrityError("encryption_key must be 32 bytes and iv 16 bytes (AES-256-CBC)")
    if len(ciphertext) % 16:
        raise MediaIntegrityError("the ciphertext is not a whole number of AES blocks")
    decryptor = Cipher(algorithms.AES(meta["encryption_key"]), modes.CBC(meta["iv"])).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = sym_padding.PKCS7(128).unpadder()
    try:
        plaintext = unpadder.update(padded) + unpadder.finalize()
    except ValueError as exc:
        raise MediaIntegrityError("bad PKCS7 padding: wrong encryption_key") from exc
    if not hmac.compare_digest(hashlib.sha256(plaintext).digest(), meta["plaintext_hash"]):
        raise MediaIntegrityError("plaintext_hash does not match the decrypted file")
    return plaintext
