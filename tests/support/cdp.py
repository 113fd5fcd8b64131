"""Headless Chromium driven over the DevTools protocol, for pages that need clicks.

``--dump-dom`` reads a page once; a live page (a dashboard that polls, forms
that post) needs a browser that stays open. :class:`Browser` starts Chromium
with ``--remote-debugging-port=0`` and a fresh profile, finds the port in the
profile's ``DevToolsActivePort`` file, and speaks CDP over the page's
websocket: navigate, evaluate, wait for a condition with a deadline, click at
an element's centre with real mouse events, type, take a screenshot. Every
wait has a deadline, so a busy machine makes a test slower, not flaky.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import subprocess
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import websocket

__all__ = ["Browser", "BrowserError"]

START_TIMEOUT = 60.0
WAIT_TIMEOUT = 30.0


class BrowserError(AssertionError):
    """The browser did not do what the test asked in time (the message says what)."""


class Browser:
    """One headless Chromium with one page; close it (or use ``with``) to stop it."""

    def __init__(
        self,
        binary: str,
        flags: Sequence[str],
        profile: Path,
        *,
        args: Sequence[str] = (),
        window: str = "1400,1000",
    ) -> None:
        profile.mkdir(parents=True, exist_ok=True)
        self._log = (profile / "chromium.log").open("wb")
        command = [binary, *flags, f"--user-data-dir={profile}", "--remote-debugging-port=0",
                   f"--window-size={window}", *args, "about:blank"]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT)
        self._ids = itertools.count(1)
        try:
            port = self._devtools_port(profile / "DevToolsActivePort")
            self._ws = websocket.create_connection(
                self._page_socket(port), timeout=START_TIMEOUT, suppress_origin=True
            )
            self.call("Page.enable")
            self.call("Runtime.enable")
        except BaseException:
            self.close()
            raise

    def _devtools_port(self, path: Path) -> int:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrowserError(f"chromium exited with {self.process.returncode}")
            if path.exists():
                first = path.read_text().splitlines()[:1]
                if first and first[0].isdigit():
                    return int(first[0])
            time.sleep(0.1)
        raise BrowserError(f"chromium did not open its DevTools port in {START_TIMEOUT:.0f} s")

    @staticmethod
    def _page_socket(port: int) -> str:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
                pages = [t for t in json.load(r) if t.get("type") == "page"]
            if pages:
                return str(pages[0]["webSocketDebuggerUrl"])
            if time.monotonic() > deadline:
                raise BrowserError("chromium has no page to drive")
            time.sleep(0.1)

    # The protocol --------------------------------------------------------------------
    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one CDP command and wait for its answer (events in between are dropped)."""
        message_id = next(self._ids)
        self._ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv())
            if message.get("id") != message_id:
                continue
            if "error" in message:
                raise BrowserError(f"{method} failed: {message['error']}")
            return dict(message.get("result", {}))

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page (promises awaited)."""
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise BrowserError(f"{expression!r} threw: {text}")
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, *, timeout: float = WAIT_TIMEOUT, what: str = "") -> Any:
        """Poll ``expression`` until it is truthy; its value, or a clear failure at the deadline."""
        deadline = time.monotonic() + timeout
        value: Any = None
        while time.monotonic() < deadline:
            try:
                value = self.evaluate(expression)
            except BrowserError as exc:  # e.g. the page is navigating
                value = exc
            if value and not isinstance(value, BrowserError):
                return value
            time.sleep(0.1)
        raise BrowserError(f"waited {timeout:.0f} s for {what or expression}; last: {value!r}")

    # What a person does --------------------------------------------------------------
    def open(self, url: str) -> None:
        self.call("Page.navigate", url=url)
        self.wait_for(
            f"document.readyState === 'complete' && location.href.startsWith({json.dumps(url)})",
            what=f"{url} to load",
        )

    def click(self, selector: str) -> None:
        """Move the mouse to the element's centre and press and release the left button."""
        box = self.wait_for(
            f"""(() => {{
              const el = document.querySelector({json.dumps(selector)});
              if (!el) return null;
              el.scrollIntoView({{block: 'center'}});
              const r = el.getBoundingClientRect();
              return r.width && r.height ? {{x: r.x + r.width / 2, y: r.y + r.height / 2}} : null;
            }})()""",
            what=f"{selector} to be visible",
        )
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent",
                type=kind,
                x=box["x"],
                y=box["y"],
                button="left" if kind != "mouseMoved" else "none",
                clickCount=1,
            )

    def fill(self, selector: str, text: str) -> None:
        """Focus a text input, clear it and type ``text``."""
        self.click(selector)
        self.evaluate(f"document.querySelector({json.dumps(selector)}).select()")
        self.call("Input.insertText", text=text)

    def choose(self, selector: str, value: str) -> None:
        """Pick an option of a ``<select>`` as a person does (the page sees ``change``)."""
        self.wait_for(f"document.querySelector({json.dumps(selector)})", what=selector)
        found = self.evaluate(
            f"""(() => {{
              const el = document.querySelector({json.dumps(selector)});
              if (![...el.options].some(o => o.value === {json.dumps(value)})) return false;
              el.focus();
              el.value = {json.dumps(value)};
              el.dispatchEvent(new Event('input', {{bubbles: true}}));
              el.dispatchEvent(new Event('change', {{bubbles: true}}));
              return true;
            }})()"""
        )
        if not found:
            raise BrowserError(f"{selector} has no option {value!r}")

    def screenshot(self, path: Path) -> Path:
        """The whole page as a PNG."""
        size = self.evaluate(
            "({w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight})"
        )
        clip = {"x": 0, "y": 0, "width": size["w"], "height": size["h"], "scale": 1}
        shot = self.call(
            "Page.captureScreenshot", format="png", clip=clip, captureBeyondViewport=True
        )
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    # Lifecycle -----------------------------------------------------------------------
    def close(self) -> None:
        ws = getattr(self, "_ws", None)
        if ws is not None:
            with contextlib.suppress(BrowserError, websocket.WebSocketException, OSError):
                self.call("Browser.close")
            ws.close()
            self._ws = None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
