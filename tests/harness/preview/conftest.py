"""Fixtures for the preview tests: the corpus, a parsed page, and headless Chromium."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import (  # noqa: F401 - the chromium fixture, and names tests import
    CHROMIUM_FLAGS,
    Elements,
    chromium,
    chromium_binary,
)

FLOWS = Path(__file__).parents[2] / "data" / "flows"
CORPUS = sorted(FLOWS.glob("*.json"))
LEAD_FLOW = Path(__file__).parents[3] / "reference_server" / "flows" / "lead_capture.json"


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
