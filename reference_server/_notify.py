"""Telling people: staff that a lead is in the CRM (Slack, Teams, email, WhatsApp to a
staff number), operations that something needs them (Slack, Teams, email).

Each channel is optional, retried on its own, and never undoes the CRM write: a
channel that still fails is logged and counted. The worker does not call this right
after the CRM write but through a durable job (:mod:`reference_server._notify_jobs`).
:class:`Targets` says where one audience is reached.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any, Literal

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from reference_server._crm import CrmResult, retry_after_seconds
from reference_server._logging import describe_error, log_fields
from reference_server._settings import Settings
from reference_server._wasender import WasenderSender
from reference_server.exceptions import NotificationDeferred, NotificationRefused

log = logging.getLogger("reference_server.notify")
Sleep = Callable[[float], Awaitable[None]]
Status = Literal["sent", "failed", "refused"]
"""``refused``: the channel turned the message down for good (not retried)."""
_RETRYABLE = (httpx.HTTPError, OSError, smtplib.SMTPException, NotificationDeferred)
_FIX = {
    "slack": "check the Slack webhook URL (FLOWHARNESS_NOTIFY_SLACK_WEBHOOK_URL for staff, "
    "FLOWHARNESS_SLACK_WEBHOOK_URL for operations): deleted or revoked webhooks answer 4xx",
    "teams": "check the Teams webhook URL (FLOWHARNESS_NOTIFY_TEAMS_WEBHOOK_URL for staff, "
    "FLOWHARNESS_ALERT_TEAMS_WEBHOOK_URL for operations) and that the workflow still runs",
    "whatsapp": "check FLOWHARNESS_CLOUD_API_TOKEN, FLOWHARNESS_PHONE_NUMBER_ID and "
    "FLOWHARNESS_NOTIFY_WHATSAPP_TO",
    "email": "check the FLOWHARNESS_SMTP_* login and the FLOWHARNESS_NOTIFY_EMAIL_TO / "
    "FLOWHARNESS_ALERT_EMAIL_TO addresses",
}
_BACKOFF = wait_exponential(multiplier=0.5, max=10)


def _wait(state: RetryCallState) -> float:
    """Exponential backoff, never sooner than the channel's ``retry_after``."""
    error = state.outcome.exception() if state.outcome else None
    asked = error.retry_after if isinstance(error, NotificationDeferred) else None
    return max(_BACKOFF(state), asked or 0.0)


def record_url(settings: Settings, result: CrmResult) -> str:
    """A link to the CRM record (Salesforce gives one; HubSpot needs the portal id)."""
    if result.record_url:
        return result.record_url
    if settings.crm == "hubspot" and settings.hubspot_portal_id and result.record_id:
        base = settings.hubspot_app_url.rstrip("/")
        return f"{base}/contacts/{settings.hubspot_portal_id}/record/0-1/{result.record_id}"
    return ""


def summary(lead: dict[str, Any], result: CrmResult, url: str) -> str:
    """What staff read: who, what about, where from, and the link (no phone, no email)."""
    verb = "New lead" if result.created else "Returning lead"
    who = f"{lead.get('first_name', '')} {lead.get('last_name', '')}".strip() or "someone"
    lines = [f"{verb}: {who}" + (f" ({lead['company']})" if lead.get("company") else "")]
    lines.append(f"Interested in: {lead.get('interest') or '-'}")
    lines.append(f"Campaign: {lead.get('campaign') or '-'}, source: {lead.get('source') or '-'}")
    lines.append(f"Reference: {lead.get('lead_id', '')}")
    if url:
        lines.append(f"CRM record: {url}")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Targets:
    """Where one audience is told; each channel is optional."""

    slack: str | None = None
    teams: str | None = None
    email_to: tuple[str, ...] = ()
    whatsapp_to: str | None = None
    wasender_to: tuple[str, ...] = ()

    @classmethod
    def staff(cls, settings: Settings) -> Targets:
        """Who hears of new leads (``notify_*`` settings)."""
        s = settings
        return cls(
            s.notify_slack_webhook_url,
            s.notify_teams_webhook_url,
            tuple(s.notify_email_to),
            s.notify_whatsapp_to,
            tuple(s.notify_wasender_to),
        )

    @classmethod
    def operations(cls, settings: Settings) -> Targets:
        """Who hears of leads that need a person (``slack_webhook_url``, ``alert_*``)."""
        s = settings
        return cls(s.slack_webhook_url, s.alert_teams_webhook_url, tuple(s.alert_email_to))


