"""A real HTTP server for a mock: uvicorn in a background thread on a loopback port."""

from __future__ import annotations

import socket
import threading
import time
from typing import Self

import uvicorn
from starlette.types import ASGIApp

from mocks._core._lifecycle import Running
from mocks._core._tls import LoopbackTLS
from mocks._core.exceptions import ServerStartError

__all__ = ["ThreadedServer"]


class _DroppingServer(uvicorn.Server):
    """A uvicorn server that drops its open connections when it stops.

    Clients keep idle keep-alive connections in their pools (SDK sessions never
    closed in tests), and a TLS close waits for the peer's answer: uvicorn's
    graceful shutdown would wait them out, then leave their sockets unclosed. A
    mock that stops has nothing left to finish.
    """

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for connection in list(self.server_state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.abort()
        await super().shutdown(sockets)


class ThreadedServer(Running):
    """Serve ``app`` on ``host:port`` (port 0: a free one) until :meth:`stop`.

    With ``tls`` it serves HTTPS with that certificate (``url`` starts ``https://``).
    Use it as a context manager; ``url`` is known once started::

        with ThreadedServer(service.app) as server:
            httpx.get(server.url + "/path")
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        startup_timeout: float = 10.0,
        tls: LoopbackTLS | None = None,
    ) -> None:
        self.app = app
        self.tls = tls
        self.host = host
        self._requested_port = port
        self.startup_timeout = startup_timeout
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the server is not running; call start() or use it in a with block")
        return self._port

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321`` (``https://`` with TLS)."""
        scheme = "https" if self.tls is not None else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Self:
        if self.running:
            return self
        config = uvicorn.Config(
            self.app,
            host=self.host,
            port=self._requested_port,
            lifespan="off",
            ws="none",
            log_config=None,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
            ssl_certfile=self.tls.certfile if self.tls else None,
            ssl_keyfile=self.tls.keyfile if self.tls else None,
        )
        server = _DroppingServer(config)
        thread = threading.Thread(target=server.run, name="mock-http-server", daemon=True)
        thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(timeout=1)
                raise ServerStartError(
                    f"mock server on {self.host}:{self._requested_port} did not start within "
                    f"{self.startup_timeout}s; is the port free? (port 0 picks a free one)"
                )
            time.sleep(0.005)
        self._server, self._thread = server, thread
        self._port = server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the server to exit and wait for its thread."""
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=timeout)
        self._server = self._thread = None
        self._port = None
