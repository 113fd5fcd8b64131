"""Mocks under test in both modes: in-process ASGI and a real server on a loopback port.

Each handle is built once per session and reset before every test, which is
exactly the isolation the admin reset promises.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mocks._core import MockHandle
from mocks.slack import create_service as create_slack

from ._toy import ToyBackend, create_toy

MODES = ["asgi", "server"]
TOY_SEED = 7


def pytest_configure(config: pytest.Config) -> None:
    # pytester drives the plugin tests; a non-root conftest may not set pytest_plugins.
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def _toy_asgi() -> Iterator[MockHandle[ToyBackend]]:
    with MockHandle(create_toy(seed=TOY_SEED), mode="asgi") as handle:
        yield handle


@pytest.fixture(scope="session")
def _toy_server() -> Iterator[MockHandle[ToyBackend]]:
    with MockHandle(create_toy(seed=TOY_SEED), mode="server") as handle:
        yield handle


@pytest.fixture(params=MODES)
def toy(request: pytest.FixtureRequest) -> MockHandle[ToyBackend]:
    """The toy service, fresh, in each mode."""
    handle: MockHandle[ToyBackend] = request.getfixturevalue(f"_toy_{request.param}")
    handle.reset()
    return handle


@pytest.fixture(scope="session")
def _slack_asgi() -> Iterator[MockHandle[Any]]:
    with MockHandle(create_slack(), mode="asgi") as handle:
        yield handle


@pytest.fixture(scope="session")
def _slack_server() -> Iterator[MockHandle[Any]]:
    with MockHandle(create_slack(), mode="server") as handle:
        yield handle


@pytest.fixture(params=MODES)
def slack(request: pytest.FixtureRequest) -> MockHandle[Any]:
    """The Slack mock, fresh, in each mode."""
    handle: MockHandle[Any] = request.getfixturevalue(f"_slack_{request.param}")
    handle.reset()
    return handle
