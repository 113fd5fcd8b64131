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

from types import TracebackType
from typing import Any, Generic, Literal, Self

import httpx
from starlette.types import ASGIApp

from mocks._core._client import AdminClient, AsyncAdminClient
from mocks._core._server import ThreadedServer
from mocks._core._service import BackendT, MockService
from mocks._core._transport import SyncASGITransport

__all__ = ["MockHandle", "MockMode"]

MockMode = Literal["asgi", "server"]


class MockHandle(Generic[BackendT]):
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
            self.client = httpx.Client(base_url=self.url, timeout=10.0)
            self.admin = AdminClient(self.url)
        else:
            self.url = service.base_url
            self.client = httpx.Client(
                transport=SyncASGITransport(service.app), base_url=self.url, timeout=10.0
            )
            self.admin = AdminClient.for_app(service.app, self.url)

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
        if self.mode == "server":
            return httpx.Client(base_url=self.url, **kwargs)
        return httpx.Client(
            transport=SyncASGITransport(self.service.app), base_url=self.url, **kwargs
        )

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """A new async client bound to ``url`` (use ``async with``)."""
        if self.mode == "server":
            return httpx.AsyncClient(base_url=self.url, **kwargs)
        return self.service.async_client(**kwargs)

    def async_admin(self) -> AsyncAdminClient:
        if self.mode == "server":
            return AsyncAdminClient(self.url)
        return self.service.async_admin()

    def reset(self) -> None:
        self.admin.reset()

    def close(self) -> None:
        self.client.close()
        self.admin.close()
        if self.server is not None:
            self.server.stop()
        self.service.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<MockHandle {self.service.name} {self.mode} {self.url}>"
