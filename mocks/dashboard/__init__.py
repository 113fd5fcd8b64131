"""A web dashboard over running mocks: ``flowharness mocks up`` serves it.

One page lists every mock with its URL and credentials, its journal (live:
the page polls), its fault rules (add one from a form, remove, clear) and a
reset button. Everything goes through each mock's ``/__admin`` API, so it
shows any mocks it can reach, described as ``flowharness mocks up --json``
prints them::

    with Dashboard.from_config(config) as dashboard:   # {"mocks": {...}, "ca_bundle"?}
        server = dashboard.serve(port=0)              # its own loopback server
        print(server.url)

Server-rendered HTML, inline CSS and a little inline JavaScript; no build
step, nothing fetched from elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Self

from mocks._core import Closing, LoopbackTLS, ThreadedServer
from mocks.dashboard._app import dashboard_app
from mocks.dashboard._form import FAULT_KINDS, WHEN, FormError, rule_from_form
from mocks.dashboard._mocks import JOURNAL_ROWS, DashboardMock, JournalRow, MockView

__all__ = [
    "FAULT_KINDS",
    "JOURNAL_ROWS",
    "WHEN",
    "Dashboard",
    "DashboardMock",
    "FormError",
    "JournalRow",
    "MockView",
    "rule_from_form",
]


class Dashboard(Closing):
    """The dashboard over ``mocks``: an ASGI ``app``, and :meth:`serve` to run it."""

    def __init__(self, mocks: Iterable[DashboardMock]) -> None:
        self.mocks = list(mocks)
        self.app = dashboard_app(self.mocks)
        self._servers: list[ThreadedServer] = []

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Self:
        """From ``flowharness mocks up --json`` output: ``{"mocks": {name: {...}}}``."""
        ca_bundle = config.get("ca_bundle")
        return cls(
            DashboardMock.from_described(name, described, ca_bundle)
            for name, described in config["mocks"].items()
        )

    def serve(
        self, *, host: str = "127.0.0.1", port: int = 0, tls: LoopbackTLS | None = None
    ) -> ThreadedServer:
        """Serve the page on ``host:port`` (HTTPS with ``tls``) until :meth:`close`."""
        server = ThreadedServer(self.app, host=host, port=port, tls=tls).start()
        self._servers.append(server)
        return server

    def close(self) -> None:
        while self._servers:
            self._servers.pop().stop()
        for mock in self.mocks:
            mock.close()
