"""The flowharness pytest plugin (registered under ``pytest11``).

Kept small and lazy: nothing heavy is imported until a fixture is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest

# --- mock services ------------------------------------------------------------------
# Each mock is built once per session and reset around every test. The handle
# (mocks._core.MockHandle) has .app, .url, .client (httpx, bound to .url),
# .admin (AdminClient), .backend and .reset(). To add a mock: a session fixture
# calling _mock_handle("package.module:create_service") and a function fixture
# calling _fresh() on it.


def _mock_handle(factory: str) -> Iterator[Any]:
    from mocks._core import MockHandle  # lazy: keeps fastapi out of plugin import

    module_name, _, attribute = factory.partition(":")
    create_service = getattr(importlib.import_module(module_name), attribute)
    with MockHandle.in_process(create_service()) as handle:
        yield handle


def _fresh(handle: Any) -> Iterator[Any]:
    handle.reset()
    yield handle
    handle.reset()


@pytest.fixture(scope="session")
def _flowharness_mock_slack() -> Iterator[Any]:
    yield from _mock_handle("mocks.slack:create_service")


@pytest.fixture
def mock_slack(_flowharness_mock_slack: Any) -> Iterator[Any]:
    """The Slack incoming-webhook mock, in-process; fresh (reset) for every test."""
    yield from _fresh(_flowharness_mock_slack)
