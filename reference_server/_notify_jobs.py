"""Durable notifications: a job in ``<prefix>:notify`` once the CRM confirms a lead.

The worker writes the job before it acknowledges the lead, so a crash between the CRM
write and the notifications loses nothing: the job (or, at worst, the lead) is
reclaimed by another worker. Sending never touches the CRM again. Each channel that
went out is remembered per lead, so a reclaimed or repeated job skips it.

Delivery is at-least-once, not exactly-once: a worker that dies after a channel
accepted the message but before it recorded the channel as sent leaves the job pending,
and the worker that reclaims it sends that channel again. Receivers should tolerate a
rare duplicate (the text names the lead and its CRM record).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import redis.asyncio as aioredis

from reference_server._crm import CrmResult
from reference_server._metrics import Metrics
from reference_server._notify import Notifier, Status, record_url, summary
from reference_server._queue import LeadQueue, carried_replays
from reference_server._settings import Settings

log = logging.getLogger("reference_server.notify")


class NotificationJobs:
    def __init__(
        self,
        settings: Settings,
        redis: aioredis.Redis,
        queue: LeadQueue,
        notifier: Notifier,
        metrics: Metrics,
    ):
        self._settings = settings
        self._redis = redis
        self._queue = queue
        self._notifier = notifier
        self._metrics = metrics

    async def enqueue(self, lead: dict[str, Any], result: CrmResult) -> str | None:
        """The job's entry id; None when no channel is configured."""
        channels = list(self._notifier.channels())
        if not channels:
            return None
        url = record_url(self._settings, result)
        fields = {
            "lead_id": str(lead.get("lead_id", "")),
            "record_url": url,
            "text": summary(lead, result, url),
            "channels": json.dumps(channels),
        }
        return await self._queue.add(self._queue.streams.notify, fields)

    async def handle(self, fields: dict[str, str]) -> dict[str, Status]:
        """Send every channel not yet sent for this lead; record those that still fail."""
        lead_id = fields.get("lead_id", "")
        try:
            channels = [str(c) for c in json.loads(fields.get("channels", "[]"))]
        except (ValueError, TypeError):
            channels = []
        sent_key = f"{self._settings.stream_prefix}:notified:{lead_id}"
        already = set(await self._redis.hkeys(sent_key)) if lead_id else set()
        fates = await self._notifier.deliver(
            fields.get("text", ""), [c for c in channels if c not in already]
        )
        for channel, fate in fates.items():
            if fate == "sent" and lead_id:
                await self._redis.hset(sent_key, channel, "sent")
                await self._redis.expire(sent_key, self._settings.notify_dedupe_seconds)
            elif fate == "failed":
                self._metrics.notification_failures.labels(channel).inc()
                await self._queue.add(
                    self._queue.streams.notify_failed,
                    {
                        "lead_id": lead_id,
                        "channel": channel,
                        "record_url": fields.get("record_url", ""),
                        "text": fields.get("text", ""),
                    }
                    | carried_replays(fields),
                )
        skipped: dict[str, Status] = {c: "sent" for c in channels if c in already}
        return skipped | fates
