"""The request journal: every service call a mock received, and filters over it.

Entries are recorded when a request arrives (before any fault or handler runs)
and completed as the response goes out, so by the time a client sees an answer
its entry is already complete, even when the mock runs in another thread.
"""

from __future__ import annotations

import fnmatch
import json
import re
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["Journal", "JournalEntry", "RequestFilter", "json_contains"]

_FORM = "application/x-www-form-urlencoded"


class JournalEntry(BaseModel):
    """One request as the mock saw it, and what it answered.

    ``body`` is the raw bytes (base64 in JSON); ``body_text`` is set when the
    body is UTF-8, ``body_json`` when it parses as JSON whatever the content
    type, ``form`` when the content type is form-encoded. ``matched`` says
    whether a service route matched (``route`` is its template); ``status`` is
    ``None`` when no response was sent (connection reset). ``faults`` lists
    the kinds of faults applied to this call.
    """

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    id: int
    time: datetime
    method: str
    path: str
    query_string: str = ""
    query: dict[str, list[str]] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    body: bytes = b""
    body_text: str | None = None
    body_json: Any = None
    form: dict[str, list[str]] | None = None
    matched: bool = False
    route: str | None = None
    status: int | None = None
    response_headers: dict[str, str] = Field(default_factory=dict)
    response_body: bytes = b""
    faults: list[str] = Field(default_factory=list)
    duration: float | None = None

    def header(self, name: str) -> str | None:
        """A request header by case-insensitive name."""
        return self.headers.get(name.lower())


class RequestFilter(BaseModel):
    """Criteria a journal entry must all meet; unset fields match anything.

    ``path`` is exact, ``path_glob`` uses :func:`fnmatch.fnmatchcase` (``*``
    spans ``/``), ``path_regex`` must match the whole path. ``headers`` and
    ``query`` map names to an exact value (header names are case-insensitive).
    ``body_json`` matches when it is a subset of the entry's JSON body (see
    :func:`json_contains`). ``status`` is the response status code, or a list
    of accepted codes. ``since`` keeps entries recorded at or after it.
    """

    model_config = ConfigDict(extra="forbid")

    method: str | None = None
    path: str | None = None
    path_glob: str | None = None
    path_regex: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    query: dict[str, str] = Field(default_factory=dict)
    body_contains: str | None = None
    body_json: Any = None
    matched: bool | None = None
    status: int | list[int] | None = None
    since: datetime | None = None

    @field_validator("method")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value

    @field_validator("path_regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"path_regex does not compile: {exc}") from exc
        return value

    @field_validator("since")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        # Naive datetimes are taken as UTC, the journal's clock.
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    def _statuses(self) -> list[int]:
        return self.status if isinstance(self.status, list) else [self.status]  # type: ignore[list-item]

    def matches(self, entry: JournalEntry) -> bool:
        checks = (
            self.method is None or entry.method == self.method,
            self.path is None or entry.path == self.path,
            self.path_glob is None or fnmatch.fnmatchcase(entry.path, self.path_glob),
            self.path_regex is None or re.fullmatch(self.path_regex, entry.path) is not None,
            all(entry.header(k) == v for k, v in self.headers.items()),
            all(v in entry.query.get(k, []) for k, v in self.query.items()),
            self.body_contains is None
            or self.body_contains in entry.body.decode("utf-8", errors="replace"),
            self.body_json is None or json_contains(entry.body_json, self.body_json),
            self.matched is None or entry.matched == self.matched,
            self.status is None or entry.status in self._statuses(),
            self.since is None or entry.time >= self.since,
        )
        return all(checks)


def json_contains(actual: Any, expected: Any) -> bool:
    """True when ``expected`` is a subset of ``actual``.

    Objects match when every expected key matches recursively (extra keys are
    fine); arrays need the same length and each element to match; anything
    else must be equal.
    """
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and json_contains(actual[key], value) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(json_contains(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        # JSON true is not 1: compare booleans only with booleans.
        return isinstance(actual, bool) and isinstance(expected, bool) and actual is expected
    return bool(actual == expected)


class Journal:
    """A thread-safe, append-only list of :class:`JournalEntry` with ids from 1."""

    def __init__(self) -> None:
        self._entries: list[JournalEntry] = []
        self._lock = threading.Lock()

    def record(
        self,
        *,
        method: str,
        path: str,
        query_string: str,
        headers: dict[str, str],
        body: bytes,
        matched: bool,
        route: str | None,
    ) -> JournalEntry:
        """Add an entry for a request that just arrived and return it for completion."""
        text = _utf8(body)
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        with self._lock:
            entry = JournalEntry(
                id=len(self._entries) + 1,
                time=datetime.now(UTC),
                method=method,
                path=path,
                query_string=query_string,
                query=parse_qs(query_string, keep_blank_values=True),
                headers=headers,
                body=body,
                body_text=text,
                body_json=_json_or_none(text),
                form=parse_qs(text, keep_blank_values=True)
                if text is not None and content_type == _FORM
                else None,
                matched=matched,
                route=route,
            )
            self._entries.append(entry)
        return entry

    def entries(
        self, flt: RequestFilter | None = None, limit: int | None = None
    ) -> list[JournalEntry]:
        """Copies of the entries meeting ``flt``, oldest first; with ``limit`` the newest
        ``limit`` of them (only those are copied: a dashboard polls a long journal)."""
        with self._lock:
            snapshot = list(self._entries)
        found = [e for e in snapshot if flt is None or flt.matches(e)]
        if limit is not None:
            found = found[-limit:] if limit > 0 else []
        return [e.model_copy(deep=True) for e in found]

    def count(self, flt: RequestFilter | None = None) -> int:
        with self._lock:
            snapshot = list(self._entries)
        return sum(1 for e in snapshot if flt is None or flt.matches(e))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def _utf8(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _json_or_none(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None
