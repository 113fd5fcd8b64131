"""``MockService``: one mocked service = its backend + its routes + the shared machinery.

A service plugs in with two things: a :class:`MockBackend` subclass (state, no
HTTP) and a router factory ``routes(backend) -> APIRouter`` (thin HTTP layer).
The service object builds the app, mounting the admin API under ``/__admin``
and the journaling and fault-injection layer in front of the service routes::

    service = MockService("slack", SlackBackend(), slack_routes, admin_routes=slack_admin)
    with service.client() as http:          # in-process, no server
        http.post("/services/T1/B1/x", json={"text": "hi"})
    with service.serve() as server:          # a real server on a loopback port
        httpx.post(server.url + "/services/T1/B1/x", json={"text": "hi"})
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import httpx
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from mocks._core._admin import build_admin_router
from mocks._core._backend import MockBackend
from mocks._core._client import AdminClient, AsyncAdminClient
from mocks._core._faults import FaultBook
from mocks._core._journal import Journal
from mocks._core._lifecycle import Closing
from mocks._core._middleware import (
    ADMIN_PREFIX,
    RateLimitAnswer,
    RateLimitHeaders,
    RateLimitResponse,
    TrafficMiddleware,
    is_admin_path,
)
from mocks._core._server import ThreadedServer
from mocks._core._tls import LoopbackTLS
from mocks._core._transport import asgi_side_effect, async_http_client, http_client

if TYPE_CHECKING:
    import respx

__all__ = ["BackendT", "MockService", "RouterFactory", "UnmatchedResponder", "own_url"]

BackendT = TypeVar("BackendT", bound=MockBackend)
RouterFactory = Callable[[BackendT], APIRouter]
"""Builds a service's routes (or its extra admin routes) around its backend."""

UnmatchedResponder = Callable[[Scope], Response]
"""A service's answer to a request no route matches (e.g. its own 404 error shape)."""

_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


def own_url(request: Request) -> str:
    """The base URL of the mock answering ``request``: where it is served (its own host
    and port) while a server runs, else the URL the request came in on (in-process,
    respx). For links a client follows with the same session, e.g. media URLs."""
    served: str | None = getattr(request.app.state, "public_url", None)
    return served or str(request.base_url).rstrip("/")


def _headers_only(hook: RateLimitHeaders | None) -> RateLimitResponse | None:
    if hook is None:
        return None
    return lambda fault: RateLimitAnswer(headers=hook(fault))


def _check_flat(name: str, router: APIRouter) -> None:
    # The journal decides "matched" by asking each service route directly.
    nested = [route for route in router.routes if not isinstance(route, Route)]
    if nested:
        raise ValueError(
            f"the {name} mock's routes must be one flat APIRouter of path operations; "
            f"declare these directly instead of including routers: {nested!r}"
        )


