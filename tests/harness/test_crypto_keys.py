"""RSA keys: generation, PEM loading (PKCS#1/PKCS#8, passphrases), errors that say what to do."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from harness import crypto
from harness.crypto import InvalidKeyError, KeyRing

FORMATS = ["pkcs8", "pkcs1"]
PASSPHRASES = [None, "s3cret pass", b"\x00binary\xff", "pässwörd"]


def _same_key(a: rsa.RSAPrivateKey, b: rsa.RSAPrivateKey) -> bool:
    return a.private_numbers() == b.private_numbers()


@pytest.mark.parametrize("bits", crypto.KEY_SIZES)
def test_generated_keys_have_the_requested_size(
    keys_by_size: dict[int, rsa.RSAPrivateKey], bits: int
) -> None:
    key = keys_by_size[bits]
    assert key.key_size == bits
    assert key.public_key().public_numbers().e == 65537


@pytest.mark.parametrize("bits", [1024, 2047, 8192])
def test_unsupported_key_sizes_are_refused(bits: int) -> None:
    with pytest.raises(ValueError, match="must be one of"):
        crypto.generate_private_key(bits)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("passphrase", PASSPHRASES)
def test_pem_round_trip(
    private_key: rsa.RSAPrivateKey, fmt: str, passphrase: str | bytes | None
) -> None:
    pem = crypto.private_key_pem(private_key, passphrase=passphrase, fmt=fmt)  # type: ignore[arg-type]
    header = {
        ("pkcs8", False): b"-----BEGIN PRIVATE KEY-----",
        ("pkcs8", True): b"-----BEGIN ENCRYPTED PRIVATE KEY-----",
        ("pkcs1", False): b"-----BEGIN RSA PRIVATE KEY-----",
        ("pkcs1", True): b"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED",
    }[fmt, passphrase is not None]
    assert pem.startswith(header)
    assert _same_key(crypto.load_private_key(pem, passphrase), private_key)
    assert _same_key(crypto.load_private_key(pem.decode(), passphrase), private_key)


@pytest.mark.parametrize("fmt", FORMATS)
def test_load_from_a_path(private_key: rsa.RSAPrivateKey, tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "private.pem"
    path.write_bytes(crypto.private_key_pem(private_key, passphrase="pw", fmt=fmt))  # type: ignore[arg-type]
    assert _same_key(crypto.load_private_key(path, "pw"), private_key)
    public = tmp_path / "public.pem"
    public.write_bytes(crypto.public_key_pem(private_key))
    assert (
        crypto.load_public_key(public).public_numbers() == private_key.public_key().public_numbers()
    )


def test_missing_key_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidKeyError, match=r"cannot read key file .*nope\.pem"):
        crypto.load_private_key(tmp_path / "nope.pem")


@pytest.mark.parametrize("fmt", FORMATS)
def test_wrong_passphrase(private_key: rsa.RSAPrivateKey, fmt: str) -> None:
    pem = crypto.private_key_pem(private_key, passphrase="right", fmt=fmt)  # type: ignore[arg-type]
    with pytest.raises(InvalidKeyError, match="wrong passphrase"):
        crypto.load_private_key(pem, "wrong")


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_passphrase(private_key: rsa.RSAPrivateKey, fmt: str) -> None:
    pem = crypto.private_key_pem(private_key, passphrase="right", fmt=fmt)  # type: ignore[arg-type]
    with pytest.raises(InvalidKeyError, match="encrypted: give its passphrase"):
        crypto.load_private_key(pem)
    with pytest.raises(InvalidKeyError, match="give its passphrase"):
        crypto.load_public_key(pem)


@pytest.mark.parametrize("passphrase", ["pw", b"pw", ""])
def test_superfluous_passphrase(private_key: rsa.RSAPrivateKey, passphrase: str | bytes) -> None:
    pem = crypto.private_key_pem(private_key)
    with pytest.raises(InvalidKeyError, match="not encrypted: drop the passphrase"):
        crypto.load_private_key(pem, passphrase)


def _pem_block(label: str, body: bytes) -> bytes:
    return b"-----BEGIN %s-----\n%s\n-----END %s-----\n" % (
        label.encode(),
        base64.encodebytes(body).strip(),
        label.encode(),
    )


@pytest.mark.parametrize(
    ("pem", "fragment"),
    [
        (b"", "not a PEM private key"),
        (b"hello, I am a key", "expected a '-----BEGIN"),
        ("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQ", "not a PEM private key"),
        (_pem_block("PRIVATE KEY", b"\x30\x03\x02\x01\x00"), "corrupt PEM"),
        (_pem_block("RSA PRIVATE KEY", b"garbage"), "corrupt PEM"),
        (b"-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----\n", "corrupt PEM"),
    ],
    ids=["empty", "text", "pem-body-without-armour", "bad-der", "bad-pkcs1", "bad-base64"],
)
def test_garbage_private_keys(pem: bytes | str, fragment: str) -> None:
    with pytest.raises(InvalidKeyError, match=fragment):
        crypto.load_private_key(pem)


@settings(max_examples=50)
@given(
    body=st.binary(max_size=300),
    label=st.sampled_from(["PRIVATE KEY", "RSA PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "X"]),
    passphrase=st.none() | st.just("pw"),
)
def test_any_garbage_pem_is_an_invalid_key_error(
    body: bytes, label: str, passphrase: str | None
) -> None:
    with pytest.raises(InvalidKeyError):
        crypto.load_private_key(_pem_block(label, body), passphrase)
    with pytest.raises(InvalidKeyError):
        crypto.load_private_key(body, passphrase)


@pytest.mark.parametrize(
    "other_key",
    [ec.generate_private_key(ec.SECP256R1()), ed25519.Ed25519PrivateKey.generate()],
    ids=["ec-p256", "ed25519"],
)
def test_non_rsa_keys_are_refused(
    other_key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey,
) -> None:
    pem = other_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(InvalidKeyError, match="needs an RSA key"):
        crypto.load_private_key(pem)
    public_pem = other_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(InvalidKeyError, match="needs an RSA key"):
        crypto.load_public_key(public_pem)


@pytest.mark.parametrize(
    "public_format",
    [serialization.PublicFormat.SubjectPublicKeyInfo, serialization.PublicFormat.PKCS1],
)
def test_public_key_given_where_the_private_key_is_needed(
    private_key: rsa.RSAPrivateKey, public_format: serialization.PublicFormat
) -> None:
    pem = private_key.public_key().public_bytes(serialization.Encoding.PEM, public_format)
    with pytest.raises(InvalidKeyError, match="public key; the endpoint side needs the private"):
        crypto.load_private_key(pem)
    envelope, _ = crypto.encrypt_request({}, private_key)
    with pytest.raises(InvalidKeyError, match="public key"):
        crypto.decrypt_request(envelope, pem)
    assert crypto.load_public_key(pem).public_numbers() == private_key.public_key().public_numbers()


def test_public_key_from_private(private_key: rsa.RSAPrivateKey) -> None:
    expected = private_key.public_key().public_numbers()
    encrypted_pem = crypto.private_key_pem(private_key, passphrase="pw")
    sources = [
        private_key,
        private_key.public_key(),
        crypto.private_key_pem(private_key),
        crypto.private_key_pem(private_key, fmt="pkcs1").decode(),
        crypto.public_key_pem(private_key),
        crypto.public_key_pem(crypto.load_private_key(encrypted_pem, "pw")),
    ]
    for source in sources:
        assert crypto.load_public_key(source).public_numbers() == expected
    pem = crypto.public_key_pem(private_key)
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")


def test_garbage_public_keys() -> None:
    with pytest.raises(InvalidKeyError, match="expected a '-----BEGIN PUBLIC KEY-----'"):
        crypto.load_public_key(b"ssh-rsa AAAAB3NzaC1yc2E")
    with pytest.raises(InvalidKeyError, match="corrupt PEM"):
        crypto.load_public_key(_pem_block("PUBLIC KEY", b"nope"))


def test_key_ring_needs_a_key() -> None:
    with pytest.raises(InvalidKeyError, match="at least one private key"):
        KeyRing([])


def test_key_ring_of(private_key: rsa.RSAPrivateKey, other_private_key: rsa.RSAPrivateKey) -> None:
    ring = KeyRing([private_key, crypto.private_key_pem(other_private_key)])
    assert KeyRing.of(ring) is ring
    assert len(ring) == 2
    assert _same_key(ring[1], other_private_key)
    assert all(_same_key(a, b) for a, b in zip(ring, [private_key, other_private_key], strict=True))
    assert len(KeyRing.of(private_key)) == 1
    assert len(KeyRing.of(crypto.private_key_pem(private_key).decode())) == 1
    with pytest.raises(InvalidKeyError, match="give its passphrase"):
        KeyRing.of(crypto.private_key_pem(private_key, passphrase="pw"))
