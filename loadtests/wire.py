"""One keep-alive connection per simulated person, below locust's HTTP clients.

A Flows request is always the same shape: one POST of prepared bytes to one path. A
gevent socket that writes the request in one ``sendall`` and feeds the answer to
httptools' C parser (chunked bodies included) costs about a third of what a general
HTTP client spends per request (URL building, header objects, pools, redirects), and
a load generator's CPU per request is what bounds how much load one core offers. The
user reports each exchange itself through ``events.request`` (locust's pattern for
custom clients).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httptools
from gevent import select, socket, ssl

__all__ = ["USER_AGENT", "Answer", "FlowConnection"]

_READ_SIZE = 65536
USER_AGENT = "flowharness-load (locust)"
"""Some gateways refuse requests without one; this one names the load test in access logs."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    """0 when no HTTP answer came (see ``error``)."""
    body: bytes
    seconds: float
    error: str = ""
    """The exception's name when no answer came."""
    timed_out: bool = False


class ConnectionClosedError(ConnectionError):
    """The server closed the connection before its answer was complete."""


class FlowConnection:
    """POSTs prepared bodies to ``host`` + ``path`` over one reused connection."""

    def __init__(
        self,
        host: str,
        path: str,
        *,
        connection_timeout: float,
        network_timeout: float,
        insecure: bool = True,
    ):
        parts = urlsplit(host)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"--host must be an http(s) URL, not {host!r}")
        base = parts.path.rstrip("/")
        self.path = base + (path if path.startswith("/") else "/" + path)
        tls = parts.scheme == "https"
        default_port = 443 if tls else 80
        self._address = (parts.hostname, parts.port or default_port)
        self._server_name = parts.hostname
        self._tls = _tls_context(insecure) if tls else None
        self._connection_timeout = connection_timeout
        self._network_timeout = network_timeout
        host_header = parts.netloc.rpartition("@")[2]  # no credentials in the Host header
        self._head = (
            f"POST {self.path} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: {USER_AGENT}\r\n"
        ).encode("latin-1")
        self._socket: socket.socket | None = None

    def post(self, body: bytes, headers: dict[str, str]) -> Answer:
        started = time.perf_counter()
        try:
            status, content = self._exchange(self._request(body, headers))
        except (OSError, httptools.HttpParserError) as exc:
            self.close()  # the next request starts on a fresh connection
            elapsed = time.perf_counter() - started
            return Answer(0, b"", elapsed, type(exc).__name__, isinstance(exc, TimeoutError))
        return Answer(status, content, time.perf_counter() - started)

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _request(self, body: bytes, headers: dict[str, str]) -> bytes:
        lines = [self._head]
        lines.extend(f"{name}: {value}\r\n".encode("latin-1") for name, value in headers.items())
        lines.append(b"Content-Length: %d\r\n\r\n" % len(body))
        lines.append(body)
        return b"".join(lines)

    def _exchange(self, request: bytes) -> tuple[int, bytes]:
        sock = self._connected()
        sock.sendall(request)
        reader = _ResponseReader()
        parser = reader.parser = httptools.HttpResponseParser(reader)
        while not reader.complete:
            data = sock.recv(_READ_SIZE)
            if not data:
                if reader.until_close:  # neither length nor chunks: the body ends here
                    self.close()
                    break
                raise ConnectionClosedError("the server closed the connection mid-answer")
            parser.feed_data(data)
        if not reader.keep_alive:
            self.close()
        return parser.get_status_code(), b"".join(reader.body)

    def _connected(self) -> socket.socket:
        """The open connection, or a new one when there is none or the server closed it
        while idle (a readable idle socket holds only its end-of-file)."""
        if self._socket is not None and select.select([self._socket], [], [], 0)[0]:
            self.close()
        if self._socket is None:
            sock = socket.create_connection(self._address, timeout=self._connection_timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self._server_name)
            sock.settimeout(self._network_timeout)
            self._socket = sock
        return self._socket


class _ResponseReader:
    """httptools' callbacks: the body's pieces, and whether the answer is complete."""

    parser: httptools.HttpResponseParser

    def __init__(self) -> None:
        self.body: list[bytes] = []
        self.complete = False
        self.keep_alive = False
        self._framed = False
        self._headers_done = False

    @property
    def until_close(self) -> bool:
        """Whether the body runs until the server closes (no length, not chunked)."""
        return self._headers_done and not self._framed and not self.complete

    def on_header(self, name: bytes, _value: bytes) -> None:
        if name.lower() in (b"content-length", b"transfer-encoding"):
            self._framed = True

    def on_headers_complete(self) -> None:
        self._headers_done = True
        self.keep_alive = self.parser.should_keep_alive()  # llhttp knows it until the body ends

    def on_body(self, data: bytes) -> None:
        self.body.append(data)

    def on_message_complete(self) -> None:
        self.complete = True


def _tls_context(insecure: bool) -> ssl.SSLContext:
    """Certificates checked unless ``insecure`` (locust's default for load against staging)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # gevent's: cooperative sockets
    context.load_default_certs()
    if insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