class MockService(Closing, Generic[BackendT]):
    """A mocked service, runnable in-process (``app``, ``client()``) or served (``serve()``).

    ``routes`` are mounted at the root; ``admin_routes`` under ``/__admin``
    next to the core admin API (use them for ``/__admin/messages`` and the
    like; ``GET /__admin/state`` already serves ``backend.state()``).
    ``rate_limit_response`` shapes ``rate_limit`` fault answers like the real
    service (its headers and default body; ``rate_limit_headers`` is the
    headers-only form). ``unmatched`` answers requests no service route
    matches the way the real service does (they stay journaled as unmatched;
    unknown ``/__admin`` paths keep the core's answer). ``base_url`` is the
    URL in-process clients use; ``public_url`` the URL of the server it runs
    on, if any (see :func:`own_url`).
    """

    def __init__(
        self,
        name: str,
        backend: BackendT,
        routes: RouterFactory[BackendT],
        *,
        admin_routes: RouterFactory[BackendT] | None = None,
        rate_limit_headers: RateLimitHeaders | None = None,
        rate_limit_response: RateLimitResponse | None = None,
        unmatched: UnmatchedResponder | None = None,
        base_url: str | None = None,
    ) -> None:
        if rate_limit_headers is not None and rate_limit_response is not None:
            raise TypeError("give rate_limit_response or rate_limit_headers, not both")
        if not _NAME.match(name):
            raise ValueError(f"a mock name is lower-case letters, digits, - or _; got {name!r}")
        self.name = name
        self.backend = backend
        self.base_url = (base_url or f"http://{name}.mock").rstrip("/")
        self.journal = Journal()
        self.faults = FaultBook(lambda: self.backend.rng)
        self._unmatched_responder = unmatched
        self.router = routes(backend)
        _check_flat(name, self.router)
        self.fastapi = self._build_fastapi(admin_routes)
        self.app = TrafficMiddleware(
            self.fastapi,
            routes=lambda: self.router.routes,
            journal=self.journal,
            faults=self.faults,
            rate_limit_response=rate_limit_response or _headers_only(rate_limit_headers),
        )
        self._resources: list[Any] = []
        self.public_url: str | None = None

    def _build_fastapi(self, admin_routes: RouterFactory[BackendT] | None) -> FastAPI:
        # The OpenAPI page lives under /__admin so every other path stays a service route;
        # admin routes go first so a service's path parameters never shadow them.
        app = FastAPI(
            title=f"{self.name} mock",
            docs_url=f"{ADMIN_PREFIX}/docs",
            redoc_url=None,
            openapi_url=f"{ADMIN_PREFIX}/openapi.json",
        )
        core_admin = build_admin_router(
            name=self.name,
            backend=self.backend,
            journal=self.journal,
            faults=self.faults,
            reset=self.reset,
        )
        app.include_router(core_admin, prefix=ADMIN_PREFIX)
        if admin_routes is not None:
            app.include_router(admin_routes(self.backend), prefix=ADMIN_PREFIX)
        app.include_router(self.router)
        app.router.default = self._unmatched
        app.router.redirect_slashes = False  # a real service answers 404, not a redirect
        return app

    async def _unmatched(self, scope: Scope, receive: Receive, send: Send) -> None:
        respond = self._unmatched_responder
        if respond is None or is_admin_path(scope["path"]):
            respond = self._core_unmatched
        await respond(scope)(scope, receive, send)

    def _core_unmatched(self, scope: Scope) -> Response:
        return JSONResponse(
            {
                "error": "unmatched",
                "message": f"the {self.name} mock has no route for "
                f"{scope.get('method')} {scope['path']}; "
                f"see GET {ADMIN_PREFIX}/requests/unmatched",
            },
            status_code=404,
        )

    def reset(self) -> None:
        """Back to a fresh start: backend state, journal and faults; RNG back to its seed."""
        self.faults.clear()
        self.journal.clear()
        with self.backend.lock:
            self.backend.reset()

    def seed(self, value: int) -> None:
        self.backend.seed(value)

    # In-process access ---------------------------------------------------------------
    def client(self, **kwargs: Any) -> httpx.Client:
        """A sync httpx client calling the app in-process; closed with the service."""
        client = http_client(self.base_url, self.app, **kwargs)
        self._resources.append(client)
        return client

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An async httpx client calling the app in-process (use ``async with``)."""
        return async_http_client(self.base_url, self.app, **kwargs)

    def admin(self) -> AdminClient:
        """An admin client calling the app in-process; closed with the service."""
        admin = AdminClient.for_app(self.app, self.base_url)
        self._resources.append(admin)
        return admin

    def async_admin(self) -> AsyncAdminClient:
        return AsyncAdminClient.for_app(self.app, self.base_url)

    def respx_route(self, router: respx.Router, base_url: str | None = None) -> respx.Route:
        """Route every request to ``base_url`` (default ``self.base_url``) through the app.

        For code that builds its own httpx client: inside ``respx.mock`` the
        calls reach this mock with no server, journal and faults included::

            with respx.mock(base_url=None) as router:
                service.respx_route(router, "https://hooks.slack.com")
        """
        route = router.route(url__startswith=(base_url or self.base_url).rstrip("/"))
        route.side_effect = asgi_side_effect(self.app)
        return route

    # Served access -------------------------------------------------------------------
    def serve(
        self, *, host: str = "127.0.0.1", port: int = 0, tls: LoopbackTLS | None = None
    ) -> ThreadedServer:
        """Start a real server in a background thread (HTTPS with ``tls``); stopped with
        the service. Links the mock hands out (media URLs) point at it from now on."""
        server = ThreadedServer(self.app, host=host, port=port, tls=tls).start()
        self._resources.append(server)
        self.public_url = self.fastapi.state.public_url = server.url
        return server

    def close(self) -> None:
        """Close every client and server this service handed out."""
        while self._resources:
            resource = self._resources.pop()
            if isinstance(resource, ThreadedServer):
                resource.stop()
            else:
                resource.close()
        self.public_url = self.fastapi.state.public_url = None

    def __repr__(self) -> str:
        return f"<MockService {self.name} at {self.base_url}>"
