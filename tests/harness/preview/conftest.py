"""Fixtures for the preview tests: the corpus, a parsed page, and headless Chromium."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

FLOWS = Path(__file__).parents[2] / "data" / "flows"
CORPUS = sorted(FLOWS.glob("*.json"))
LEAD_FLOW = Path(__file__).parents[3] / "reference_server" / "flows" / "lead_capture.json"
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


# Injected into a copy of a page: measures what the browser laid out and writes it to
# the DOM, which --dump-dom then returns. The page itself stays script-free.
LAYOUT_PROBE = """
<script>
(function () {
  var out = {phones: [], overflow: [], pointers: [], unknown: []};
  document.querySelectorAll('.phone').forEach(function (phone) {
    var box = phone.getBoundingClientRect();
    out.phones.push({screen: phone.dataset.screen, width: box.width,
                     scroll: phone.scrollWidth, client: phone.clientWidth});
    phone.querySelectorAll('*').forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) { return; }
      if (el.closest('.carousel') && !el.classList.contains('carousel')) { return; }
      if (r.left < box.left - 1 || r.right > box.right + 1) {
        out.overflow.push({screen: phone.dataset.screen, tag: el.tagName,
                           cls: el.className, left: r.left - box.left, right: r.right - box.right});
      }
    });
  });
  document.querySelectorAll('[data-pointer]').forEach(function (el) {
    var r = el.getBoundingClientRect();
    out.pointers.push({pointer: el.dataset.pointer, type: el.dataset.type,
                       rendered: r.width > 0 && r.height > 0});
  });
  document.querySelectorAll('.unknown-head').forEach(function (el) {
    out.unknown.push(el.textContent);
  });
  document.body.setAttribute('data-layout', JSON.stringify(out));
})();
</script>
"""


def probed(html: str) -> str:
    return html.replace("</body>", LAYOUT_PROBE + "</body>")


def layout_from(dom: str) -> dict[str, Any]:
    body = next(attrs for tag, attrs in Elements(dom).tags if tag == "body")
    return json.loads(body["data-layout"])


@pytest.fixture
def stub_walk(private_key: Any, public_pem: bytes, app_secret: str) -> Callable[..., Any]:
    """``stub_walk(flow)``: one seeded journey through ``flow`` against its stub endpoint."""
    from harness.client import FlowClient
    from harness.stub import create_stub_app
    from harness.walker import walk

    def run(flow: Any, seed: int = 7) -> Any:
        app = create_stub_app(flow, private_key, app_secret)
        with FlowClient(app, public_key=public_pem, app_secret=app_secret) as client:
            return walk(flow, client, seed=seed)

    return run