class Notifier:
    def __init__(
        self,
        settings: Settings,
        http: httpx.AsyncClient,
        *,
        sleep: Sleep = asyncio.sleep,
        targets: Targets | None = None,
    ):
        self._settings = settings
        self._http = http
        self._sleep = sleep
        self.targets = targets or Targets.staff(settings)
        self.refusals: dict[str, str] = {}
        """The last refusal of each channel (what operations are told to fix)."""

    def for_targets(self, targets: Targets) -> Notifier:
        """A notifier for another audience, sharing this one's HTTP client and sleep."""
        return Notifier(self._settings, self._http, sleep=self._sleep, targets=targets)

    def channels(self) -> dict[str, Callable[[str, str], Awaitable[None]]]:
        """The configured channels: name -> ``send(text, subject)``."""
        s, t = self._settings, self.targets
        found: dict[str, Callable[[str, str], Awaitable[None]]] = {}
        if t.slack:
            found["slack"] = self._slack
        if t.teams:
            found["teams"] = self._teams
        if t.email_to and s.smtp_host:
            found["email"] = self._email
        if t.whatsapp_to and s.cloud_api_token and s.phone_number_id:
            found["whatsapp"] = self._whatsapp
        if t.wasender_to and s.notify_wasender_api_key:
            # one sender per delivery: its retries skip the numbers already told
            key = s.notify_wasender_api_key.get_secret_value()
            base = s.notify_wasender_base_url
            found["wasender"] = WasenderSender(self._http, base, key, list(t.wasender_to))
        return found

    async def notify(self, lead: dict[str, Any], result: CrmResult) -> dict[str, Status]:
        """Send on every configured channel at once; returns each channel's fate."""
        text = summary(lead, result, record_url(self._settings, result))
        return await self.deliver(text, list(self.channels()))

    async def deliver(
        self, text: str, names: list[str], *, subject: str | None = None
    ) -> dict[str, Status]:
        """Send ``text`` on the named channels at once, each with its own retries.

        A name that is not configured (any more) counts as failed. ``subject`` (email):
        the text's first line unless given.
        """
        channels = self.channels()
        known = [n for n in names if n in channels]
        subject = subject or (text.splitlines() or [""])[0]
        fates = await asyncio.gather(
            *(self._with_retries(n, channels[n], text, subject) for n in known)
        )
        missing: dict[str, Status] = {n: "failed" for n in names if n not in channels}
        return dict(zip(known, fates, strict=True)) | missing

    async def _with_retries(
        self, name: str, send: Callable[[str, str], Awaitable[None]], text: str, subject: str
    ) -> Status:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._settings.notify_max_attempts),
            wait=_wait,
            retry=retry_if_exception_type(_RETRYABLE),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await send(text, subject)
        except NotificationRefused as exc:
            self.refusals[name] = str(exc)
            log.error(
                "notification refused",
                extra=log_fields(channel=name, error=describe_error(exc)),
            )
            return "refused"
        except _RETRYABLE as exc:
            log.error(
                "notification not delivered",
                extra=log_fields(channel=name, error=describe_error(exc)),
            )
            return "failed"
        return "sent"

    async def _post(self, channel: str, url: str, body: dict[str, Any], **kwargs: Any) -> None:
        """POST ``body``; a 429 or 5xx is worth retrying, any other 4xx never passes by
        retrying (a deleted webhook, a wrong token): refused, and operations are told."""
        response = await self._http.post(url, json=body, timeout=10.0, **kwargs)
        status = response.status_code
        if status == 429 or status >= 500:
            raise NotificationDeferred(
                f"{channel} answered HTTP {status}", retry_after_seconds(response)
            )
        if status >= 400:
            fix = _FIX[channel]
            raise NotificationRefused(f"{channel} refused the message (HTTP {status}): {fix}")

    async def _slack(self, text: str, subject: str) -> None:
        await self._post("slack", self.targets.slack or "", {"text": text})

    async def _teams(self, text: str, subject: str) -> None:
        # an Adaptive Card message: what Workflows ("when a Teams webhook request is
        # received") take, and what the retiring Office 365 connectors take as well
        lines = text.splitlines() or [""]
        body: list[dict[str, Any]] = [
            {"type": "TextBlock", "text": lines[0], "weight": "Bolder", "wrap": True}
        ]
        body += [{"type": "TextBlock", "text": line, "wrap": True} for line in lines[1:]]
        card = {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": body,
                    },
                }
            ],
        }
        await self._post("teams", self.targets.teams or "", card)

    async def _whatsapp(self, text: str, subject: str) -> None:
        s = self._settings
        url = f"{s.cloud_api_url.rstrip('/')}/{s.cloud_api_version}/{s.phone_number_id}/messages"
        message = {
            "messaging_product": "whatsapp",
            "to": (self.targets.whatsapp_to or "").lstrip("+"),
            "type": "text",
            "text": {"body": text, "preview_url": True},
        }
        token = s.cloud_api_token.get_secret_value() if s.cloud_api_token else ""
        await self._post("whatsapp", url, message, headers={"Authorization": f"Bearer {token}"})

    async def _email(self, text: str, subject: str) -> None:
        await asyncio.to_thread(self._send_email, text, subject)

    def _send_email(self, text: str, subject: str) -> None:
        # an SMTP reply of 5xx is permanent, 4xx means "try again later"
        try:
            self._send_smtp(text, subject)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(code >= 500 for code in codes):
                raise _refused_by_mail_server(max(codes)) from exc
            raise
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:
                raise _refused_by_mail_server(exc.smtp_code) from exc
            raise

    def _send_smtp(self, text: str, subject: str) -> None:
        s = self._settings
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = s.alert_email_from
        message["To"] = ", ".join(self.targets.email_to)
        message.set_content(text)
        with smtplib.SMTP(s.smtp_host or "", s.smtp_port, timeout=10) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username and s.smtp_password:
                smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
            smtp.send_message(message)


def _refused_by_mail_server(code: int) -> NotificationRefused:
    return NotificationRefused(f"the mail server refused the message ({code}): {_FIX['email']}")
