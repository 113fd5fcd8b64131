"""One keep-alive connection per simulated person, below locust's ``FastHttpSession``.

A Flows request is always the same shape: one POST of prepared bytes to one path. Going
straight to geventhttpclient's ``HTTPClient`` skips the per-request work of locust's
generic session (URL building, header copies, redirect handling, the response context
manager), which costs more CPU than sealing the request does; the user reports each
exchange itself through ``events.request`` (locust's pattern for custom clients).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from geventhttpclient import HTTPClient

__all__ = ["Answer", "FlowConnection"]

# what geventhttpclient raises for a refused, reset or timed-out connection, and for an
# answer it cannot parse; any of them is "no HTTP response" to the person
_NETWORK_ERRORS = (OSError, ValueError)


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    """0 when no HTTP answer came (see ``error``)."""
    body: bytes
    seconds: float
    error: str = ""
    """The exception's name when no answer came."""
    timed_out: bool = False


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
        self._http = HTTPClient(
            parts.hostname,
            port=parts.port,
            ssl=parts.scheme == "https",
            insecure=insecure,
            connection_timeout=connection_timeout,
            network_timeout=network_timeout,
            concurrency=1,
        )

    def post(self, body: bytes, headers: dict[str, str]) -> Answer:
        started = time.perf_counter()
        try:
            response = self._http.request("POST", self.path, body=body, headers=headers)
            try:
                content = response.read()
            finally:
                response.release()
        except _NETWORK_ERRORS as exc:  # the pool drops a broken socket itself
            elapsed = time.perf_counter() - started
            return Answer(0, b"", elapsed, type(exc).__name__, isinstance(exc, TimeoutError))
        return Answer(response.status_code, content, time.perf_counter() - started)

    def close(self) -> None:
        self._http.close()
