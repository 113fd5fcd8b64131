"""Durable notifications: jobs in ``<prefix>:notify``, for staff and for operations.

Staff hear of a lead once the CRM confirms it; operations hear of a lead that needs a
person (dead-lettered, parked, a CRM conflict). Either job is written in the same
transaction that acknowledges the lead (:meth:`WorkQueue.settle`), so a crash loses
neither: the job, or at worst the lead, is reclaimed by another worker. Sending never
touches the CRM again. Each channel that went out is remembered per lead and event, so
a reclaimed or repeated job skips it: operations hear of each event once.

Delivery is at-least-once, not exactly-once: a worker that dies after a channel
accepted the message but before it recorded the channel as sent leaves the job pending,
and the worker that reclaims it sends that channel again. Receivers should tolerate a
rare duplicate (the text names the lead and its CRM record).

Job fields: ``lead_id``, ``text``, ``channels`` (JSON list still to send), and for staff
``record_url``; for operations ``audience`` = ``ops``, ``event`` (e.g. ``dead:0``: what
happened, and how many replays before) and ``subject``.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import redis.asyncio as aioredis

from reference_server._alerts import Alert
from reference_server._crm import CrmResult
from reference_server._logging import mask
from reference_server._metrics import Metrics
from reference_server._notify import Notifier, Status, record_url, summary
from reference_server._queue import LeadQueue, carried_replays
from reference_server._settings import Settings

log = logging.getLogger("reference_server.notify")
OPS = "ops"
JOB_FIELDS = ("lead_id", "record_url", "text", "audience", "event", "subject")
"""What a failed channel's record keeps, so a replay sends the same message."""


class NotificationJobs:
    def __init__(
        self,
        settings: Settings,
        redis: aioredis.Redis,
        queue: LeadQueue,
        notifier: Notifier,
        metrics: Metrics,
        operations: Notifier,
    ):
        self._settings = settings
        self._redis = redis
        self._queue = queue
        self._notifier = notifier
        self._operations = operations
        self._metrics = metrics

    def staff_job(self, lead: dict[str, Any], result: CrmResult) -> dict[str, str] | None:
        """The staff job for a written lead; None when no channel is configured."""
        channels = list(self._notifier.channels())
        if not channels:
            return None
        url = record_url(self._settings, result)
        return {
            "lead_id": str(lead.get("lead_id", "")),
            "record_url": url,
            "text": summary(lead, result, url),
            "channels": json.dumps(channels),
        }

    def alert_job(self, lead_id: str, event: str, alert: Alert) -> dict[str, str] | None:
        """The operations job for ``alert``; None when no channel is configured."""
        channels = list(self._operations.channels())
        if not channels:
            return None
        return {
            "lead_id": lead_id,
            "audience": OPS,
            "event": event,
            "subject": alert.subject,
            "text": alert.text(),
            "channels": json.dumps(channels),
        }

    async def enqueue(self, lead: dict[str, Any], result: CrmResult) -> str | None:
        """Queue the staff job on its own; its entry id (None: no channel configured)."""
        job = self.staff_job(lead, result)
        return None if job is None else await self._queue.add(self._queue.streams.notify, job)

    async def handle(self, fields: dict[str, str]) -> dict[str, Status]:
        """Send every channel not yet sent for this lead and event; record those that fail."""
        lead_id = fields.get("lead_id", "")
        ops = fields.get("audience") == OPS
        try:
            channels = [str(c) for c in json.loads(fields.get("channels", "[]"))]
        except (ValueError, TypeError):
            channels = []
        prefix = self._settings.stream_prefix
        sent_key = (
            f"{prefix}:alerted:{lead_id}:{fields.get('event', '')}"
            if ops
            else f"{prefix}:notified:{lead_id}"
        )
        already = set(await self._redis.hkeys(sent_key)) if lead_id else set()
        notifier = self._operations if ops else self._notifier
        fates = await notifier.deliver(
            fields.get("text", ""),
            [c for c in channels if c not in already],
            subject=fields.get("subject") or None,
        )
        for channel, fate in fates.items():
            if fate == "sent" and lead_id:
                await self._redis.hset(sent_key, channel, "sent")
                await self._redis.expire(sent_key, self._settings.notify_dedupe_seconds)
            else:
                self._metrics.notification_failures.labels(channel).inc()
                if fate == "refused" and not ops:
                    await self._alert_refused(lead_id, channel)
                kept = {k: fields[k] for k in JOB_FIELDS if k in fields}
                await self._queue.add(
                    self._queue.streams.notify_failed,
                    {"lead_id": lead_id, "channel": channel, "record_url": "", "text": ""}
                    | kept
                    | carried_replays(fields),
                )
        skipped: dict[str, Status] = {c: "sent" for c in channels if c in already}
        return skipped | fates

    async def _alert_refused(self, lead_id: str, channel: str) -> None:
        """Operations hear once per lead that a staff channel turned the message down."""
        reason = self._notifier.refusals.get(channel, "refused")
        alert = Alert(
            "high",
            f"The {channel} channel refused the staff notification of lead {lead_id}",
            {
                "lead_reference": lead_id,
                "channel": channel,
                "error": mask(reason),
                "after fixing it": f"flowharness leads replay notify-failed --lead {lead_id}",
            },
        )
        job = self.alert_job(lead_id, f"refused:{channel}", alert)
        if job is not None:
            await self._queue.add(self._queue.streams.notify, job)
