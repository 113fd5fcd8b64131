"""Fixtures for the dashboard tests: mocks served for a dashboard, and headless Chromium."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mocks.dashboard import Dashboard
from tests.harness.preview.conftest import CHROMIUM_FLAGS, chromium_binary
from tests.support.cdp import Browser


@pytest.fixture
def dashboard(mock_services: Any) -> Iterator[Callable[..., Dashboard]]:
    """``dashboard("wasender", "hubspot")``: a dashboard over those served mocks, fresh."""
    made: list[Dashboard] = []

    def make(*names: str) -> Dashboard:
        for name in names:
            mock_services.get(name)
        board = Dashboard.from_config(mock_services.config())
        made.append(board)
        return board

    yield make
    for board in made:
        board.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Callable[..., Browser]]:
    """``browser(*args)``: headless Chromium driven over DevTools, closed after the test.

    Skips (saying why) when Chromium is missing; in CI a missing browser fails instead,
    as the other browser tests do.
    """
    binary = chromium_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed, and CI must run the browser tests")
        pytest.skip("chromium is not on the PATH (apt-get install chromium); CI installs it")
    opened: list[Browser] = []

    def start(*args: str) -> Browser:
        opened.append(Browser(binary, CHROMIUM_FLAGS, tmp_path / f"profile-{len(opened)}",
                              args=args))  # fmt: skip
        return opened[-1]

    yield start
    for one in opened:
        one.close()
