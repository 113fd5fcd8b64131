"""``MockHandle``: what test fixtures yield, the same surface in-process and over a server.

A handle bundles a :class:`MockService` with the way tests reach it:

- ``mode``: ``"asgi"`` (in-process) or ``"server"`` (uvicorn on a loopback port)
- ``url``: the base URL to give the code under test
- ``client``: an httpx client bound to ``url`` (in-process transport in ASGI mode)
- ``admin``: an :class:`AdminClient` over the same route
- ``reset()``: back to a fresh mock through the admin API

::

    with MockHandle.served(create_service()) as slack:
        slack.client.post("/services/T1/B1/x", json={"text": "hi"})
        assert slack.admin.count(matched=True) == 1
"""

from __future__ import annotations

from typing import Any, Generic, Literal

import httpx
from starlette.types import ASGIApp

from mocks._core._client import AdminClient, AsyncAdminClient
from mocks._core._lifecycle import Closing
from mocks._core._server import ThreadedServer
from mocks._core._service import BackendT, MockService
from mocks._core._transport import async_http_client, http_client

__all__ = ["MockHandle", "MockMode"]

MockMode = Literal["asgi", "server"]


class MockHandle(Closing, Generic[BackendT]):
    """One mock reachable in one mode; a context manager closing what it opened."""

    def __init__(self, service: MockService[BackendT], *, mode: MockMode = "asgi") -> None:
        if mode not in ("asgi", "server"):
            raise ValueError(f"mode must be 'asgi' or 'server', got {mode!r}")
        self.service = service
        self.mode: MockMode = mode
        self.server: ThreadedServer | None = None
        if mode == "server":
            self.server = ThreadedServer(service.app).start()
            self.url = self.server.url
        else:
            self.url = service.base_url
        # In server mode clients go over the network; in ASGI mode they call the app.
        self._in_process: ASGIApp | None = None if self.server else service.app
        self.client = self.new_client(timeout=10.0)
        self.admin = (
            AdminClient.for_app(service.app, self.url)
            if self.server is None
            else AdminClient(self.url)
        )

    @classmethod
    def in_process(cls, service: MockService[BackendT]) -> MockHandle[BackendT]:
        return cls(service, mode="asgi")

    @classmethod
    def served(cls, service: MockService[BackendT]) -> MockHandle[BackendT]:
        return cls(service, mode="server")

    @property
    def app(self) -> ASGIApp:
        return self.service.app

    @property
    def backend(self) -> BackendT:
        """The state object: handy in-process; prefer ``admin`` so tests run in both modes."""
        return self.service.backend

    def new_client(self, **kwargs: Any) -> httpx.Client:
        """Another sync client bound to ``url`` (e.g. other timeouts); the caller closes it."""
        return http_client(self.url, self._in_process, **kwargs)

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """A new async client bound to ``url`` (use ``async with``)."""
        return async_http_client(self.url, self._in_process, **kwargs)

    def async_admin(self) -> AsyncAdminClient:
        if self._in_process is None:
            return AsyncAdminClient(self.url)
        return AsyncAdminClient.for_app(self._in_process, self.url)

    def reset(self) -> None:
        self.admin.reset()

    def close(self) -> None:
        self.client.close()
        self.admin.close()
        if self.server is not None:
            self.server.stop()
        self.service.close()

    def __repr__(self) -> str:
        return f"<MockHandle {self.service.name} {self.mode} {self.url}>"
