"""The thin HTTP layer of the Slack mock: parse the webhook call, ask the backend, answer.

Answers are short plain-text bodies, as Slack sends them: ``200 ok`` or
``<status> <error_code>``. The body is JSON (``Content-Type:
application/json``) or form-encoded with the JSON in a ``payload=`` field;
a form-encoded body without ``payload`` is read as raw JSON, as Slack does
with ``curl -d '{...}'``. Anything else is ``400 invalid_payload``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from mocks.slack._backend import SlackBackend, Webhook, WebhookStatus
from mocks.slack.exceptions import SlackWebhookError

__all__ = ["slack_admin_routes", "slack_routes"]

_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"
_ID = r"^[A-Za-z0-9]+$"


def slack_routes(backend: SlackBackend) -> APIRouter:
    router = APIRouter()

    @router.post("/services/{team}/{bot}/{secret}")
    async def incoming_webhook(
        team: str, bot: str, secret: str, request: Request
    ) -> PlainTextResponse:
        try:
            webhook = backend.authorize(team, bot, secret)
            payload = parse_payload(request.headers.get("content-type"), await request.body())
            backend.receive(team, bot, webhook, payload)
        except SlackWebhookError as refusal:
            return PlainTextResponse(refusal.code, status_code=refusal.status)
        return PlainTextResponse("ok")

    return router


def parse_payload(content_type: str | None, body: bytes) -> dict[str, Any]:
    """The message object of a webhook call, or ``invalid_payload``."""
    mime = (content_type or "").split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
        if mime == _FORM:
            form = parse_qs(text, keep_blank_values=True)
            if "payload" in form:
                text = form["payload"][0]
        elif mime != _JSON:
            raise ValueError(f"unsupported content type {mime!r}")
        payload = json.loads(text)
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise SlackWebhookError(400, "invalid_payload") from exc
    if not isinstance(payload, dict):
        raise SlackWebhookError(400, "invalid_payload")
    return payload


class NewWebhook(BaseModel):
    team: str | None = Field(None, pattern=_ID)
    bot: str | None = Field(None, pattern=_ID)
    secret: str | None = Field(None, pattern=_ID)
    channel: str = "#general"
    status: WebhookStatus = "active"


def slack_admin_routes(backend: SlackBackend) -> APIRouter:
    """``GET /__admin/messages`` (``?team=&bot=``), ``GET|POST /__admin/webhooks``."""
    router = APIRouter()

    @router.get("/messages")
    def messages(team: str | None = None, bot: str | None = None) -> dict[str, Any]:
        found = backend.messages_for(team, bot)
        return {"messages": [m.model_dump(mode="json") for m in found], "count": len(found)}

    @router.get("/webhooks")
    def webhooks() -> dict[str, Any]:
        with backend.lock:
            hooks = list(backend.webhooks.values())
        return {"webhooks": [_webhook_json(hook) for hook in hooks]}

    @router.post("/webhooks", status_code=201)
    def add_webhook(spec: NewWebhook) -> dict[str, Any]:
        return _webhook_json(backend.add_webhook(**spec.model_dump()))

    return router


def _webhook_json(hook: Webhook) -> dict[str, Any]:
    return {**hook.model_dump(mode="json"), "path": hook.path}
