"""Fixtures for the scenario tests: one key set per session, quiet reference server logs."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.scenarios import EmbeddedTarget, KeySet

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "scenarios"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def key_set() -> KeySet:
    return KeySet()


@pytest.fixture
def embedded(key_set: KeySet) -> EmbeddedTarget:
    return EmbeddedTarget(keys=key_set)


@pytest.fixture(autouse=True)
def _quiet_reference_server() -> Iterator[None]:
    # alerts and parked leads log warnings on purpose; keep test output readable
    logger = logging.getLogger("reference_server")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


def pytest_configure(config: pytest.Config) -> None:
    # pytester drives the plugin tests; a non-root conftest may not set pytest_plugins.
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")
