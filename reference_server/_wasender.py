"""Staff notifications through WASenderApi (an unofficial WhatsApp API, one linked phone).

``POST {base}/send-message`` with ``Authorization: Bearer <session API key>`` and
``{"to": "+<E.164>", "text": ...}``; success is ``{"success": true, "data": {"msgId"}}``.
A 429 (the plan's rate limit: ``retry_after`` in the body, ``Retry-After`` too) and a
5xx are retried, never sooner than asked; a 400 (session not connected), 401 (wrong API
key) or 422 (a refused number or text) will not pass by retrying: the channel fails at
once and operations are told what to fix.
"""

from __future__ import annotations

from typing import Any

import httpx

from reference_server._crm import json_or_none, retry_after_seconds
from reference_server.exceptions import NotificationDeferred, NotificationRefused

__all__ = ["WasenderSender"]

_FIX = {
    400: "reconnect the WASender session (scan its QR code)",
    401: "check FLOWHARNESS_NOTIFY_WASENDER_API_KEY (a session's API key)",
    403: "check FLOWHARNESS_NOTIFY_WASENDER_API_KEY (a session's API key)",
    422: "check FLOWHARNESS_NOTIFY_WASENDER_TO (E.164 numbers)",
}


class WasenderSender:
    """Sends one text to every recipient; a retry skips the recipients already sent to."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, api_key: str, to: list[str]):
        self._http = http
        self._url = base_url.rstrip("/") + "/send-message"
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._to = list(to)
        self._done: set[str] = set()

    async def __call__(self, text: str, subject: str) -> None:
        for number in self._to:
            if number not in self._done:
                await self._send(number, text)
                self._done.add(number)

    async def _send(self, number: str, text: str) -> None:
        to = number if number.startswith("+") else f"+{number}"
        response = await self._http.post(
            self._url, json={"to": to, "text": text}, headers=self._headers, timeout=10.0
        )
        body = json_or_none(response)
        if response.status_code == 429 or response.status_code >= 500:
            raise NotificationDeferred(
                f"WASender answered {response.status_code}", _retry_after(response, body)
            )
        if response.status_code >= 300 or not (isinstance(body, dict) and body.get("success")):
            message = body.get("message", "") if isinstance(body, dict) else ""
            fix = _FIX.get(response.status_code, "check the FLOWHARNESS_NOTIFY_WASENDER_* settings")
            raise NotificationRefused(
                f"WASender refused the message ({response.status_code}"
                f"{': ' + str(message)[:200] if message else ''}): {fix}"
            )


def _retry_after(response: httpx.Response, body: Any) -> float | None:
    """``retry_after`` (seconds) from the body, else the ``Retry-After`` header."""
    if isinstance(body, dict):
        value = body.get("retry_after")
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return float(value)
    return retry_after_seconds(response)
