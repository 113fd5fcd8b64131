"""Telling people a lead is in the CRM: Slack, Teams, email, WhatsApp to a staff number.

Each channel is optional, retried on its own, and never undoes the CRM write: a
channel that still fails is logged and counted. The worker does not call this right
after the CRM write but through a durable job (:mod:`reference_server._notify_jobs`).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from typing import Any, Literal

import httpx
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from reference_server._crm import CrmResult
from reference_server._logging import describe_error
from reference_server._settings import Settings

log = logging.getLogger("reference_server.notify")
Sleep = Callable[[float], Awaitable[None]]
Status = Literal["sent", "failed"]
_RETRYABLE = (httpx.HTTPError, OSError, smtplib.SMTPException)


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


class Notifier:
    def __init__(
        self, settings: Settings, http: httpx.AsyncClient, *, sleep: Sleep = asyncio.sleep
    ):
        self._settings = settings
        self._http = http
        self._sleep = sleep

    def channels(self) -> dict[str, Callable[[str], Awaitable[None]]]:
        s = self._settings
        found: dict[str, Callable[[str], Awaitable[None]]] = {}
        if s.notify_slack_webhook_url:
            found["slack"] = self._slack
        if s.notify_teams_webhook_url:
            found["teams"] = self._teams
        if s.notify_email_to and s.smtp_host:
            found["email"] = self._email
        if s.notify_whatsapp_to and s.cloud_api_token and s.phone_number_id:
            found["whatsapp"] = self._whatsapp
        return found

    async def notify(self, lead: dict[str, Any], result: CrmResult) -> dict[str, Status]:
        """Send on every configured channel at once; returns each channel's fate."""
        text = summary(lead, result, record_url(self._settings, result))
        return await self.deliver(text, list(self.channels()))

    async def deliver(self, text: str, names: list[str]) -> dict[str, Status]:
        """Send ``text`` on the named channels at once, each with its own retries.

        A name that is not configured (any more) counts as failed.
        """
        channels = self.channels()
        known = [n for n in names if n in channels]
        fates = await asyncio.gather(*(self._with_retries(n, channels[n], text) for n in known))
        missing: dict[str, Status] = {n: "failed" for n in names if n not in channels}
        return dict(zip(known, fates, strict=True)) | missing

    async def _with_retries(
        self, name: str, send: Callable[[str], Awaitable[None]], text: str
    ) -> Status:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._settings.notify_max_attempts),
            wait=wait_exponential(multiplier=0.5, max=10),
            retry=retry_if_exception_type(_RETRYABLE),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await send(text)
        except _RETRYABLE as exc:
            log.error(
                "notification not delivered", extra={"channel": name, "error": describe_error(exc)}
            )
            return "failed"
        return "sent"

    async def _post(self, url: str, body: dict[str, Any], **kwargs: Any) -> None:
        response = await self._http.post(url, json=body, timeout=10.0, **kwargs)
        response.raise_for_status()

    async def _slack(self, text: str) -> None:
        await self._post(self._settings.notify_slack_webhook_url or "", {"text": text})

    async def _teams(self, text: str) -> None:
        # Teams incoming webhooks take a MessageCard; "text" renders Markdown
        card = {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": text.splitlines()[0],
            "text": text.replace("\n", "  \n"),
        }
        await self._post(self._settings.notify_teams_webhook_url or "", card)

    async def _whatsapp(self, text: str) -> None:
        s = self._settings
        url = f"{s.cloud_api_url.rstrip('/')}/{s.cloud_api_version}/{s.phone_number_id}/messages"
        message = {
            "messaging_product": "whatsapp",
            "to": (s.notify_whatsapp_to or "").lstrip("+"),
            "type": "text",
            "text": {"body": text, "preview_url": True},
        }
        token = s.cloud_api_token.get_secret_value() if s.cloud_api_token else ""
        await self._post(url, message, headers={"Authorization": f"Bearer {token}"})

    async def _email(self, text: str) -> None:
        await asyncio.to_thread(self._send_email, text)

    def _send_email(self, text: str) -> None:
        s = self._settings
        message = EmailMessage()
        message["Subject"] = text.splitlines()[0]
        message["From"] = s.alert_email_from
        message["To"] = ", ".join(s.notify_email_to)
        message.set_content(text)
        with smtplib.SMTP(s.smtp_host or "", s.smtp_port, timeout=10) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username and s.smtp_password:
                smtp.login(s.smtp_username, s.smtp_password.get_secret_value())
            smtp.send_message(message)
