"""The completion webhook: verification, signed deliveries, deduplication (docs/protocol.md).

A completed flow (``nfm_reply``) is recorded in ``<prefix>:completions``; a photo the
person sends afterwards is linked to their latest lead and queued for the worker
(``<prefix>:attachments``, or the SQS attachments queue).
Meta retries deliveries for up to 36 h, so each message id is handled once.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

import redis.asyncio as aioredis
from fastapi import Request, Response
from redis.exceptions import RedisError

from harness.crypto import SIGNATURE_HEADER, verify_signature
from reference_server._logging import log_fields
from reference_server._queue import LeadQueue, now_iso
from reference_server._settings import Settings
from reference_server._tokens import FlowTokens
from reference_server.exceptions import FlowTokenError, QueueUnavailableError

log = logging.getLogger("reference_server.webhook")
_LAST_LEAD_SECONDS = 24 * 3600  # a follow-up photo within a day belongs to the lead


class CompletionWebhook:
    def __init__(
        self,
        settings: Settings,
        redis: aioredis.Redis,
        tokens: FlowTokens,
        queue: LeadQueue | None = None,
    ):
        self._settings = settings
        self._redis = redis
        self._tokens = tokens
        self._prefix = settings.stream_prefix
        self._queue = queue if queue is not None else LeadQueue(redis, self._prefix)

    async def verify(self, request: Request) -> Response:
        """``GET /webhook``: echo ``hub.challenge`` when ``hub.verify_token`` matches."""
        params = request.query_params
        expected = self._settings.webhook_verify_token
        given = params.get("hub.verify_token", "")
        if (
            params.get("hub.mode") == "subscribe"
            and expected is not None
            # as bytes: compare_digest raises on non-ASCII str, and any wrong token is a 403
            and hmac.compare_digest(given.encode(), expected.get_secret_value().encode())
        ):
            return Response(params.get("hub.challenge", ""), media_type="text/plain")
        return Response("verification failed", status_code=403, media_type="text/plain")

    async def receive(self, request: Request) -> Response:
        """``POST /webhook``: check the signature, then handle each new message once.

        While Redis is down the answer is 503: Meta retries deliveries for 36 hours."""
        try:
            return await self._receive(request)
        except (RedisError, QueueUnavailableError) as exc:
            log.warning(
                "webhook delivery refused: storage is down", extra=log_fields(error=str(exc))
            )
            return Response("storage unavailable; retry later", status_code=503)

    async def _receive(self, request: Request) -> Response:
        body = await request.body()
        secrets = self._settings.app_secret_values()
        if verify_signature(body, request.headers.get(SIGNATURE_HEADER), secrets) is None:
            return Response("bad signature", status_code=403, media_type="text/plain")
        try:
            notification = json.loads(body)
            messages = [
                (message, change.get("value", {}))
                for entry in notification.get("entry", [])
                for change in entry.get("changes", [])
                for message in change.get("value", {}).get("messages", []) or []
            ]
        except (ValueError, AttributeError, TypeError):
            return Response("not a WhatsApp notification", status_code=400, media_type="text/plain")
        for message, _value in messages:
            if isinstance(message, dict) and await self._first_delivery(message):
                try:
                    await self._handle(message)
                except BaseException:
                    # unmark it, or Meta's retry of this failed (500) delivery is dropped as seen
                    await self._forget_delivery(message)
                    raise
        return Response('{"status":"ok"}', media_type="application/json")

    async def _first_delivery(self, message: dict[str, Any]) -> bool:
        message_id = str(message.get("id", ""))
        if not message_id:
            return True
        key = f"{self._prefix}:webhook:seen:{message_id}"
        ttl = self._settings.webhook_dedupe_seconds
        return bool(await self._redis.set(key, "1", nx=True, ex=ttl))

    async def _forget_delivery(self, message: dict[str, Any]) -> None:
        message_id = str(message.get("id", ""))
        if message_id:
            await self._redis.delete(f"{self._prefix}:webhook:seen:{message_id}")

    async def _handle(self, message: dict[str, Any]) -> None:
        sender = "+" + str(message.get("from", "")).lstrip("+")
        interactive = message.get("interactive") or {}
        if message.get("type") == "interactive" and interactive.get("type") == "nfm_reply":
            await self._completion(message, sender, interactive.get("nfm_reply") or {})
        elif message.get("type") == "image":
            await self._photo(message, sender, message.get("image") or {})

    async def _completion(
        self, message: dict[str, Any], sender: str, reply: dict[str, Any]
    ) -> None:
        try:
            response = json.loads(reply.get("response_json") or "{}")
            claims = self._tokens.verify(response.get("flow_token"), check_expiry=False)
        except (ValueError, AttributeError, FlowTokenError) as exc:
            log.warning(
                "flow completion without a valid flow token", extra=log_fields(error=str(exc))
            )
            return
        reference = str(response.get("lead_reference", ""))
        await self._redis.xadd(
            f"{self._prefix}:completions",
            {
                "wamid": str(message.get("id", "")),
                "context_id": str((message.get("context") or {}).get("id", "")),
                "phone": claims.phone,
                "flow_id": claims.flow_id,
                "lead_reference": reference,
                "response_json": json.dumps(response, ensure_ascii=False),
                "at": now_iso(),
            },
        )
        if reference:
            await self._redis.set(
                f"{self._prefix}:webhook:last_lead:{claims.phone}", reference, ex=_LAST_LEAD_SECONDS
            )

    async def _photo(self, message: dict[str, Any], sender: str, image: dict[str, Any]) -> None:
        reference = await self._redis.get(f"{self._prefix}:webhook:last_lead:{sender}")
        if not reference:
            log.info("photo from someone without a recent lead: ignored")
            return
        await self._queue.add(
            self._queue.streams.attachments,
            {
                "lead_reference": str(reference),
                "phone": sender,
                "wamid": str(message.get("id", "")),
                "media_id": str(image.get("id", "")),
                "mime_type": str(image.get("mime_type", "")),
                "sha256": str(image.get("sha256", "")),
            },
        )
