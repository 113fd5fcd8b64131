"""The worker: moves queued leads into the CRM, then tells staff; N CRM calls at once.

Up to ``worker_concurrency`` entries are in flight per worker. One person's leads (one
phone number) form a lane: they are written in the order they were queued, one at a
time, and a lease keeps other worker processes off that person meanwhile. Transient
CRM failures (timeouts, 5xx, 429) are retried with exponential backoff and jitter,
never sooner than the CRM's ``Retry-After``; after the budget the lead goes to the
dead-letter stream. A refused record (validation, or an e-mail another contact holds)
is parked. Either way operations get an alert with the command that brings it back
(``flowharness leads replay``), queued with the outcome so it is sent once.

A lead is acknowledged only after the CRM has answered, in the same step that queues
its staff notification (``<prefix>:notify``); entries a dead worker left pending are
taken over by the others. Notification jobs and follow-up photos
(``<prefix>:attachments``) run in the same pool. Notifications are at-least-once: a
worker that dies between sending a channel and recording it lets the next one send
that channel again.

Several worker processes, on one machine or many, share the work through one consumer
group: start as many as the CRM allows (``python -m reference_server worker``). With
``FLOWHARNESS_QUEUE=sqs`` the queues are SQS FIFO queues instead, with the same
guarantees (:mod:`reference_server._sqs_queue` says how each holds).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

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

from reference_server._alerts import Alerter
from reference_server._attachments import AttachmentJobs
from reference_server._backends import close_queue, open_queue, open_work
from reference_server._crm import CrmAdapter, CrmResult
from reference_server._hubspot import HubSpotAdapter
from reference_server._lead_jobs import LeadJobs
from reference_server._logging import log_fields
from reference_server._mapping import load_mapping
from reference_server._metrics import Metrics
from reference_server._notify import Notifier, Targets
from reference_server._notify_jobs import OPS, NotificationJobs
from reference_server._queue import LeadQueue
from reference_server._salesforce import SalesforceAdapter
from reference_server._settings import Settings
from reference_server._startup import check_redis_persistence
from reference_server._work import MIN_LEASE_MS, Delivery, Kind, Settlement, WorkQueue
from reference_server.exceptions import (
    ConfigurationError,
    CrmTransientError,
    MediaTransientError,
    QueueUnavailableError,
)

__all__ = ["Worker", "WorkerReport", "make_crm"]

log = logging.getLogger("reference_server.worker")
Sleep = Callable[[float], Awaitable[None]]
KINDS: tuple[Kind, ...] = ("lead", "notify", "attachment")
UNAVAILABLE = (RedisError, QueueUnavailableError)
"""A store the worker needs is out of reach: entries stay where they are, and it retries."""
_SETTLE_ATTEMPTS = 8  # about half a minute of Redis trouble before an entry is left pending
_SIZES_EVERY_SECONDS = 5.0
_STOP_GRACE_SECONDS = 10.0


def make_crm(settings: Settings, http: httpx.AsyncClient) -> CrmAdapter:
    """The adapter ``settings.crm`` names, with its field mapping (bundled, or the file
    ``crm_mapping_file``). The SQL adapter holds a database engine: ``aclose()`` it."""
    mapping = load_mapping(settings.crm, settings.crm_mapping_file)
    timeout = settings.crm_timeout_seconds
    if settings.crm == "sql":
        from reference_server._sql import SqlAdapter

        return SqlAdapter(
            settings.sql_url,
            mapping=mapping,
            record_url_template=settings.sql_record_url_template,
            migrate=settings.sql_migrate,
            timeout=timeout,
        )
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
    """What one :meth:`Worker.run_once` did (or, in :attr:`Worker.totals`, every run)."""

    synced: int = 0
    dead_lettered: int = 0
    parked: int = 0
    duplicates: int = 0
    """Copies of a lead already written, acknowledged without a CRM call."""
    reclaimed: int = 0
    """Entries of any consumed stream taken over from a silent consumer."""
    notifications_sent: int = 0
    notifications_failed: int = 0
    alerts_sent: int = 0
    alerts_failed: int = 0
    attached: int = 0
    attachments_failed: int = 0
    errors: int = 0
    """Entries left pending after an unexpected failure (retried once reclaimed)."""

    @property
    def handled(self) -> int:
        return self.synced + self.dead_lettered + self.parked + self.duplicates


class Worker:
    """Drives leads from ``<prefix>:incoming`` into the CRM: :meth:`run_forever` keeps
    ``worker_concurrency`` entries in flight; :meth:`run_once` handles one round."""

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
        work: WorkQueue | None = None,
        queue: LeadQueue | None = None,
    ):
        self.settings = settings
        # SQS: its long poll (the worker's blocking read) lengthens its read timeout
        wait = -(-settings.worker_block_ms // 1000)
        self.queue = (
            queue
            if queue is not None
            else open_queue(settings, redis, wait_seconds=wait, attempts=3)
        )
        self._owns_queue = queue is None
        self._redis = redis
        self._http = http or httpx.AsyncClient()
        self._owns_http = http is None
        self._owns_crm = crm is None
        self.crm = crm or make_crm(settings, self._http)
        self.alerter = alerter or Alerter(settings, self._http)
        self.metrics = metrics or Metrics()
        self._sleep = sleep
        self.notifier = notifier or Notifier(settings, self._http, sleep=sleep)
        self.notify_jobs = NotificationJobs(
            settings,
            redis,
            self.queue,
            self.notifier,
            self.metrics,
            self.notifier.for_targets(Targets.operations(settings)),
        )
        self.attachment_jobs = AttachmentJobs(
            settings, self._http, self.crm, self.queue, self._retrying
        )
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{id(self):x}"
        self._lease_ms = max(settings.reclaim_min_idle_ms, MIN_LEASE_MS)
        self.work: WorkQueue = work or open_work(
            self.queue,
            redis,
            self.consumer,
            reclaim_min_idle_ms=settings.reclaim_min_idle_ms,
            lease_ms=self._lease_ms,
        )
        self.lead_jobs = LeadJobs(
            settings,
            self.crm,
            self.work,
            self.notify_jobs,
            self.alerter,
            self.metrics,
            self._retrying,
            self._settle,
        )
        self._stopped = asyncio.Event()
        self._in_flight: dict[str, Delivery] = {}
        self._lanes: dict[str, asyncio.Task[None]] = {}
        self._sizes_at = 0.0
        self.totals = WorkerReport()
        """Everything :meth:`run_forever` did so far."""
        self.started = asyncio.Event()
        """Set once :meth:`run_forever` passed its start-up checks and takes work."""
        self.notifications: dict[str, dict[str, str]] = {}
        """Each staff notification channel's fate ("sent"/"failed") by lead id."""

    @property
    def results(self) -> dict[str, CrmResult]:
        """CRM results by lead id (for tests and the scenario runner in-process)."""
        return self.lead_jobs.results

    def stop(self) -> None:
        """Ask :meth:`run_forever` to return once the entries in flight are done (those
        still running after 10 s are left pending, for another worker to take over)."""
        self._stopped.set()

    # -- running ---------------------------------------------------------------------

    async def run_forever(self) -> None:
        """Check the set-up, then keep up to ``worker_concurrency`` entries in flight
        until :meth:`stop`. A wrong setting (Redis without persistence) raises
        :class:`ConfigurationError`; anything else is logged and retried."""
        self._stopped.clear()
        try:
            await self._start_up()
            self.started.set()
            log.info(
                "worker started",
                extra=log_fields(
                    consumer=self.consumer, concurrency=self.settings.worker_concurrency
                ),
            )
            async with self._keeping_alive():
                await self._pump()
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Close what the worker opened itself: its HTTP client, its CRM's connections,
        its queue backend."""
        close = getattr(self.crm, "aclose", None)
        if self._owns_crm and close is not None:
            await close()
        if self._owns_http:
            await self._http.aclose()
        if self._owns_queue:
            await close_queue(self.queue)

    async def run_once(self, *, block_ms: int | None = None) -> WorkerReport:
        """One round: take up to ``worker_concurrency`` entries (reclaimed ones first,
        else new ones, waiting up to ``block_ms``) and handle them all at once, then the
        notification and alert jobs their outcomes queued."""
        report = WorkerReport()
        await self.work.prepare()
        async with self._keeping_alive():
            await self._round(KINDS, block_ms, report)
            if report.synced or report.parked or report.dead_lettered:
                await self._round(("notify",), None, report)
        await self._update_sizes()
        return report

    async def _round(
        self, kinds: tuple[Kind, ...], block_ms: int | None, report: WorkerReport
    ) -> None:
        taken = await self.work.take(
            self.settings.worker_concurrency, block_ms, kinds=kinds, skip=set(self._in_flight)
        )
        report.reclaimed += taken.reclaimed
        tasks = [self._launch(delivery, report) for delivery in taken.deliveries]
        for outcome in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(outcome, BaseException) and not isinstance(outcome, Exception):
                raise outcome  # the process is going down (a crash in tests): let it

    async def _start_up(self) -> None:
        while not self._stopped.is_set():
            try:
                await check_redis_persistence(self._redis, self.settings)
                await self.work.prepare()
                break
            except UNAVAILABLE as exc:
                log.error(f"worker cannot reach {_store(exc)}", extra=log_fields(error=str(exc)))
                await asyncio.sleep(1.0)
        probe = getattr(self.crm, "probe", None)
        try:
            problem = await probe() if probe is not None else None
        except Exception as exc:  # a check that fails must not stop the worker
            problem = f"the check itself failed ({type(exc).__name__})"
        if problem:
            log.warning(
                f"CRM check at start-up failed: {problem}; leads wait in the queue and are "
                "retried until it answers",
                extra=log_fields(crm=self.crm.name),
            )

    async def _pump(self) -> None:
        running: set[asyncio.Task[None]] = set()
        while not self._stopped.is_set():
            free = self.settings.worker_concurrency - len(self._in_flight)
            if free <= 0 and running:
                await asyncio.wait(running, timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
                continue
            try:
                taken = await self.work.take(
                    free, self.settings.worker_block_ms, kinds=KINDS, skip=set(self._in_flight)
                )
                if time.monotonic() - self._sizes_at > _SIZES_EVERY_SECONDS:
                    await self._update_sizes()
            except UNAVAILABLE as exc:
                log.error(f"worker cannot reach {_store(exc)}", extra=log_fields(error=str(exc)))
                await asyncio.sleep(1.0)
                continue
            except Exception as exc:  # never die silently: log it and go on
                log.exception("worker loop failed", extra=log_fields(error=type(exc).__name__))
                await asyncio.sleep(1.0)
                continue
            self.totals.reclaimed += taken.reclaimed
            for delivery in taken.deliveries:
                task = self._launch(delivery, self.totals)
                running.add(task)
                task.add_done_callback(running.discard)
        if running:  # stopping: finish what was taken, or leave it for another worker
            _, unfinished = await asyncio.wait(running, timeout=_STOP_GRACE_SECONDS)
            for task in unfinished:  # mid-call or between retries: like a crash, it is
                task.cancel()  # reclaimed later, and the upsert keyed by phone repeats safely
            await asyncio.gather(*running, return_exceptions=True)

    # -- one entry -------------------------------------------------------------------

    def _launch(self, delivery: Delivery, report: WorkerReport) -> asyncio.Task[None]:
        """Run ``delivery`` after the entries of its lane that came before it."""
        lane = _lane(delivery)
        before = self._lanes.get(lane)
        task = asyncio.create_task(self._in_lane(before, delivery, report))
        self._lanes[lane] = task
        self._in_flight[delivery.id] = delivery

        def landed(done: asyncio.Task[None]) -> None:
            self._in_flight.pop(delivery.id, None)
            if self._lanes.get(lane) is done:
                del self._lanes[lane]

        task.add_done_callback(landed)
        return task

    async def _in_lane(
        self, before: asyncio.Task[None] | None, delivery: Delivery, report: WorkerReport
    ) -> None:
        if before is not None:
            await asyncio.wait([before])
        try:
            await self._handle(delivery, report)
        except UNAVAILABLE as exc:
            report.errors += 1
            log.error(
                f"{_store(exc)} failed while handling an entry: it stays pending and is retried",
                extra=log_fields(entry=delivery.id, kind=delivery.kind, error=str(exc)),
            )
        except Exception as exc:  # a bug: logged, and the lead held for a person
            report.errors += 1
            log.exception(
                "entry failed unexpectedly",
                extra=log_fields(entry=delivery.id, kind=delivery.kind, error=type(exc).__name__),
            )
            if delivery.kind == "lead":
                with contextlib.suppress(Exception):
                    await self.lead_jobs.fail(delivery, exc)
                    report.dead_lettered += 1

    async def _handle(self, delivery: Delivery, report: WorkerReport) -> None:
        fields = delivery.fields
        if delivery.kind == "lead":
            outcome = await self.lead_jobs.handle(delivery)
            setattr(report, outcome, getattr(report, outcome) + 1)
        elif delivery.kind == "notify":
            fates = await self.notify_jobs.handle(fields)
            sent = sum(f == "sent" for f in fates.values())
            failed = sum(f != "sent" for f in fates.values())
            if fields.get("audience") == OPS:
                report.alerts_sent += sent
                report.alerts_failed += failed
            else:
                self.notifications.setdefault(fields.get("lead_id", "?"), {}).update(fates)
                report.notifications_sent += sent
                report.notifications_failed += failed
            await self._settle(delivery, Settlement())
        else:
            if await self.attachment_jobs.handle(fields) == "attached":
                report.attached += 1
            else:
                report.attachments_failed += 1
            await self._settle(delivery, Settlement())

    async def _settle(self, delivery: Delivery, settlement: Settlement) -> list[str]:
        """Settle, riding out a short Redis hiccup; after that the entry stays pending."""
        for attempt in range(_SETTLE_ATTEMPTS):
            try:
                return await self.work.settle(delivery, settlement)
            except UNAVAILABLE as exc:
                if attempt == _SETTLE_ATTEMPTS - 1:
                    raise
                log.warning(
                    f"{_store(exc)} failed while settling an entry: retrying",
                    extra=log_fields(entry=delivery.id, error=str(exc)),
                )
                await asyncio.sleep(min(0.25 * 2**attempt, 8.0))
        raise AssertionError("unreachable")

    @contextlib.asynccontextmanager
    async def _keeping_alive(self) -> AsyncIterator[None]:
        """Renew the entries (and leases) in flight, so no other worker takes them over."""

        async def beat() -> None:
            while True:
                await asyncio.sleep(self._lease_ms / 3000)
                if not self._in_flight:
                    continue
                try:
                    await self.work.keep(list(self._in_flight.values()))
                except UNAVAILABLE as exc:
                    log.warning("entries in flight not renewed", extra=log_fields(error=str(exc)))

        task = asyncio.create_task(beat())
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _update_sizes(self) -> None:
        self._sizes_at = time.monotonic()
        with contextlib.suppress(*UNAVAILABLE):
            self.metrics.set_sizes(await self.queue.sizes())

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


def _store(error: BaseException) -> str:
    """Which store failed, for messages."""
    return "Redis" if isinstance(error, RedisError) else "SQS"


def _lane(delivery: Delivery) -> str:
    """Entries of one lane run one after the other: a person's leads and photos share
    their phone number's lane, a lead's notification jobs share the lead's."""
    fields = delivery.fields
    if delivery.kind == "notify":
        return f"notify:{fields.get('lead_id') or delivery.id}"
    phone = fields.get("phone")
    if delivery.kind == "lead":
        try:
            phone = json.loads(fields.get("lead", ""))["phone"]
        except (ValueError, KeyError, TypeError):
            phone = None
    return f"phone:{phone}" if isinstance(phone, str) and phone else f"entry:{delivery.id}"
