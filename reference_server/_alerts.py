"""Operations alerts: Slack, Teams and email, each optional (:meth:`Targets.operations`).

The request path raises its alerts in the background (:meth:`Alerter.raise_soon`: an
unknown data API version, a spool that cannot be written). Alerts about a lead (dead-
lettered, parked, a CRM conflict) are not sent from here but queued as durable jobs with
the lead's own outcome, so each goes out once even when a worker dies
(:mod:`reference_server._notify_jobs`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from reference_server._logging import log_fields
from reference_server._notify import Notifier, Targets
from reference_server._settings import Settings

log = logging.getLogger("reference_server.alerts")
Severity = Literal["high", "medium", "low"]


@dataclass(frozen=True, slots=True)
class Alert:
    severity: Severity
    title: str
    details: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        lines = [f"[{self.severity.upper()}] {self.title}"]
        lines += [f"{k}: {v}" for k, v in self.details.items()]
        return "\n".join(lines)

    @property
    def subject(self) -> str:
        return f"[flowharness {self.severity}] {self.title}"


class Alerter:
    """Sends alerts; failures to deliver are logged, never raised into the request path."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient):
        self._notifier = Notifier(settings, http, targets=Targets.operations(settings))
        self._tasks: set[asyncio.Task[None]] = set()
        self.sent: list[Alert] = []
        """Every alert raised, in order (for tests and the scenario runner in-process)."""

    def channels(self) -> list[str]:
        """The operations channels configured."""
        return list(self._notifier.channels())

    def record(self, alert: Alert) -> None:
        """Log ``alert`` and keep it in :attr:`sent` (its delivery is someone else's)."""
        self.sent.append(alert)
        log.warning("operations alert: %s", alert.title, extra=log_fields(alert=alert.details))

    def raise_soon(self, alert: Alert) -> None:
        """Deliver in the background (the request path must not wait for Slack)."""
        task = asyncio.create_task(self.send(alert))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for background deliveries (shutdown, tests)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def send(self, alert: Alert) -> None:
        self.record(alert)
        await self._notifier.deliver(alert.text(), self.channels(), subject=alert.subject)
