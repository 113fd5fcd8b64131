"""Sending the flow message through the WhatsApp Cloud API (Meta: Sending a Flow)."""

from __future__ import annotations

from typing import Any

import httpx

from reference_server._settings import Settings
from reference_server.exceptions import CloudApiError, ConfigurationError


def flow_message(
    to: str, *, flow_id: str, flow_token: str, cta: str, body_text: str
) -> dict[str, Any]:
    """An interactive flow message opened with ``data_exchange`` (the endpoint answers INIT)."""
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to.lstrip("+"),
        "type": "interactive",
        "interactive": {
            "type": "flow",
            "body": {"text": body_text},
            "action": {
                "name": "flow",
                "parameters": {
                    "flow_message_version": "3",
                    "flow_id": flow_id,
                    "flow_cta": cta,
                    "flow_token": flow_token,
                    "flow_action": "data_exchange",
                },
            },
        },
    }


async def send_flow_message(
    http: httpx.AsyncClient,
    settings: Settings,
    *,
    to: str,
    flow_id: str,
    flow_token: str,
    body_text: str = "Tell us a little about you and we will get back to you.",
) -> str:
    """Send the flow; returns the message id (wamid)."""
    if not settings.cloud_api_token or not settings.phone_number_id:
        raise ConfigurationError(
            "sending needs FLOWHARNESS_CLOUD_API_TOKEN and FLOWHARNESS_PHONE_NUMBER_ID"
        )
    url = (
        f"{settings.cloud_api_url.rstrip('/')}/{settings.cloud_api_version}/"
        f"{settings.phone_number_id}/messages"
    )
    message = flow_message(
        to, flow_id=flow_id, flow_token=flow_token, cta=settings.flow_cta, body_text=body_text
    )
    headers = {"Authorization": f"Bearer {settings.cloud_api_token.get_secret_value()}"}
    try:
        response = await http.post(url, json=message, headers=headers, timeout=10.0)
    except httpx.HTTPError as exc:
        raise CloudApiError(
            f"the Cloud API at {settings.cloud_api_url} cannot be reached: {exc}"
        ) from exc
    if response.status_code >= 400:
        raise CloudApiError(
            f"the Cloud API refused the flow message ({response.status_code}): "
            f"{response.text[:300]}"
        )
    try:
        return str(response.json()["messages"][0]["id"])
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise CloudApiError("the Cloud API answer has no messages[0].id") from exc
