"""The mocks a dashboard shows, each read and changed through its admin API.

A :class:`DashboardMock` is one entry of ``flowharness mocks up --json``
(``url``, ``admin_url``, ``credentials``...), so the dashboard works for mocks
served by any process it can reach, not only its own.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Self

import httpx

from mocks._core import AdminClient, AdminError, FaultRule, JournalEntry

__all__ = ["JOURNAL_ROWS", "DashboardMock", "JournalRow", "MockView"]

JOURNAL_ROWS = 50
"""How many of the newest journal entries a card shows."""

_PREVIEW = 2000  # characters of a body shown under a journal row


@dataclass(frozen=True)
class JournalRow:
    """One journal entry, ready to show."""

    id: int
    time: datetime
    method: str
    target: str
    status: int | None
    matched: bool
    faults: list[str]
    duration_ms: float | None
    request_body: str
    response_body: str


@dataclass
class MockView:
    """What a card shows of one mock now: its newest requests and its fault rules."""

    total: int = 0
    rows: list[JournalRow] = field(default_factory=list)
    faults: list[FaultRule] = field(default_factory=list)
    error: str | None = None


def _preview(data: bytes, text: str | None = None) -> str:
    if text is None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return f"({len(data)} bytes, not text)"
    return text if len(text) <= _PREVIEW else text[:_PREVIEW] + f" ... ({len(text)} chars)"


def _row(entry: JournalEntry) -> JournalRow:
    return JournalRow(
        id=entry.id,
        time=entry.time,
        method=entry.method,
        target=entry.path + (f"?{entry.query_string}" if entry.query_string else ""),
        status=entry.status,
        matched=entry.matched,
        faults=list(entry.faults),
        duration_ms=None if entry.duration is None else entry.duration * 1000,
        request_body=_preview(entry.body, entry.body_text),
        response_body=_preview(entry.response_body),
    )


@dataclass
class DashboardMock:
    """One running mock as ``mocks up --json`` describes it, with an admin client."""

    name: str
    url: str
    admin_url: str
    credentials: Mapping[str, str] = field(default_factory=dict)
    routes: str = ""
    smtp: str | None = None
    ca_bundle: str | None = None

    def __post_init__(self) -> None:
        context = None
        if self.admin_url.startswith("https://"):
            context = ssl.create_default_context(cafile=self.ca_bundle)
        self.admin = AdminClient(self.admin_url, ssl_context=context, timeout=5.0)

    @classmethod
    def from_described(
        cls, name: str, described: Mapping[str, Any], ca_bundle: str | None = None
    ) -> Self:
        from mocks.registry import MOCKS  # the routes hint of a shipped mock

        routes = str(described.get("routes") or getattr(MOCKS.get(name), "routes", ""))
        smtp = None
        if "smtp_port" in described:
            smtp = f"{described['smtp_host']}:{described['smtp_port']}"
        return cls(
            name=name,
            url=described["url"],
            admin_url=described.get("admin_url", described["url"]),
            credentials=dict(described.get("credentials", {})),
            routes=routes,
            smtp=smtp,
            ca_bundle=described.get("ca_bundle", ca_bundle),
        )

    def view(self) -> MockView:
        """The newest journal rows and the fault rules; an unreachable mock says why."""
        try:
            listing = self.admin.get("requests", limit=JOURNAL_ROWS)
            entries = [JournalEntry.model_validate(item) for item in listing["requests"]]
            faults = self.admin.faults()
        except (httpx.HTTPError, AdminError) as exc:
            return MockView(error=f"the {self.name} mock did not answer: {exc}")
        rows = [_row(entry) for entry in reversed(entries)]  # newest first
        return MockView(total=int(listing.get("total", len(rows))), rows=rows, faults=faults)

    def close(self) -> None:
        self.admin.close()
