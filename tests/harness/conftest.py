"""Fixtures for the harness tests: RSA keys of every supported size, made once per session."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from harness import crypto


@pytest.fixture(scope="session")
def keys_by_size(private_key: rsa.RSAPrivateKey) -> dict[int, rsa.RSAPrivateKey]:
    """One private key per size WhatsApp accepts; 4096-bit generation takes a moment."""
    keys = {2048: private_key}
    for bits in crypto.KEY_SIZES:
        keys.setdefault(bits, crypto.generate_private_key(bits))
    return keys
