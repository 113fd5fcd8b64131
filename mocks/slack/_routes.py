"""The thin HTTP layer of the Slack mock: parse the call, ask the backend, answer.

Incoming webhooks answer short plain-text bodies, as Slack sends them: ``200
ok`` or ``<status> <error_code>``. The body is JSON (``Content-Type:
application/json``) or form-encoded with the JSON in a ``payload=`` field; a
form-encoded body without ``payload`` is read as raw JSON, as Slack does with
``curl -d '{...}'``. Anything else is ``400 invalid_payload``.

The Web API methods (``/api/{method}``) are declared on the same router by
``mocks.slack._web_routes``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

from mocks.slack._backend import SlackBackend, Via, Webhook, WebhookStatus
from mocks.slack._web_routes import add_web_api_routes
from mocks.slack._workspace import CHANNEL_ID, ChannelName, TokenKind
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

    add_web_api_routes(router, backend)
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


class NewChannel(BaseModel):
    name: ChannelName
    id: str | None = Field(None, pattern=CHANNEL_ID)
    is_private: bool = False
    is_archived: bool = False
    is_member: bool = True
    topic: str = ""
    purpose: str = ""


class NewToken(BaseModel):
    kind: TokenKind = "bot"
    user: str | None = Field(None, min_length=1)


class Limits(BaseModel):
    max_text_chars: int = Field(..., ge=1)


def slack_admin_routes(backend: SlackBackend) -> APIRouter:
    """``GET /__admin/messages`` (``?team=&bot=&channel=&via=``), ``GET|POST /__admin/webhooks``,
    ``GET|POST /__admin/channels``, ``GET|POST /__admin/tokens``, ``GET|POST /__admin/limits``."""
    router = APIRouter()

    @router.get("/messages")
    def messages(
        team: str | None = None,
        bot: str | None = None,
        channel: str | None = None,
        via: Via | None = None,
    ) -> dict[str, Any]:
        found = backend.messages_for(team, bot, channel=channel, via=via)
        return {"messages": [m.model_dump(mode="json") for m in found], "count": len(found)}

    @router.get("/webhooks")
    def webhooks() -> dict[str, Any]:
        with backend.lock:
            hooks = list(backend.webhooks.values())
        return {"webhooks": [_webhook_json(hook) for hook in hooks]}

    @router.post("/webhooks", status_code=201)
    def add_webhook(spec: NewWebhook) -> dict[str, Any]:
        return _webhook_json(backend.add_webhook(**spec.model_dump()))

    @router.get("/channels")
    def channels() -> dict[str, Any]:
        with backend.lock:
            known = list(backend.channels.values())
        return {"channels": [channel.model_dump(mode="json") for channel in known]}

    @router.post("/channels", status_code=201)
    def add_channel(spec: NewChannel) -> dict[str, Any]:
        return backend.add_channel(**spec.model_dump()).model_dump(mode="json")

    @router.get("/tokens")
    def tokens() -> dict[str, Any]:
        with backend.lock:
            issued = list(backend.tokens.values())
        return {"tokens": [token.model_dump(mode="json") for token in issued]}

    @router.post("/tokens", status_code=201)
    def add_token(spec: NewToken) -> dict[str, Any]:
        return backend.add_token(spec.kind, user=spec.user).model_dump(mode="json")

    @router.get("/limits")
    def limits() -> dict[str, Any]:
        return {"max_text_chars": backend.max_text_chars}

    @router.post("/limits")
    def set_limits(spec: Limits) -> dict[str, Any]:
        with backend.lock:
            backend.max_text_chars = spec.max_text_chars
        return {"max_text_chars": backend.max_text_chars}

    return router


def _webhook_json(hook: Webhook) -> dict[str, Any]:
    return {**hook.model_dump(mode="json"), "path": hook.path}
