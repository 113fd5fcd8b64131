"""``MockHandle``: what test fixtures yield, the same surface in-process and over a server.

A handle bundles a :class:`MockService` with the way tests reach it:

- ``mode``: ``"server"`` (uvicorn on a loopback port: any client in any
  language reaches ``url``) or ``"asgi"`` (in-process: httpx clients given the
  handle's transport only)
- ``url``: the base URL to give the code under test; ``host`` and ``port`` of a server
- ``tls``/``ca_bundle``: a server speaking HTTPS with a throwaway CA, and the
  CA file a client trusts (``requests.Session().verify = handle.ca_bundle``)
- ``credentials``: what a client logs in with (tokens, client ids)
- ``client``: an httpx client bound to ``url``
- ``admin``: an :class:`AdminClient` over the same route
- ``reset()``: back to a fresh mock through the admin API

::

    with MockHandle.served(create_service()) as slack:
        slack.client.post("/services/T1/B1/x", json={"text": "hi"})
        assert slack.admin.count(matched=True) == 1
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any, Generic, Literal

import httpx
from starlette.types import ASGIApp

from mocks._core._client import AdminClient, AsyncAdminClient
from mocks._core._lifecycle import Closing
from mocks._core._loopback import AsyncLoopbackTransport, LoopbackTransport
from mocks._core._server import ThreadedServer
from mocks._core._service import BackendT, MockService
from mocks._core._tls import LoopbackTLS
from mocks._core._transport import async_http_client, http_client

__all__ = ["MockHandle", "MockMode"]

MockMode = Literal["asgi", "server"]


def _registry_credentials(name: str) -> dict[str, str]:
    from mocks.registry import MOCKS  # the registry names every shipped mock's credentials

    spec = MOCKS.get(name)
    return spec.credentials_values() if spec is not None else {}


class MockHandle(Closing, Generic[BackendT]):
    """One mock reachable in one mode; a context manager closing what it opened.

    ``tls`` (server mode only) serves HTTPS with that certificate;
    ``credentials`` default to what ``mocks.registry`` lists for the mock;
    ``host`` and ``port`` (0: a free one) are where a server listens.
    """

    def __init__(
        self,
        service: MockService[BackendT],
        *,
        mode: MockMode = "asgi",
        tls: LoopbackTLS | None = None,
        credentials: Mapping[str, str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if mode not in ("asgi", "server"):
            raise ValueError(f"mode must be 'asgi' or 'server', got {mode!r}")
        if tls is not None and mode != "server":
            raise ValueError("TLS needs a server: use mode='server' with tls=")
        self.service = service
        self.mode: MockMode = mode
        self.tls = tls
        self.credentials: dict[str, str] = dict(
            _registry_credentials(service.name) if credentials is None else credentials
        )
        self.server: ThreadedServer | None = None
        if mode == "server":
            self.server = service.serve(host=host, port=port, tls=tls)
            self.url = self.server.url
        else:
            self.url = service.base_url
        # In server mode clients go over the network; in ASGI mode they call the app.
        self._in_process: ASGIApp | None = None if self.server else service.app
        self.client = self.new_client(timeout=10.0)
        self.admin = (
            AdminClient.for_app(service.app, self.url)
            if self.server is None
            else AdminClient(self.url, ssl_context=self.ssl_context())
        )

    @classmethod
    def in_process(cls, service: MockService[BackendT]) -> MockHandle[BackendT]:
        return cls(service, mode="asgi")

    @classmethod
    def served(
        cls, service: MockService[BackendT], *, tls: LoopbackTLS | None = None
    ) -> MockHandle[BackendT]:
        return cls(service, mode="server", tls=tls)

    @property
    def app(self) -> ASGIApp:
        return self.service.app

    @property
    def backend(self) -> BackendT:
        """The state object: handy in-process; prefer ``admin`` so tests run in both modes."""
        return self.service.backend

    @property
    def host(self) -> str:
        return self._served().host

    @property
    def port(self) -> int:
        return self._served().port

    @property
    def ca_bundle(self) -> str | None:
        """The CA certificate file clients trust (``None`` without TLS)."""
        return self.tls.ca_bundle if self.tls is not None else None

    def ssl_context(self) -> ssl.SSLContext | None:
        """A client SSL context trusting the mock's CA (``None`` without TLS): httpx's
        ``verify=``, slack_sdk's ``ssl=``."""
        return self.tls.ssl_context() if self.tls is not None else None

    def _served(self) -> ThreadedServer:
        if self.server is None:
            raise AttributeError(
                f"the {self.service.name} mock runs in-process: it has no host or port; "
                "use a server (the fixtures' default) to reach it over a socket"
            )
        return self.server

    def new_client(self, **kwargs: Any) -> httpx.Client:
        """Another sync client bound to ``url`` (e.g. other timeouts); the caller closes it.

        Over a server it sends with the standard library, so respx never intercepts it.
        """
        if self._in_process is None and "transport" not in kwargs:
            kwargs["transport"] = LoopbackTransport(self.ssl_context())
        return http_client(self.url, self._in_process, **kwargs)

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """A new async client bound to ``url`` (use ``async with``)."""
        if self._in_process is None and "transport" not in kwargs:
            kwargs["transport"] = AsyncLoopbackTransport(self.ssl_context())
        return async_http_client(self.url, self._in_process, **kwargs)

    def async_admin(self) -> AsyncAdminClient:
        if self._in_process is None:
            return AsyncAdminClient(self.url, ssl_context=self.ssl_context())
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
