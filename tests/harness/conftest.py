"""Fixtures for the harness tests: RSA keys of every size, and the client tests' endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from harness import crypto
from harness.testing import FakeEndpoint, make_test_endpoint, run_server
from tests.support.corpus import corpus  # noqa: F401 - the endpoint corpus fixture


@pytest.fixture(scope="session")
def keys_by_size(private_key: rsa.RSAPrivateKey) -> dict[int, rsa.RSAPrivateKey]:
    """One private key per size WhatsApp accepts; 4096-bit generation takes a moment."""
    keys = {2048: private_key}
    for bits in crypto.KEY_SIZES:
        keys.setdefault(bits, crypto.generate_private_key(bits))
    return keys


# The endpoint the client tests talk to, in-process (ASGI) and over uvicorn: every
# test taking ``target`` runs both ways.
@pytest.fixture(scope="module")
def endpoint(private_key: rsa.RSAPrivateKey, app_secret: str) -> FakeEndpoint:
    return make_test_endpoint(private_key, app_secret)


@pytest.fixture(scope="module")
def live_url(endpoint: FakeEndpoint) -> Iterator[str]:
    with run_server(endpoint) as url:
        yield url + "/"


@pytest.fixture(params=["asgi", "uvicorn"])
def target(request: pytest.FixtureRequest, endpoint: FakeEndpoint) -> Any:
    endpoint.reset()
    if request.param == "uvicorn":
        return request.getfixturevalue("live_url")
    return endpoint
