"""Flows crypto, both sides of the envelope, keys, and CDN media.

Client side (what WhatsApp does): :func:`encrypt_request`, :func:`decrypt_response`.
Endpoint side: :func:`decrypt_request`, :func:`encrypt_response`.
Every failure raises a :class:`CryptoError` subclass that says what to check.
"""

from harness.crypto._envelope import (
    AES_KEY_LENGTH,
    ENVELOPE_FIELDS,
    IV_LENGTH,
    DecryptedRequest,
    ExchangeKeys,
    decrypt_request,
    decrypt_response,
    encrypt_request,
    encrypt_response,
    flip_iv,
    parse_envelope,
)
from harness.crypto._errors import (
    CryptoError,
    InvalidBase64Error,
    InvalidIVLengthError,
    InvalidKeyError,
    KeyMismatchError,
    MalformedEnvelopeError,
    MediaIntegrityError,
    PayloadDecodeError,
    TamperedDataError,
)
from harness.crypto._keys import (
    KEY_SIZES,
    KeyRing,
    generate_private_key,
    load_private_key,
    load_public_key,
    private_key_pem,
    public_key_pem,
)
from harness.crypto._media import EncryptedMedia, decrypt_media, encrypt_media
from harness.crypto._signature import SIGNATURE_HEADER, sign_body, verify_signature

__all__ = [
    "AES_KEY_LENGTH",
    "ENVELOPE_FIELDS",
    "IV_LENGTH",
    "KEY_SIZES",
    "SIGNATURE_HEADER",
    "CryptoError",
    "DecryptedRequest",
    "EncryptedMedia",
    "ExchangeKeys",
    "InvalidBase64Error",
    "InvalidIVLengthError",
    "InvalidKeyError",
    "KeyMismatchError",
    "KeyRing",
    "MalformedEnvelopeError",
    "MediaIntegrityError",
    "PayloadDecodeError",
    "TamperedDataError",
    "decrypt_media",
    "decrypt_request",
    "decrypt_response",
    "encrypt_media",
    "encrypt_request",
    "encrypt_response",
    "flip_iv",
    "generate_private_key",
    "load_private_key",
    "load_public_key",
    "parse_envelope",
    "private_key_pem",
    "public_key_pem",
    "sign_body",
    "verify_signature",
]
