"""The typed errors of the crypto layer: each says what went wrong and what to check."""

from __future__ import annotations


class CryptoError(Exception):
    """Base of every error raised by :mod:`harness.crypto`."""


class InvalidKeyError(CryptoError):
    """A PEM key could not be loaded (not PEM, wrong passphrase, not RSA, too small)."""


class MalformedEnvelopeError(CryptoError):
    """The request envelope is not a JSON object with the three Base64 fields."""


class InvalidBase64Error(MalformedEnvelopeError):
    """A field that must be standard Base64 is not."""


class InvalidIVLengthError(MalformedEnvelopeError):
    """The initial vector is not 16 bytes long (WhatsApp always sends 16)."""


class KeyMismatchError(CryptoError):
    """The AES key could not be unwrapped: wrong private key, or a corrupted wrapped key."""


class TamperedDataError(CryptoError):
    """AES-GCM authentication failed: ciphertext, tag or IV altered, or a wrong AES key."""


class PayloadDecodeError(CryptoError):
    """The plaintext decrypted correctly but is not UTF-8 JSON."""


class MediaIntegrityError(CryptoError):
    """A CDN media file fails its hash or HMAC check, or its metadata is unusable."""
