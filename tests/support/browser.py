"""Headless Chromium for tests that read pages as a browser lays them out.

``chromium`` is a fixture: ``chromium(page, "--dump-dom")`` runs the browser on a file
and returns its output; ``Elements`` parses the HTML it dumps (start tags and text).
A missing browser skips the test, saying why, except in CI, where it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

__all__ = ["CHROMIUM_FLAGS", "Elements", "chromium", "chromium_binary"]

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Elements(HTMLParser):
    """Every start tag's attributes, and the page's text, from an HTML string."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def with_attr(self, name: str) -> list[dict[str, str]]:
        return [attrs for _, attrs in self.tags if name in attrs]

    def joined_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def chromium_binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def chromium(tmp_path: Path) -> Callable[..., str]:
    """``chromium(page, "--dump-dom")``: run headless Chromium on a file, return stdout.

    Skips (saying why) when Chromium is missing; in CI a missing browser fails instead.
    """
    binary = chromium_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed, and CI must run the browser tests")
        pytest.skip("chromium is not on the PATH (apt-get install chromium); CI installs it")
    runs = iter(range(1000))

    def run(page: Path, *args: str, window: str = "1400,1000") -> str:
        profile = tmp_path / f"profile-{next(runs)}"
        command = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                   f"--window-size={window}", *args, page.as_uri()]  # fmt: skip
        done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=True)
        return done.stdout

    return run
