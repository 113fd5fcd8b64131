"""The thin HTTP layer of the Teams mock: incoming webhooks and Workflows triggers.

Incoming webhook (``https://<tenant>.webhook.office.com/webhookb2/...``):
``200`` with body ``1`` on success; ``400 Bad payload received by generic
incoming webhook.`` for a body that is not a JSON card; ``400 Summary or Text
is required.`` for a MessageCard with neither; ``413`` over 28 KB.

Workflow (Power Automate "When a Teams webhook request is received",
``.../workflows/{id}/triggers/manual/paths/invoke?...&sig=...``): ``202`` with
an empty body for any JSON object; ``401 DirectApiAuthorizationRequired``
without ``sig``; ``400 InvalidRequestContent`` when the body is not JSON.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from mocks.teams._backend import Connector, TeamsBackend
from mocks.teams._cards import BAD_PAYLOAD, parse_card, read_card
from mocks.teams.exceptions import TeamsWebhookError

__all__ = ["MAX_MESSAGE_BYTES", "teams_admin_routes", "teams_routes"]

MAX_MESSAGE_BYTES = 28 * 1024
"""Teams' documented size limit for a webhook message."""


def teams_routes(backend: TeamsBackend) -> APIRouter:
    router = APIRouter()

    async def incoming(request: Request, webhook: str) -> Response:
        body = await request.body()
        try:
            if len(body) > MAX_MESSAGE_BYTES:
                raise TeamsWebhookError(
                    413, f"Message size exceeds the {MAX_MESSAGE_BYTES // 1024} KB limit."
                )
            payload = _json_object(request, body)
            if payload is None:
                raise TeamsWebhookError(400, BAD_PAYLOAD)
            backend.receive("incoming_webhook", webhook, parse_card(payload), payload)
        except TeamsWebhookError as refusal:
            return _refusal(refusal)
        return PlainTextResponse("1")

    @router.post("/webhookb2/{group}/IncomingWebhook/{connector}/{owner}")
    async def incoming_webhook(
        group: str, connector: str, owner: str, request: Request
    ) -> Response:
        return await incoming(request, f"{group}/{connector}/{owner}")

    # Webhook URLs issued since 2024 carry one more segment ("V2...").
    @router.post("/webhookb2/{group}/IncomingWebhook/{connector}/{owner}/{version}")
    async def incoming_webhook_v2(
        group: str, connector: str, owner: str, version: str, request: Request
    ) -> Response:
        return await incoming(request, f"{group}/{connector}/{owner}/{version}")

    async def workflow(request: Request, workflow_id: str) -> Response:
        body = await request.body()
        try:
            if not request.query_params.get("sig"):
                raise TeamsWebhookError(
                    401,
                    _logic_error(
                        "DirectApiAuthorizationRequired",
                        "The request must be authenticated only by Shared Access scheme.",
                    ),
                )
            payload = _json_object(request, body)
            if payload is None:
                mime = request.headers.get("content-type") or "application/octet-stream"
                raise TeamsWebhookError(
                    400,
                    _logic_error(
                        "InvalidRequestContent",
                        "The input body for trigger 'manual' of type 'Request' must be of "
                        f"type JSON, but was of type '{mime.split(';')[0]}'.",
                    ),
                )
            backend.receive("workflow", workflow_id, read_card(payload), payload)
        except TeamsWebhookError as refusal:
            return _refusal(refusal)
        return Response(b"", status_code=202)

    @router.post("/workflows/{workflow_id}/triggers/{trigger}/paths/invoke")
    async def logic_app_trigger(workflow_id: str, trigger: str, request: Request) -> Response:
        return await workflow(request, workflow_id)

    @router.post(
        "/powerautomate/automations/direct/workflows/{workflow_id}/triggers/{trigger}/paths/invoke"
    )
    async def power_platform_trigger(workflow_id: str, trigger: str, request: Request) -> Response:
        return await workflow(request, workflow_id)

    return router


def _json_object(request: Request, body: bytes) -> dict[str, Any] | None:
    mime = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if mime != "application/json":
        return None
    try:
        payload = json.loads(body)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None
    return payload if isinstance(payload, dict) else None


def _logic_error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def _refusal(refusal: TeamsWebhookError) -> Response:
    if isinstance(refusal.body, dict):
        return JSONResponse(refusal.body, status_code=refusal.status)
    return PlainTextResponse(refusal.body, status_code=refusal.status)


def teams_admin_routes(backend: TeamsBackend) -> APIRouter:
    """``GET /__admin/messages?connector=&webhook=``."""
    router = APIRouter()

    @router.get("/messages")
    def messages(connector: Connector | None = None, webhook: str | None = None) -> dict[str, Any]:
        found = backend.messages_for(connector=connector, webhook=webhook)
        return {"messages": [m.model_dump(mode="json") for m in found], "count": len(found)}

    return router
