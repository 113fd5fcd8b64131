"""Operations alerts: a Slack incoming webhook and an email over SMTP, both optional."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Literal

import httpx

from reference_server._logging import describe_error
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


class Alerter:
    """Sends alerts; failures to deliver are logged, never raised into the request path."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient):
        self._settings = settings
        self._http = http
        self._tasks: set[asyncio.Task[None]] = set()
        self.sent: list[Alert] = []
        """Every alert raised, in order (for tests and the scenario runner in-process)."""

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
        self.sent.append(alert)
        log.warning("operations alert: %s", alert.title, extra={"alert": alert.details})
        if self._settings.slack_webhook_url:
            await self._slack(alert)
        if self._settings.smtp_host and self._settings.alert_email_to:
            await asyncio.to_thread(self._email, alert)

    async def _slack(self, alert: Alert) -> None:
        try:
            response = await self._http.post(
                self._settings.slack_webhook_url or "", json={"text": alert.text()}, timeout=5.0
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            log.error("Slack alert not delivered: %s", describe_error(exc))

    def _email(self, alert: Alert) -> None:
        s = self._settings
        message = EmailMessage()
        message["Subject"] = f"[flowharness {alert.severity}] {alert.title}"
        message["From"] = s.alert_email_from
        message["To"] = ", ".join(s.alert_email_to)
        message.set_content(alert.text())
        try:
            with smtplib.SMTP(s.smtp_host or "", s.smtp_port, timeout=10) as smtp:
                if s.smtp_starttls:
                    smtp.starttls()
                if s.smtp_username and s.smtp_password:
                    smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            log.error("email alert not delivered: %s", exc)
