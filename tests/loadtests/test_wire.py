"""The load generator's own connection: what it sends, and what it reports without an answer."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from harness.testing import run_server

# geventhttpclient comes with the [load] extra; locust itself is not imported here, since it
# monkey-patches threads at import and the test server runs in a thread
pytest.importorskip("geventhttpclient", reason="the load generator needs the [load] extra")

from loadtests.wire import FlowConnection

SEEN: list[tuple[str, bytes, dict[bytes, bytes]]] = []


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    SEEN.append((scope["path"], body, dict(scope["headers"])))
    await send({"type": "http.response.start", "status": 202, "headers": []})
    await send({"type": "http.response.body", "body": b"answer:" + body})


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_posts_the_exact_bytes_and_headers_to_the_path_under_the_host_path() -> None:
    SEEN.clear()
    with run_server(echo_app) as url:
        connection = FlowConnection(url + "/api", "flows", connection_timeout=5, network_timeout=5)
        first = connection.post(b'{"a":1}', {"X-Hub-Signature-256": "sha256=ab"})
        second = connection.post(b'{"b":2}', {"X-Hub-Signature-256": "sha256=cd"})
        connection.close()
    assert (first.status, first.body) == (202, b'answer:{"a":1}')
    assert (second.status, second.body) == (202, b'answer:{"b":2}')
    assert [(path, body) for path, body, _ in SEEN] == [
        ("/api/flows", b'{"a":1}'),
        ("/api/flows", b'{"b":2}'),
    ]
    assert SEEN[1][2][b"x-hub-signature-256"] == b"sha256=cd"
    assert first.seconds > 0
    assert not first.error


def test_a_refused_connection_is_an_answer_without_status_naming_the_error() -> None:
    connection = FlowConnection(
        f"http://127.0.0.1:{_closed_port()}", "/", connection_timeout=2, network_timeout=2
    )
    answer = connection.post(b"{}", {})
    assert answer.status == 0
    assert answer.body == b""
    assert answer.error  # e.g. ConnectionRefusedError


@pytest.mark.parametrize("host", ["", "127.0.0.1:8000", "ftp://example.com"])
def test_a_host_that_is_not_an_http_url_is_refused_with_the_option_named(host: str) -> None:
    with pytest.raises(ValueError, match="--host"):
        FlowConnection(host, "/", connection_timeout=1, network_timeout=1)
