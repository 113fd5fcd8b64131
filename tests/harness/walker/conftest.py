"""Fixtures for the walker tests: corpus flows and a client wired to a stub endpoint."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from harness.client import FlowClient
from harness.flowjson import Flow, load_flow
from harness.stub import create_stub_app
from harness.testing import FakeEndpoint

FLOWS = Path(__file__).parents[2] / "data" / "flows"


@pytest.fixture(scope="session")
def corpus() -> Callable[[str], Flow]:
    """``corpus("v6.2-regex")``: a corpus flow by name."""

    def load(name: str) -> Flow:
        return load_flow(FLOWS / f"{name}.json")

    return load


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def stub_client(
    private_key: rsa.RSAPrivateKey, public_pem: bytes, app_secret: str
) -> Callable[..., Any]:
    """``with stub_client(flow, rewrite=...) as (client, app):`` an in-process stub and client."""

    @contextmanager
    def open_stub(
        flow: Flow | Path | str, **options: Any
    ) -> Iterator[tuple[FlowClient, FakeEndpoint]]:
        app = create_stub_app(flow, private_key, app_secret, **options)
        with FlowClient(app, public_key=public_pem, app_secret=app_secret) as client:
            yield client, app

    return open_stub
