"""Mocks under test in both modes: in-process ASGI and a real server on a loopback port.

Each handle is built once per session and reset before every test, which is
exactly the isolation the admin reset promises (see ``_modes.both_modes``).
"""

from __future__ import annotations

import pytest

from mocks.slack import create_service as create_slack

from ._modes import both_modes, mock_handles_fixture
from ._toy import create_toy

TOY_SEED = 7

mock_handles = pytest.fixture(scope="session", name="mock_handles")(mock_handles_fixture)


def pytest_configure(config: pytest.Config) -> None:
    # pytester drives the plugin tests; a non-root conftest may not set pytest_plugins.
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


toy = both_modes("toy", lambda: create_toy(seed=TOY_SEED))
"""The toy service, fresh, in each mode."""

slack = both_modes("slack", create_slack)
"""The Slack mock, fresh, in each mode."""
