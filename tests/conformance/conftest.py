"""Fixtures for the conformance tests: the reference endpoint and its test token."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import broken_endpoints
from tests.support.corpus import corpus  # noqa: F401 - the endpoint corpus fixture


@pytest.fixture(autouse=True)
def _quiet_reference_logs() -> Iterator[None]:
    # the reference endpoint logs every rejected request; hundreds of lines hide failures
    logging.disable(logging.WARNING)
    yield
    logging.disable(logging.NOTSET)


@pytest.fixture
def reference(private_key, app_secret) -> Any:
    return broken_endpoints.reference_app(private_key, app_secret)


@pytest.fixture
def token() -> str:
    return broken_endpoints.mint_token()


@pytest.fixture
def check_options(public_pem, app_secret, token) -> dict[str, Any]:
    """Everything check_endpoint needs besides the endpoint, with a lead-queuing sample."""
    return {
        "public_key": public_pem,
        "app_secret": app_secret,
        "flow_token": token,
        "sample_request": broken_endpoints.sample_request(),
    }


@pytest.fixture
def public_pem_file(tmp_path: Path, public_pem: bytes) -> Path:
    path = tmp_path / "public.pem"
    path.write_bytes(public_pem)
    return path
