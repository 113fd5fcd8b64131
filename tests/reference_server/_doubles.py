"""Test doubles for the worker: CRMs that answer from a script or hold calls open."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Iterator
from typing import Any

from reference_server import CrmResult, JsonFormatter, MaskingFilter
from reference_server._crm import Media


def lead(n: int, *, phone: str | None = None, email: str | None = None) -> dict[str, Any]:
    return {
        "lead_id": f"L{n}",
        "phone": phone or f"+336123456{n:02d}",
        "first_name": "Ana",
        "last_name": "Lima",
        "email": email or f"ana{n}@example.com",
    }


class ScriptedCrm:
    """Answers from a script (an exception to raise or a result to return), then succeeds."""

    name = "scripted"

    def __init__(self, *script: BaseException | CrmResult):
        self.script = list(script)
        self.calls: list[dict[str, Any]] = []

    async def upsert(self, lead: dict[str, Any]) -> CrmResult:
        self.calls.append(lead)
        step = self.script.pop(0) if self.script else CrmResult(f"id-{lead['lead_id']}", True)
        if isinstance(step, BaseException):
            raise step
        return step

    async def attach(self, phone: str, media: Media, note: str) -> str:
        return "note-1"


class GatedCrm:
    """Every upsert waits until ``gate`` calls are in flight at once (or ``timeout``),
    so a test sees the worker's concurrency without timing anything."""

    name = "gated"

    def __init__(self, gate: int, *, timeout: float = 5.0):
        self.gate = gate
        self.timeout = timeout
        self.in_flight = 0
        self.max_in_flight = 0
        self.per_phone: dict[str, int] = {}
        self.max_per_phone = 0
        self.order: list[str] = []
        self._full = asyncio.Event()

    async def upsert(self, lead: dict[str, Any]) -> CrmResult:
        phone = lead["phone"]
        self.in_flight += 1
        self.per_phone[phone] = self.per_phone.get(phone, 0) + 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.max_per_phone = max(self.max_per_phone, self.per_phone[phone])
        self.order.append(lead["lead_id"])
        if self.in_flight >= self.gate:
            self._full.set()
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._full.wait(), self.timeout)
            await asyncio.sleep(0.01)
        finally:
            self.in_flight -= 1
            self.per_phone[phone] -= 1
        return CrmResult(f"id-{lead['lead_id']}", True)

    async def attach(self, phone: str, media: Media, note: str) -> str:
        return "note-1"


@contextlib.contextmanager
def captured_logs(level: int, logger: str = "reference_server") -> Iterator[io.StringIO]:
    """The project's JSON log lines (masked) at ``level``; a logging error fails the test."""

    class Strict(logging.StreamHandler):  # type: ignore[type-arg]
        def handleError(self, record: logging.LogRecord) -> None:
            raise

    out = io.StringIO()
    handler = Strict(out)
    handler.addFilter(MaskingFilter())
    handler.setFormatter(JsonFormatter())
    target = logging.getLogger(logger)
    saved = (target.level, target.handlers, target.propagate)
    target.setLevel(level)
    target.handlers = [handler]
    target.propagate = False
    try:
        yield out
    finally:
        target.setLevel(saved[0])
        target.handlers = saved[1]
        target.propagate = saved[2]
