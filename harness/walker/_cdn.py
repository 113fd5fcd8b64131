"""A mock WhatsApp CDN: media pickers upload encrypted files here, endpoints download them.

Files are encrypted like WhatsApp's (:func:`harness.crypto.encrypt_media`) and served
over HTTP on loopback by a small thread server, so an endpoint running anywhere on
the machine can fetch ``cdn_url`` and decrypt it with the ``encryption_metadata``.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from harness import crypto
from harness.walker._exceptions import CDNError

_PATH = "/media/"
_POLL_INTERVAL = 0.02
_FIRST_MEDIA_ID = 10**15  # WhatsApp media ids are long digit strings


@dataclass(frozen=True)
class StoredMedia:
    media_id: str
    file_name: str
    mime_type: str
    plaintext: bytes
    cdn_file: bytes
    encryption_metadata: dict[str, str]


class MockCDN:
    """Stores uploads and serves them at ``{url}/media/{media_id}`` while started.

    Use as a context manager (or :meth:`start`/:meth:`stop`). ``downloads`` counts
    GETs per media id, so tests can tell the endpoint really fetched a file.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self.files: dict[str, StoredMedia] = {}
        self.downloads: dict[str, int] = {}
        self._ids = itertools.count(_FIRST_MEDIA_ID)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        where = self.url if self._server else "stopped"
        return f"<MockCDN {where} files={len(self.files)}>"

    @property
    def started(self) -> bool:
        return self._server is not None

    @property
    def url(self) -> str:
        if self._server is None:
            raise CDNError("the mock CDN is not started: use `with MockCDN() as cdn:`")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> MockCDN:
        if self._server is not None:
            return self
        try:
            server = ThreadingHTTPServer((self.host, self.port), _handler_for(self))
        except OSError as exc:
            raise CDNError(f"cannot serve the mock CDN on {self.host}:{self.port}: {exc}") from exc
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": _POLL_INTERVAL},  # how fast stop() returns
            name="flowharness-cdn",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> MockCDN:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def upload(self, content: bytes, *, file_name: str, mime_type: str) -> dict[str, Any]:
        """Encrypt and store a file; return the picker value WhatsApp sends for it."""
        if not isinstance(content, bytes):
            raise CDNError(f"upload content must be bytes, not {type(content).__name__}")
        base = self.url  # fails early when not started: the reference must be fetchable
        encrypted = crypto.encrypt_media(content)
        with self._lock:
            media_id = str(next(self._ids))
            self.files[media_id] = StoredMedia(
                media_id, file_name, mime_type, content, encrypted.cdn_file,
                dict(encrypted.encryption_metadata),
            )  # fmt: skip
        return {
            "media_id": media_id,
            "cdn_url": f"{base}{_PATH}{media_id}",
            "file_name": file_name,
            "encryption_metadata": dict(encrypted.encryption_metadata),
        }

    def _fetch(self, path: str) -> bytes | None:
        if not path.startswith(_PATH):
            return None
        media_id = path[len(_PATH) :].split("?", 1)[0]
        with self._lock:
            stored = self.files.get(media_id)
            if stored is not None:
                self.downloads[media_id] = self.downloads.get(media_id, 0) + 1
        return stored.cdn_file if stored else None


def _handler_for(cdn: MockCDN) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = cdn._fetch(self.path)
            if body is None:
                self.send_error(HTTPStatus.NOT_FOUND, "no such media")
                return
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: tests and CLI output stay clean

    return Handler
