"""The worker: reads leads from the Redis Stream and upserts them in the CRM.

Transient failures (timeouts, 5xx, 429) are retried with exponential backoff and
jitter, never sooner than the CRM's ``Retry-After``; after the budget the lead goes
to the dead-letter stream with the reason. A CRM validation error is not retried:
the lead is parked and operations are alerted. Entries a crashed worker left
pending are reclaimed with ``XAUTOCLAIM``. Held entries stay until an operator puts
them back (:func:`reference_server.replay`, ``flowharness leads replay``).

Once the CRM confirms, the worker queues a notification job (``<prefix>:notify``)
before acknowledging the lead, and handles those jobs and follow-up photos
(``<prefix>:attachments``) from the same loop. Notifications are at-least-once: a
worker that dies between sending a channel and recording it lets the next one send
that channel again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import redis.asyncio as aioredis
from redis.exceptions import RedisError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from reference_server._alerts import Alert, Alerter
from reference_server._attachments import AttachmentJobs
from reference_server._crm import CrmAdapter, CrmResult
from reference_server._hubspot import HubSpotAdapter
from reference_server._logging import mask
from reference_server._mapping import load_mapping
from reference_server._metrics import Metrics
from reference_server._notify import Notifier
from reference_server._notify_jobs import NotificationJobs
from reference_server._queue import CONSUMER_GROUP, LeadQueue, replay_count
from reference_server._salesforce import SalesforceAdapter
from reference_server._settings import Settings
from reference_server.exceptions import (
    ConfigurationError,
    CrmError,
    CrmTransientError,
    CrmValidationError,
    MediaTransientError,
)

__all__ = ["Worker", "WorkerReport", "make_crm"]

log = logging.getLogger("reference_server.worker")
Sleep = Callable[[float], Awaitable[None]]


def make_crm(settings: Settings, http: httpx.AsyncClient) -> CrmAdapter:
    """The adapter ``settings.crm`` names, with its bundled field mapping."""
    mapping = load_mapping(settings.crm)
    timeout = settings.crm_timeout_seconds
    if settings.crm == "hubspot":
        if settings.hubspot_token is None:
            raise ConfigurationError("FLOWHARNESS_HUBSPOT_TOKEN is required for the HubSpot CRM")
        return HubSpotAdapter(
            http,
            base_url=settings.hubspot_base_url,
            token=settings.hubspot_token.get_secret_value(),
            mapping=mapping,
            id_property=settings.hubspot_id_property,
            timeout=timeout,
        )
    if not settings.salesforce_client_id or settings.salesforce_client_secret is None:
        raise ConfigurationError(
            "FLOWHARNESS_SALESFORCE_CLIENT_ID and FLOWHARNESS_SALESFORCE_CLIENT_SECRET are required"
        )
    password = settings.salesforce_password
    return SalesforceAdapter(
        http,
        login_url=settings.salesforce_login_url,
        client_id=settings.salesforce_client_id,
        client_secret=settings.salesforce_client_secret.get_secret_value(),
        username=settings.salesforce_username,
        password=password.get_secret_value() if password else None,
        api_version=settings.salesforce_api_version,
        external_id_field=settings.salesforce_external_id_field,
        instance_url=settings.salesforce_instance_url,
        mapping=mapping,
        timeout=timeout,
    )


@dataclass
class WorkerReport:
    """What one :meth:`Worker.run_once` did."""

    synced: int = 0
    dead_lettered: int = 0
    parked: int = 0
    reclaimed: int = 0
    """Entries of any consumed stream taken over from a silent consumer."""
    notifications_sent: int = 0
    notifications_failed: int = 0
    attached: int = 0
    attachments_failed: int = 0

    @property
    def handled(self) -> int:
        return self.synced + self.dead_lettered + self.parked


class Worker:
    """Drives leads from ``<prefix>:incoming`` into the CRM, one batch per :meth:`run_once`."""

    def __init__(
        self,
        settings: Settings,
        redis: aioredis.Redis,
        *,
        crm: CrmAdapter | None = None,
        alerter: Alerter | None = None,
        metrics: Metrics | None = None,
        http: httpx.AsyncClient | None = None,
        sleep: Sleep = asyncio.sleep,
        consumer: str | None = None,
        notifier: Notifier | None = None,
    ):
        self.settings = settings
        self.queue = LeadQueue(redis, settings.stream_prefix)
        self._redis = redis
        self._http = http or httpx.AsyncClient()
        self._owns_http = http is None
        self.crm = crm or make_crm(settings, self._http)
        self.alerter = alerter or Alerter(settings, self._http)
        self.metrics = metrics or Metrics()
        self._sleep = sleep
        self.notifier = notifier or Notifier(settings, self._http, sleep=sleep)
        self.notify_jobs = NotificationJobs(
            settings, redis, self.queue, self.notifier, self.metrics
        )
        self.attachment_jobs = AttachmentJobs(
            settings, self._http, self.crm, self.queue, self._retrying
        )
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{id(self):x}"
        self._stopped = asyncio.Event()
        self.results: dict[str, CrmResult] = {}
        """CRM results by lead id (for tests and the scenario runner in-process)."""
        self.notifications: dict[str, dict[str, str]] = {}
        """Each notification channel's fate ("sent"/"failed") by lead id."""

    def stop(self) -> None:
        """Ask :meth:`run_forever` to return after the current batch."""
        self._stopped.set()

    async def run_forever(self) -> None:
        self._stopped.clear()
        while not self._stopped.is_set():
            try:
                await self.run_once(block_ms=self.settings.worker_block_ms)
            except RedisError as exc:
                log.error("worker cannot reach Redis: %s", exc)
                await self._sleep(1.0)
        if self._owns_http:
            await self._http.aclose()

    async def run_once(self, *, block_ms: int | None = None) -> WorkerReport:
        """Reclaim stale pending entries or read new ones (waiting up to ``block_ms``), handle
        them: leads first, then notification jobs (also those just queued), then photos."""
        report = WorkerReport()
        await self.queue.ensure_group()
        streams = self.queue.streams
        batch = await self._take(streams.consumed(), block_ms, report)
        for entry_id, fields in batch[streams.incoming]:
            outcome = await self._handle(fields)
            setattr(report, outcome, getattr(report, outcome) + 1)
            await self._done(streams.incoming, entry_id)
        jobs = batch[streams.notify]
        if report.synced:
            jobs += (await self._take((streams.notify,), None, report))[streams.notify]
        for entry_id, fields in jobs:
            fates = await self.notify_jobs.handle(fields)
            self.notifications.setdefault(fields.get("lead_id", "?"), {}).update(fates)
            report.notifications_sent += sum(f == "sent" for f in fates.values())
            report.notifications_failed += sum(f == "failed" for f in fates.values())
            await self._done(streams.notify, entry_id)
        for entry_id, fields in batch[streams.attachments]:
            if await self.attachment_jobs.handle(fields) == "attached":
                report.attached += 1
            else:
                report.attachments_failed += 1
            await self._done(streams.attachments, entry_id)
        self.metrics.set_sizes(await self.queue.sizes())
        return report

    async def _take(
        self, streams: tuple[str, ...], block_ms: int | None, report: WorkerReport
    ) -> dict[str, list[tuple[str, dict[str, str]]]]:
        """Entries idle past ``reclaim_min_idle_ms`` first; only if none, new ones."""
        found: dict[str, list[tuple[str, dict[str, str]]]] = {s: [] for s in streams}
        for stream in streams:
            claimed: Any = await self._redis.xautoclaim(
                stream,
                CONSUMER_GROUP,
                self.consumer,
                min_idle_time=self.settings.reclaim_min_idle_ms,
                start_id="0-0",
                count=self.settings.worker_batch_size,
            )
            found[stream] = [(eid, fields) for eid, fields in claimed[1] if fields]
            report.reclaimed += len(found[stream])
        if any(found.values()):
            return found
        read: Any = await self._redis.xreadgroup(
            CONSUMER_GROUP,
            self.consumer,
            dict.fromkeys(streams, ">"),
            count=self.settings.worker_batch_size,
            block=block_ms,
        )
        for stream, entries in read or []:
            found[stream] = list(entries)
        return found

    async def _done(self, stream: str, entry_id: str) -> None:
        await self._redis.xack(stream, CONSUMER_GROUP, entry_id)
        await self._redis.xdel(stream, entry_id)

    async def _handle(self, fields: dict[str, str]) -> str:
        lead_json = fields.get("lead", "")
        lead_id = fields.get("lead_id", "?")
        replays = replay_count(fields)  # a replayed lead that fails again keeps its count
        try:
            lead: dict[str, Any] = json.loads(lead_json)
            if not lead["phone"]:
                raise ValueError("the lead has no phone number")
        except (ValueError, KeyError, TypeError) as exc:
            await self.queue.dead_letter(
                lead_id,
                lead_json,
                reason="malformed_entry",
                error=str(exc),
                attempts=0,
                replays=replays,
            )
            return "dead_lettered"
        attempts = 0
        try:
            async for attempt in self._retrying():
                with attempt:
                    attempts += 1
                    result = await self._upsert(lead)
        except CrmValidationError as exc:
            await self.queue.park(
                lead_id, lead_json, error=mask(str(exc)), errors=exc.errors, replays=replays
            )
            await self.alerter.send(
                Alert(
                    "high",
                    f"{self.crm.name} rejected lead {lead_id}: it is parked for review",
                    {
                        "lead_reference": lead_id,
                        "error": mask(str(exc)),
                        "fields": json.dumps(
                            [{**e, "message": mask(e.get("message", ""))} for e in exc.errors]
                        ),
                    },
                )
            )
            log.warning("lead parked after a CRM validation error", extra={"lead_id": lead_id})
            return "parked"
        except CrmError as exc:
            reason = "retry_budget_exhausted" if isinstance(exc, CrmTransientError) else exc.reason
            await self.queue.dead_letter(
                lead_id,
                lead_json,
                reason=reason,
                error=mask(str(exc)),
                attempts=attempts,
                replays=replays,
            )
            log.error("lead dead-lettered", extra={"lead_id": lead_id, "reason": reason})
            return "dead_lettered"
        self.results[lead_id] = result
        self.metrics.leads_synced.inc()
        log.info("lead written to the CRM", extra={"lead_id": lead_id, "created": result.created})
        # durable before the lead is acknowledged: a crash from here on loses nothing
        await self.notify_jobs.enqueue(lead, result)
        return "synced"

    async def _upsert(self, lead: dict[str, Any]) -> CrmResult:
        try:
            return await self.crm.upsert(lead)
        except CrmError as exc:
            self.metrics.crm_errors.labels(exc.reason).inc()
            raise

    def _retrying(self) -> AsyncRetrying:
        s = self.settings
        backoff = wait_exponential(
            multiplier=s.retry_base_delay_seconds, max=s.retry_max_delay_seconds
        ) + wait_random(0, s.retry_base_delay_seconds)

        def wait(state: RetryCallState) -> float:
            delay = backoff(state)
            error = state.outcome.exception() if state.outcome else None
            if isinstance(error, CrmTransientError) and error.retry_after is not None:
                return max(delay, error.retry_after)  # never sooner than the CRM asked
            return delay

        return AsyncRetrying(
            stop=stop_after_attempt(s.retry_max_attempts),
            wait=wait,
            retry=retry_if_exception_type((CrmTransientError, MediaTransientError)),
            sleep=self._sleep,
            reraise=True,
        )
