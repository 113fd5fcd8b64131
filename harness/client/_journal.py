"""The record of every HTTP exchange a client made, replayable as JSON or curl."""

from __future__ import annotations

import base64
import json
import shlex
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

from harness.client._outcome import Outcome
from harness.client._postman import JOURNAL_FORMAT, KEYS_WARNING, keys_record, postman_collection
from harness.crypto import ExchangeKeys

# Dropped from the JSON journal: it is a log, and logs never carry credentials.
_REDACTED_HEADERS = frozenset(
    {"authorization", "cookie", "set-cookie", "proxy-authorization", "x-api-key"}
)


@dataclass(slots=True)
class Exchange:
    """One HTTP attempt: what was encrypted and sent, what came back, and how long it took."""

    url: str
    request_headers: dict[str, str]
    request_body: bytes
    """The exact bytes sent, the ones the signature covers."""
    request_payload: Any = None
    """The plaintext before encryption (a dict, or bytes for a raw payload); None for a raw body."""
    envelope: dict[str, Any] | None = None
    """The JSON envelope as sent (after any overrides); None when a raw body was sent."""
    keys: ExchangeKeys | None = field(default=None, repr=False)
    """This request's AES key and IV (kept in memory only, never written to the journal)."""
    signature: str = "valid"
    """How the request was signed: valid, bad, missing, or custom (an explicit header)."""
    attempt: int = 1
    method: str = "POST"
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    elapsed: float | None = None
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes | None = None
    response_payload: Any = None
    outcome: Outcome | None = None
    error: str | None = None

    @property
    def iv(self) -> bytes | None:
        return self.keys.iv if self.keys else None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view; credentials in headers and the AES key are left out."""
        return {
            "attempt": self.attempt,
            "signature": self.signature,
            "started_at": self.started_at.isoformat(),
            "elapsed": self.elapsed,
            "outcome": str(self.outcome) if self.outcome else None,
            "error": self.error,
            "request": {
                "method": self.method,
                "url": self.url,
                "headers": _redacted(self.request_headers),
                "payload": _jsonable(self.request_payload),
                "envelope": self.envelope,
                **_body_fields(self.request_body),
            },
            "response": {
                "status": self.status,
                "headers": _redacted(self.response_headers),
                "payload": self.response_payload,
                **_body_fields(self.response_body),
            },
        }

    def to_curl(self, url: str | None = None) -> str:
        """A shell command that sends the same bytes with the same signature header."""
        parts = ["curl", "-sS", "-i", "-X", self.method, shlex.quote(url or self.url)]
        for name, value in self.request_headers.items():
            parts += ["-H", shlex.quote(f"{name}: {value}")]
        parts += ["--data-binary", "@-"]
        command = " ".join(parts)
        # Piping the body keeps it byte-exact: no '@file' expansion, no shell escapes.
        try:
            text = self.request_body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        if text is not None and "\x00" not in text:
            return f"printf '%s' {shlex.quote(text)} | {command}"
        encoded = base64.b64encode(self.request_body).decode("ascii")
        return f"printf '%s' {encoded} | base64 -d | {command}"


class Journal(Sequence[Exchange]):
    """The exchanges of one client, oldest first; keeps the last ``maxlen`` (None: all)."""

    def __init__(self, maxlen: int | None = 1000) -> None:
        self._exchanges: deque[Exchange] = deque(maxlen=maxlen)

    def append(self, exchange: Exchange) -> None:
        self._exchanges.append(exchange)

    def clear(self) -> None:
        self._exchanges.clear()

    @overload
    def __getitem__(self, index: int) -> Exchange: ...
    @overload
    def __getitem__(self, index: slice) -> list[Exchange]: ...
    def __getitem__(self, index: int | slice) -> Exchange | list[Exchange]:
        if isinstance(index, slice):
            return list(self._exchanges)[index]
        return self._exchanges[index]

    def __len__(self) -> int:
        return len(self._exchanges)

    def __iter__(self) -> Iterator[Exchange]:
        return iter(list(self._exchanges))

    def __repr__(self) -> str:
        return f"<Journal of {len(self)} exchanges>"

    def to_json(self, *, indent: int | None = 2, keys: bool = False) -> str:
        """The exchanges as JSON; ``keys=True`` adds each request's AES key and IV (and says
        so at the top): what ``flowharness open`` needs to read a replayed answer."""
        if not keys:
            return json.dumps([e.to_dict() for e in self], indent=indent, ensure_ascii=False)
        exchanges = [{**e.to_dict(), "keys": keys_record(e)} for e in self]
        document = {"format": JOURNAL_FORMAT, "warning": KEYS_WARNING, "exchanges": exchanges}
        return json.dumps(document, indent=indent, ensure_ascii=False)

    def to_postman(
        self, *, name: str = "flowharness exchanges", journal_file: str | Path | None = None
    ) -> dict[str, Any]:
        """A Postman Collection v2.1: every request with its exact signed, encrypted body.

        Each item says how to read its answer (``flowharness open --journal FILE``); write
        that journal with ``dump(FILE, keys=True)``: the collection holds no keys.
        """
        return postman_collection(self, name=name, journal_file=journal_file)

    def to_curl(self, url: str | None = None) -> str:
        """One curl command per exchange; ``url`` replaces the recorded URL (e.g. for an app)."""
        commands = [
            f"# attempt {e.attempt}, {e.started_at.isoformat()}\n{e.to_curl(url)}" for e in self
        ]
        return "\n\n".join(commands) + ("\n" if commands else "")

    def dump(self, path: str | Path, *, keys: bool = False, postman: bool | None = None) -> Path:
        """Write the journal: a curl script for ``.sh``/``.curl`` files, a Postman collection
        for ``*.postman_collection.json``/``*.postman.json`` (or ``postman=True``), JSON
        otherwise (``keys=True``: with each request's AES key, for ``flowharness open``)."""
        path = Path(path)
        if postman is None:
            postman = path.name.endswith((".postman_collection.json", ".postman.json"))
        if postman:
            text = json.dumps(self.to_postman(name=path.stem), indent=2, ensure_ascii=False)
            text += "\n"
        elif path.suffix in {".sh", ".curl"}:
            text = self.to_curl()
        else:
            text = self.to_json(keys=keys) + "\n"
        path.write_text(text, encoding="utf-8")
        return path


def _redacted(headers: Mapping[str, str]) -> dict[str, str]:
    return {k: ("<redacted>" if k.lower() in _REDACTED_HEADERS else v) for k, v in headers.items()}


def _body_fields(body: bytes | None) -> dict[str, Any]:
    if body is None:
        return {"body": None}
    try:
        return {"body": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"body_base64": base64.b64encode(body).decode("ascii")}


def _jsonable(payload: Any) -> Any:
    if isinstance(payload, bytes):
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(payload).decode("ascii")}
    return payload
