"""RSA key pairs: generate, load (PKCS#1 / PKCS#8, with or without passphrase), export."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from harness.crypto._errors import InvalidKeyError

KEY_SIZES = (2048, 3072, 4096)
PEMSource = str | bytes | Path
PrivateKeyLike = rsa.RSAPrivateKey | PEMSource
PublicKeyLike = rsa.RSAPublicKey | rsa.RSAPrivateKey | PEMSource


def generate_private_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    """A fresh RSA key pair; Meta's key generator uses 2048 bits."""
    if bits not in KEY_SIZES:
        raise ValueError(f"key size must be one of {KEY_SIZES}, not {bits}")
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _pem_bytes(source: PEMSource) -> bytes:
    if isinstance(source, Path):
        try:
            return source.read_bytes()
        except OSError as exc:
            raise InvalidKeyError(f"cannot read key file {source}: {exc.strerror}") from exc
    return source.encode() if isinstance(source, str) else source


def _passphrase_bytes(passphrase: str | bytes | None) -> bytes | None:
    if passphrase is None or isinstance(passphrase, bytes):
        return passphrase
    return passphrase.encode()


def load_private_key(
    source: PrivateKeyLike, passphrase: str | bytes | None = None
) -> rsa.RSAPrivateKey:
    """Load an RSA private key from PEM (PKCS#1 or PKCS#8, encrypted or not)."""
    if isinstance(source, rsa.RSAPrivateKey):
        return source
    data = _pem_bytes(source)
    if b"-----BEGIN" not in data:
        raise InvalidKeyError(
            "not a PEM private key: expected a '-----BEGIN ... PRIVATE KEY-----' block"
        )
    if b"PUBLIC KEY" in data and b"PRIVATE KEY" not in data:
        raise InvalidKeyError("this is a public key; the endpoint side needs the private key")
    try:
        key = serialization.load_pem_private_key(data, password=_passphrase_bytes(passphrase))
    except TypeError as exc:
        # cryptography says TypeError for a missing or superfluous passphrase
        if passphrase is None:
            raise InvalidKeyError("the private key is encrypted: give its passphrase") from exc
        raise InvalidKeyError("the private key is not encrypted: drop the passphrase") from exc
    except ValueError as exc:
        hint = "wrong passphrase, or " if passphrase is not None else ""
        raise InvalidKeyError(f"cannot load the private key ({hint}corrupt PEM): {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidKeyError(f"WhatsApp Flows needs an RSA key, not {type(key).__name__}")
    return key


def load_public_key(source: PublicKeyLike) -> rsa.RSAPublicKey:
    """Load an RSA public key from PEM (SPKI or PKCS#1), or take it from a private key."""
    if isinstance(source, rsa.RSAPublicKey):
        return source
    if isinstance(source, rsa.RSAPrivateKey):
        return source.public_key()
    data = _pem_bytes(source)
    if b"PRIVATE KEY" in data:
        return load_private_key(data).public_key()
    if b"-----BEGIN" not in data:
        raise InvalidKeyError("not a PEM public key: expected a '-----BEGIN PUBLIC KEY-----' block")
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise InvalidKeyError(f"cannot load the public key (corrupt PEM): {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise InvalidKeyError(f"WhatsApp Flows needs an RSA key, not {type(key).__name__}")
    return key


def private_key_pem(
    key: rsa.RSAPrivateKey,
    *,
    passphrase: str | bytes | None = None,
    fmt: Literal["pkcs8", "pkcs1"] = "pkcs8",
) -> bytes:
    """PEM bytes of a private key, encrypted with ``passphrase`` when one is given."""
    encoding = serialization.Encoding.PEM
    private_format = (
        serialization.PrivateFormat.PKCS8
        if fmt == "pkcs8"
        else serialization.PrivateFormat.TraditionalOpenSSL
    )
    secret = _passphrase_bytes(passphrase)
    algorithm: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(secret) if secret else serialization.NoEncryption()
    )
    return key.private_bytes(encoding, private_format, algorithm)


def public_key_pem(key: PublicKeyLike) -> bytes:
    """PEM (SubjectPublicKeyInfo) of the public half: what is uploaded to WhatsApp."""
    return load_public_key(key).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class KeyRing(Sequence[rsa.RSAPrivateKey]):
    """Several private keys tried in order: the current key first, then the ones being retired."""

    def __init__(self, keys: Iterable[PrivateKeyLike], passphrase: str | bytes | None = None):
        self._keys = [load_private_key(k, passphrase) for k in keys]
        if not self._keys:
            raise InvalidKeyError("a key ring needs at least one private key")

    @classmethod
    def of(cls, keys: KeyRingLike) -> KeyRing:
        if isinstance(keys, KeyRing):
            return keys
        if isinstance(keys, rsa.RSAPrivateKey | str | bytes | Path):
            return cls([keys])
        return cls(keys)

    def __getitem__(self, index):  # type: ignore[no-untyped-def, override]
        return self._keys[index]

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[rsa.RSAPrivateKey]:
        return iter(self._keys)


KeyRingLike = KeyRing | PrivateKeyLike | Iterable[PrivateKeyLike]
