"""After a 5xx or a dropped connection both clients send the next request on a fresh one.

Servers often close a keep-alive connection after an unhandled error without saying so
(no ``Connection: close``). ``ClosesAfterErrors`` does the worst case on purpose: after a
500 it keeps the connection open and drops it when the next request arrives on it, so a
client that reuses it always sees a reset where the endpoint is fine.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gc
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from harness.client import AsyncFlowClient, FlowClient, Outcome

ROUNDS = 5
OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
ERROR = b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\nerror"


class ClosesAfterErrors:
    """A keep-alive HTTP/1.1 server: body ``fail`` gets a 500 and poisons the connection
    (the next request on it is dropped unanswered), ``drop`` is dropped unanswered,
    ``slow`` gets 200 after 0.5 s, any other body gets 200."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/"
        self.connections = 0
        self._open: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            self._open.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket) -> None:
        poisoned = False
        with conn:
            while (body := _read_request(conn)) is not None:
                if poisoned or body == b"drop":
                    return  # closed without an answer
                if body == b"fail":
                    conn.sendall(ERROR)  # and no "Connection: close"
                    poisoned = True
                elif body == b"slow":
                    time.sleep(0.5)
                    conn.sendall(OK)
                else:
                    conn.sendall(OK)

    def close(self) -> None:
        for sock in (self._listener, *self._open):  # wakes the threads blocked on them
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._accepting.join(timeout=5)
        for thread in self._threads:
            thread.join(timeout=5)


