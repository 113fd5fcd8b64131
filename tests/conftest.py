"""Fixtures shared by every test package: keys and secrets made once per session."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import settings

from harness import crypto

# Hypothesis's 200 ms per-example deadline trips on a loaded CI machine (RSA keys,
# in-process endpoints); per-test settings still choose their own max_examples.
settings.register_profile("flowharness", deadline=None)
settings.load_profile("flowharness")


@pytest.fixture(scope="session")
def private_key() -> rsa.RSAPrivateKey:
    return crypto.generate_private_key(2048)


@pytest.fixture(scope="session")
def other_private_key() -> rsa.RSAPrivateKey:
    """A second key: what the endpoint holds when the client has a stale public key."""
    return crypto.generate_private_key(2048)


@pytest.fixture(scope="session")
def public_pem(private_key: rsa.RSAPrivateKey) -> bytes:
    return crypto.public_key_pem(private_key)


@pytest.fixture(scope="session")
def app_secret() -> str:
    return "test-app-secret-0123456789abcdef"
