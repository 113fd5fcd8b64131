"""The load generator's own connection: what it sends, and what it reports without an answer."""

from __future__ import annotations

import socket
import ssl
import threading
from typing import Any

import pytest

from harness.testing import run_server
from mocks._core import LoopbackTLS

# gevent comes with the [load] extra; locust itself is not imported here, since it
# monkey-patches threads at import and the test servers run in threads
pytest.importorskip("gevent", reason="the load generator needs the [load] extra")

from loadtests.wire import USER_AGENT, FlowConnection

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
    assert SEEN[0][2][b"user-agent"] == USER_AGENT.encode()
    assert SEEN[0][2][b"host"] == url.removeprefix("http://").encode()
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


class _ScriptedServer:
    """A loopback server that answers each request of a connection with the next scripted
    bytes (``None``: close the connection instead); counts the connections it accepted."""

    def __init__(self, answers: list[bytes | None], tls: Any = None):
        self.answers = list(answers)
        self.requests: list[bytes] = []
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)  # so close() stops it without waiting for a client
        self._stopped = threading.Event()
        self._tls = tls
        self.port = int(self._listener.getsockname()[1])
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while self.answers and not self._stopped.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(5)
            self.connections += 1
            if self._tls is not None:
                try:
                    conn = self._tls.wrap_socket(conn, server_side=True)
                except ssl.SSLError:  # the client refused the certificate
                    conn.close()
                    continue
            with conn:
                self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        buffered = b""
        while self.answers:
            while b"\r\n\r\n" not in buffered:
                data = conn.recv(65536)
                if not data:
                    return
                buffered += data
            head, _, rest = buffered.partition(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            while len(rest) < length:
                rest += conn.recv(65536)
            self.requests.append(head + b"\r\n\r\n" + rest[:length])
            buffered = rest[length:]
            answer = self.answers.pop(0)
            if answer is None:
                return
            conn.sendall(answer)
            head = answer.lower().partition(b"\r\n\r\n")[0]
            framed = b"content-length" in head or b"transfer-encoding" in head
            if b"connection: close" in head or not framed:
                return

    def close(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self._listener.close()


def _ok(body: bytes, *extra: bytes) -> bytes:
    head = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n" % len(body)
    return head + b"".join(extra) + b"\r\n" + body


def _connection(server: _ScriptedServer, **options: Any) -> FlowConnection:
    scheme = "https" if options.pop("tls", False) else "http"
    return FlowConnection(
        f"{scheme}://127.0.0.1:{server.port}", "/", connection_timeout=5, network_timeout=5,
        **options,
    )  # fmt: skip


def test_a_chunked_answer_is_read_whole_and_the_connection_kept() -> None:
    chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
    chunked += b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    server = _ScriptedServer([chunked, _ok(b"second")])
    connection = _connection(server)
    first, second = connection.post(b"1", {}), connection.post(b"2", {})
    connection.close()
    server.close()
    assert (first.status, first.body) == (200, b"abcde")
    assert (second.status, second.body) == (200, b"second")
    assert server.connections == 1


def test_connection_close_and_a_body_until_close_start_a_new_connection() -> None:
    until_close = b"HTTP/1.0 200 OK\r\n\r\nall of it"
    server = _ScriptedServer([_ok(b"a", b"connection: close\r\n"), until_close, _ok(b"c")])
    connection = _connection(server)
    answers = [connection.post(b"x", {}) for _ in range(3)]
    connection.close()
    server.close()
    assert [(a.status, a.body) for a in answers] == [(200, b"a"), (200, b"all of it"), (200, b"c")]
    assert server.connections == 3


def test_a_connection_the_server_closed_while_idle_is_replaced_before_sending() -> None:
    server = _ScriptedServer([_ok(b"a"), None, _ok(b"b")])
    connection = _connection(server)
    first = connection.post(b"1", {})
    # the server reads the next request and closes: that one has no answer
    lost = connection.post(b"2", {})
    third = connection.post(b"3", {})
    connection.close()
    server.close()
    assert (first.status, lost.status, third.status) == (200, 0, 200)
    assert lost.error == "ConnectionClosedError"
    assert third.body == b"b"


def test_an_answer_that_never_comes_is_a_timeout() -> None:
    # the kernel completes the connection, and no one ever reads or answers
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        connection = FlowConnection(
            f"http://127.0.0.1:{port}", "/", connection_timeout=2, network_timeout=0.3
        )
        answer = connection.post(b"1", {})
        connection.close()
    assert answer.status == 0
    assert answer.timed_out


def test_garbage_instead_of_http_is_no_answer() -> None:
    server = _ScriptedServer([b"SSH-2.0-OpenSSH\r\n\r\n"])
    connection = _connection(server)
    answer = connection.post(b"1", {})
    connection.close()
    server.close()
    assert answer.status == 0
    assert answer.error.startswith("HttpParser")


def test_https_is_spoken_and_the_certificate_checked_unless_insecure() -> None:
    tls = LoopbackTLS.create()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls.certfile, tls.keyfile)
    try:
        server = _ScriptedServer([_ok(b"secret"), None], tls=context)
        insecure = _connection(server, tls=True, insecure=True)
        answer = insecure.post(b"1", {})
        insecure.close()
        checked = _connection(server, tls=True, insecure=False)
        refused = checked.post(b"1", {})
        checked.close()
        server.close()
    finally:
        tls.cleanup()
    assert (answer.status, answer.body) == (200, b"secret")
    assert refused.status == 0
    assert refused.error == "SSLCertVerificationError"  # a throwaway CA no store trusts
