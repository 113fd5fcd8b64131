"""The ASGI layer in front of every mock: journal each service call, then inject faults.

Admin calls (under ``/__admin``) pass straight through: they are neither
journaled nor faulted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mocks._core._faults import (
    ConnectionResetFault,
    EmptyResponseFault,
    FaultBook,
    MalformedBodyFault,
    RateLimitFault,
    StatusFault,
    TerminalFault,
)
from mocks._core._journal import Journal, JournalEntry
from mocks._core.exceptions import InjectedConnectionReset

__all__ = [
    "ADMIN_PREFIX",
    "RateLimitAnswer",
    "RateLimitHeaders",
    "RateLimitResponse",
    "TrafficMiddleware",
    "is_admin_path",
    "render_body",
]

ADMIN_PREFIX = "/__admin"

RateLimitHeaders = Callable[[RateLimitFault], Mapping[str, str]]
"""A service's hook adding its own headers to rate-limit answers (e.g. remaining quota)."""


@dataclass(frozen=True)
class RateLimitAnswer:
    """What a service adds to a ``rate_limit`` fault's 429: its headers and default body.

    ``body`` (JSON when a dict or list, text when a str) is used only when the
    fault carries none; the fault's own ``headers`` still win over these.
    """

    headers: Mapping[str, str] = field(default_factory=dict)
    body: str | dict[str, Any] | list[Any] | None = None


RateLimitResponse = Callable[[RateLimitFault], RateLimitAnswer]
"""A service's hook shaping rate-limit answers like the real service (headers + body)."""


class TrafficMiddleware:
    """Wraps a service's ASGI app: records every non-admin call, applies fault rules."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Callable[[], list[BaseRoute]],
        journal: Journal,
        faults: FaultBook,
        rate_limit_response: RateLimitResponse | None = None,
    ) -> None:
        self.app = app
        self._routes = routes
        self.journal = journal
        self.faults = faults
        self._rate_limit_response = rate_limit_response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_admin_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        body = await _read_body(receive)
        route = self._route_for(scope)
        entry = self.journal.record(
            method=scope["method"],
            path=scope["path"],
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=_headers(scope.get("headers", [])),
            body=body,
            matched=route is not None,
            route=getattr(route, "path", None),
        )
        plan = self.faults.plan(scope["method"], scope["path"])
        entry.faults = plan.kinds
        recording_send = _recording(send, entry, started)
        replay = _replaying(receive, body)
        if plan.delay:
            await asyncio.sleep(plan.delay)
        if isinstance(plan.fault, ConnectionResetFault):
            entry.duration = time.perf_counter() - started
            await _drop_connection(send)
        elif plan.fault is not None:
            await self._fault_response(plan.fault)(scope, replay, recording_send)
        else:
            await self.app(scope, replay, recording_send)

    def _route_for(self, scope: Scope) -> BaseRoute | None:
        for route in self._routes():
            # A copy: routes may write matching details into the scope they are given.
            match, _ = route.matches(dict(scope))
            if match is Match.FULL:
                return route
        return None

    def _fault_response(self, fault: TerminalFault) -> Response:
        if isinstance(fault, StatusFault):
            content, media_type = render_body(fault.body)
            return Response(content, fault.status, headers=fault.headers, media_type=media_type)
        if isinstance(fault, EmptyResponseFault):
            return Response(b"", fault.status)
        if isinstance(fault, MalformedBodyFault):
            return Response(fault.body.encode(), fault.status, media_type=fault.content_type)
        if isinstance(fault, RateLimitFault):
            answer = RateLimitAnswer()
            if self._rate_limit_response is not None:
                answer = self._rate_limit_response(fault)
            headers = {"Retry-After": str(fault.retry_after), **answer.headers, **fault.headers}
            content, media_type = render_body(fault.body if fault.body is not None else answer.body)
            return Response(content, fault.status, headers=headers, media_type=media_type)
        raise TypeError(f"no response for fault {fault!r}")  # pragma: no cover


def render_body(body: Any) -> tuple[bytes, str | None]:
    """Bytes and media type for a fault body: ``None`` empty, ``str`` text, else JSON."""
    if body is None:
        return b"", None
    if isinstance(body, str):
        return body.encode(), "text/plain; charset=utf-8"
    return json.dumps(body).encode(), "application/json"


def is_admin_path(path: str) -> bool:
    """True for the admin API's paths, which are neither journaled nor faulted."""
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(receive: Receive, body: bytes) -> Receive:
    """A ``receive`` that hands the already-read body to the app once, then defers."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _recording(send: Send, entry: JournalEntry, started: float) -> Send:
    """A ``send`` completing ``entry`` before each message leaves, so clients never race it."""
    chunks: list[bytes] = []

    async def record(message: Message) -> None:
        if message["type"] == "http.response.start":
            entry.status = message["status"]
            entry.response_headers = _headers(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                entry.response_body = b"".join(chunks)
                entry.duration = time.perf_counter() - started
        await send(message)

    return record


async def _drop_connection(send: Send) -> None:
    """Reset the client's connection without answering.

    Under uvicorn, ``send`` is a method of the request cycle, which holds the
    asyncio transport: abort it with SO_LINGER 0 so the peer sees a TCP reset,
    then yield so the server marks the cycle disconnected and stays quiet. With
    no transport (in-process ASGI, respx) raise a transport error instead.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None or not hasattr(transport, "abort"):
        raise InjectedConnectionReset("connection reset by the mock (connection_reset fault)")
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
    for _ in range(10):
        if getattr(cycle, "disconnected", True):
            break
        await asyncio.sleep(0)