def _read_request(conn: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    return body


@pytest.fixture
def server() -> Iterator[ClosesAfterErrors]:
    running = ClosesAfterErrors()
    yield running
    running.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _settings(public_pem: bytes, app_secret: str) -> dict[str, Any]:
    return {"public_key": public_pem, "app_secret": app_secret, "timeout": 5.0}


def test_sync_client_sends_after_a_500_on_a_fresh_connection(
    server: ClosesAfterErrors, public_pem: bytes, app_secret: str
) -> None:
    with FlowClient(server.url, **_settings(public_pem, app_secret)) as client:
        for _ in range(ROUNDS):
            assert client.send(body=b"fail").status == 500
            after = client.send(body=b"ok")
            assert after.status == 200, after.error  # not a false "no HTTP answer"
            assert client.send(body=b"drop").outcome is Outcome.NO_HTTP_RESPONSE_ERROR
            assert client.send(body=b"ok").status == 200


@pytest.mark.anyio
async def test_async_client_sends_after_a_500_on_a_fresh_connection(
    server: ClosesAfterErrors, public_pem: bytes, app_secret: str
) -> None:
    async with AsyncFlowClient(server.url, **_settings(public_pem, app_secret)) as client:
        for _ in range(ROUNDS):
            assert (await client.send(body=b"fail")).status == 500
            after = await client.send(body=b"ok")
            assert after.status == 200, after.error
            assert (await client.send(body=b"drop")).outcome is Outcome.NO_HTTP_RESPONSE_ERROR
            assert (await client.send(body=b"ok")).status == 200
    assert server.connections >= 2 * ROUNDS  # a new connection after each 500 and drop


@pytest.mark.anyio
async def test_a_dropped_exchange_leaves_the_requests_beside_it_answered(
    server: ClosesAfterErrors, public_pem: bytes, app_secret: str
) -> None:
    """The fresh pool after a drop is for the next requests: those running on the old one
    finish there (closing it under them failed them and left their sockets open)."""
    async with AsyncFlowClient(server.url, **_settings(public_pem, app_secret)) as client:
        results: dict[str, Any] = {}

        async def send(name: str, body: bytes) -> None:
            results[name] = await client.send(body=body)

        async with anyio.create_task_group() as group:
            for n in range(3):
                group.start_soon(send, f"slow{n}", b"slow")
            await anyio.sleep(0.2)  # the slow ones are waiting for their answers
            group.start_soon(send, "drop", b"drop")
    assert results.pop("drop").outcome is Outcome.NO_HTTP_RESPONSE_ERROR
    assert [r.status for r in results.values()] == [200, 200, 200]


@pytest.mark.anyio
async def test_async_client_closes_every_pool_it_replaces_under_concurrent_failures(
    server: ClosesAfterErrors, public_pem: bytes, app_secret: str, monkeypatch: Any
) -> None:
    """Requests failing together each want a fresh pool: one replaces it, and every pool
    replaced is closed (a pool replaced twice once kept its connections open forever)."""
    pools: list[httpx.AsyncClient] = []
    open_http = AsyncFlowClient._open_http

    def recording(client: AsyncFlowClient, transport: Any) -> None:
        open_http(client, transport)
        pools.append(client._http)

    monkeypatch.setattr(AsyncFlowClient, "_open_http", recording)
    async with AsyncFlowClient(server.url, **_settings(public_pem, app_secret)) as client:
        for _ in range(ROUNDS):
            bodies = [b"drop", b"ok", b"fail", b"drop", b"ok", b"drop"] * 2
            await asyncio.gather(*(client.send(body=body) for body in bodies))
            assert (await client.send(body=b"ok")).status == 200
        assert len(pools) > 1
        assert [pool.is_closed for pool in pools[:-1]] == [True] * (len(pools) - 1)
    assert pools[-1].is_closed


def test_the_server_really_drops_a_reused_connection(
    server: ClosesAfterErrors, public_pem: bytes, app_secret: str
) -> None:
    """The control: a client on a transport of the caller's (kept as given) reuses the
    connection after the 500 and sees the reset the fresh connection avoids."""
    transport = httpx.HTTPTransport()
    with FlowClient(server.url, transport=transport, **_settings(public_pem, app_secret)) as client:
        assert client.send(body=b"fail").status == 500
        reused = client.send(body=b"ok")
    assert reused.status is None
    assert reused.outcome is Outcome.NO_HTTP_RESPONSE_ERROR


@pytest.mark.anyio
async def test_async_client_against_a_flask_endpoint_that_closes_after_errors(
    corpus: Any, public_pem: bytes, app_secret: str
) -> None:
    """A real process (tests/data/endpoints/python/tutorial_mistakes.py) closing its
    keep-alive connection after every 500: each ping right after one is answered."""
    endpoint = corpus("python", "tutorial_mistakes")
    async with AsyncFlowClient(endpoint.url, **_settings(public_pem, app_secret)) as client:
        for _ in range(10):
            ping_request = {"version": "3.0", "action": "ping"}
            tag = {"encrypted_flow_data": _flip_last_byte}
            tampered = await client.send(ping_request, envelope=tag)
            assert tampered.status == 500
            ping = await client.ping()
            assert ping.status == 200, ping.error
            assert ping.acceptable  # {"version": "3.0", "data": {"status": "active"}}


def _flip_last_byte(value: str) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[-1] ^= 0x01  # the GCM tag: the endpoint answers 500 and closes the connection
    return base64.b64encode(bytes(raw)).decode("ascii")


@pytest.mark.anyio
async def test_async_client_under_concurrent_errors_answers_every_request_and_leaks_nothing(
    server: ClosesAfterErrors, public_pem: bytes, app_secret: str
) -> None:
    """Many requests at once on one client, some failing: a 500 moves later requests to
    a fresh pool without cutting off the ones still running on the old pool, and every
    pool is closed in the end (an unclosed one leaves sockets behind: ResourceWarning)."""
    bodies = [b"fail" if n % 3 == 0 else b"ok" for n in range(60)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        async with AsyncFlowClient(server.url, **_settings(public_pem, app_secret)) as client:
            results = await asyncio.gather(*(client.send(body=body) for body in bodies))
            assert [r.status for r in results] == [500 if b == b"fail" else 200 for b in bodies]
            assert (await client.send(body=b"ok")).status == 200
        del client, results
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
