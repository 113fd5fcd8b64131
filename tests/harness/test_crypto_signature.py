"""X-Hub-Signature-256: sign_body and verify_signature, including secret rotation."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness import crypto

secrets = st.text(min_size=1, max_size=40) | st.binary(min_size=1, max_size=40)
bodies = st.binary(max_size=500)


def test_header_name() -> None:
    assert crypto.SIGNATURE_HEADER == "X-Hub-Signature-256"


def test_rfc_4231_test_vector() -> None:
    """HMAC-SHA256 test case 2 of RFC 4231: an independent check of the digest."""
    assert crypto.sign_body(b"what do ya want for nothing?", "Jefe") == (
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    )


@given(body=bodies, secret=secrets)
def test_valid_signature(body: bytes, secret: str | bytes) -> None:
    header = crypto.sign_body(body, secret)
    assert re.fullmatch(r"sha256=[0-9a-f]{64}", header)
    assert crypto.verify_signature(body, header, secret) == 0
    assert crypto.verify_signature(body, header, [secret]) == 0


@given(body=bodies, secret=secrets)
def test_uppercase_hex_and_surrounding_spaces_are_accepted(
    body: bytes, secret: str | bytes
) -> None:
    header = crypto.sign_body(body, secret)
    assert crypto.verify_signature(body, "sha256=" + header[7:].upper(), secret) == 0
    assert crypto.verify_signature(body, header + " ", secret) == 0


@given(body=bodies, secret=secrets, other=secrets)
def test_wrong_secret(body: bytes, secret: str | bytes, other: str | bytes) -> None:
    header = crypto.sign_body(body, secret)
    same = (secret.encode() if isinstance(secret, str) else secret) == (
        other.encode() if isinstance(other, str) else other
    )
    assert crypto.verify_signature(body, header, other) == (0 if same else None)


@given(body=bodies.filter(bool), secret=secrets, data=st.data())
def test_any_changed_body_byte_fails(body: bytes, secret: str | bytes, data: st.DataObject) -> None:
    header = crypto.sign_body(body, secret)
    position = data.draw(st.integers(0, len(body) - 1))
    changed = bytearray(body)
    changed[position] ^= data.draw(st.integers(1, 255))
    assert crypto.verify_signature(bytes(changed), header, secret) is None


@pytest.mark.parametrize("header", [None, "", "sha256=", "sha256"])
def test_missing_header(header: str | None) -> None:
    assert crypto.verify_signature(b"{}", header, "secret") is None


def test_header_without_the_prefix(app_secret: str) -> None:
    header = crypto.sign_body(b"{}", app_secret)
    bare_hex = header.removeprefix("sha256=")
    for wrong in (bare_hex, "sha1=" + bare_hex, "SHA256=" + bare_hex, " " + header):
        assert crypto.verify_signature(b"{}", wrong, app_secret) is None


@given(cut=st.integers(1, 64))
def test_truncated_or_extended_signature(cut: int) -> None:
    header = crypto.sign_body(b"{}", "secret")
    assert crypto.verify_signature(b"{}", header[:-cut], "secret") is None
    assert crypto.verify_signature(b"{}", header + "0" * cut, "secret") is None


@given(junk=st.text(min_size=1, max_size=70))
def test_hostile_headers_never_crash(junk: str) -> None:
    """A non-ASCII header must end in a 432, not a TypeError from compare_digest."""
    assert crypto.verify_signature(b"{}", "sha256=" + junk, "secret") is None


@given(body=bodies, count=st.integers(1, 4), data=st.data())
def test_rotation_reports_which_secret_signed(body: bytes, count: int, data: st.DataObject) -> None:
    ring = [f"secret-{i}" for i in range(count)]
    signer = data.draw(st.integers(0, count - 1))
    header = crypto.sign_body(body, ring[signer])
    assert crypto.verify_signature(body, header, ring) == signer
    assert crypto.verify_signature(body, header, (s for s in ring)) == signer
    assert crypto.verify_signature(body, header, ["retired"]) is None
    assert crypto.verify_signature(body, header, []) is None
