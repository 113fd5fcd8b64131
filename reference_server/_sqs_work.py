"""The worker's queue on SQS: :class:`reference_server._work.WorkQueue` over FIFO queues.

Every worker process receives from the same queues; SQS hands each entry to one of them
and hides it for the visibility timeout, which the worker renews while it works
(``ChangeMessageVisibility``). Settling sends the follow-ups, marks the entry settled
(and the lead written) in Redis, then deletes it: why that order loses nothing, and what
a crash can repeat, is in :mod:`reference_server._sqs_queue`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import uuid
from collections.abc import AsyncIterator, Iterable
from typing import Any

import redis.asyncio as aioredis

from reference_server._logging import log_fields
from reference_server._queue import now_iso
from reference_server._sqs_client import MAX_WAIT_SECONDS, Label
from reference_server._sqs_queue import SqsLeadQueue, decode
from reference_server._stream_work import WRITTEN_TTL_SECONDS
from reference_server._work import Delivery, Kind, Settlement, Taken
from reference_server.exceptions import QueueUnavailableError

__all__ = ["SqsWork"]

log = logging.getLogger("reference_server.worker")
_LABELS: dict[Kind, Label] = {"lead": "incoming", "notify": "notify", "attachment": "attachments"}
_BATCH = 10  # SQS's most per receive and per batch call
_ATTRIBUTES = ["ApproximateReceiveCount", "SentTimestamp"]


class SqsWork:
    """:class:`reference_server._work.WorkQueue` on SQS FIFO queues."""

    def __init__(self, redis: aioredis.Redis, queue: SqsLeadQueue, consumer: str):
        self._redis = redis
        self._queue = queue
        self._sqs = queue.sqs
        self.consumer = consumer
        self._receipts: dict[str, str] = {}
        """Entry id -> the receipt handle of its latest receive (SQS wants the latest)."""

    async def prepare(self) -> None:
        await self._queue.ensure_group()

    async def take(
        self, count: int, block_ms: int | None, *, kinds: Iterable[Kind], skip: set[str]
    ) -> Taken:
        kinds = list(kinds)
        found: list[Delivery] = []
        for kind in kinds:  # what is there now, in every queue
            if len(found) < count:
                found += await self._receive(kind, count - len(found), 0, skip)
        if not found and block_ms:  # then wait for leads (SQS long-polls one queue a call)
            wait = min(math.ceil(block_ms / 1000), MAX_WAIT_SECONDS)
            found = await self._receive(kinds[0], count, wait, skip)
        return Taken(found, sum(1 for d in found if d.received > 1))

    async def _receive(self, kind: Kind, count: int, wait: int, skip: set[str]) -> list[Delivery]:
        label = _LABELS[kind]
        url = await self._sqs.url(label)
        result = await self._sqs.call(
            "receive_message",
            QueueUrl=url,
            MaxNumberOfMessages=min(count, _BATCH),
            VisibilityTimeout=self._sqs.visibility,
            WaitTimeSeconds=wait,
            MessageSystemAttributeNames=_ATTRIBUTES,
            # a receive retried after a lost answer gets the same entries back
            ReceiveRequestAttemptId=uuid.uuid4().hex,
        )
        messages: list[dict[str, Any]] = result.get("Messages", [])
        for message in messages:
            self._receipts[message["MessageId"]] = message["ReceiptHandle"]
        fresh = [m for m in messages if m["MessageId"] not in skip]  # ours already: renewed
        settled = await self._settled([m["MessageId"] for m in fresh])
        limit = self._sqs.facts[label].max_receive_count
        deliveries = []
        for message in fresh:
            entry_id = message["MessageId"]
            if entry_id in settled:  # a worker died between settling and deleting it
                log.info("entry settled before a crash: deleted", extra=log_fields(entry=entry_id))
                await self._delete(label, entry_id)
                continue
            received = int(message.get("Attributes", {}).get("ApproximateReceiveCount", 1))
            final = limit is not None and received >= limit
            deliveries.append(Delivery(kind, entry_id, decode(message["Body"]), received, final))
        return deliveries

    async def _settled(self, ids: list[str]) -> set[str]:
        if not ids:
            return set()
        marks = await self._redis.mget([self._mark("settled", i) for i in ids])
        return {i for i, mark in zip(ids, marks, strict=True) if mark}

    async def keep(self, deliveries: Iterable[Delivery]) -> None:
        by_label: dict[Label, list[str]] = {}
        for delivery in deliveries:
            if delivery.id in self._receipts:
                by_label.setdefault(_LABELS[delivery.kind], []).append(delivery.id)
        for label, ids in by_label.items():
            url = await self._sqs.url(label)
            for start in range(0, len(ids), _BATCH):
                entries = [
                    {
                        "Id": str(n),
                        "ReceiptHandle": self._receipts[entry_id],
                        "VisibilityTimeout": self._sqs.visibility,
                    }
                    for n, entry_id in enumerate(ids[start : start + _BATCH])
                ]
                result = await self._sqs.call(
                    "change_message_visibility_batch", QueueUrl=url, Entries=entries
                )
                for failed in result.get("Failed", []):  # settled meanwhile, or lost to a lapse
                    log.debug("entry not renewed", extra=log_fields(error=failed.get("Code")))

    async def settle(self, delivery: Delivery, settlement: Settlement) -> list[str]:
        # in this order, so that a crash between two steps repeats, never loses
        added = await self._send_follow_ups(delivery, settlement)
        if settlement.add or settlement.written_lead:
            await self._mark_settled(delivery, settlement)
        await self._delete(_LABELS[delivery.kind], delivery.id)
        return added

    async def _send_follow_ups(self, delivery: Delivery, settlement: Settlement) -> list[str]:
        """Send what the outcome adds; sent again after a crash, the same deduplication
        ids make SQS drop the copies (within its 5-minute interval)."""
        return [
            await self._queue.send(
                outbox,  # the outboxes are queue labels
                {**fields, "at": now_iso()},
                dedup=f"{delivery.id}:{outbox}:{n}",
            )
            for n, (outbox, fields) in enumerate(settlement.add)
        ]

    async def _mark_settled(self, delivery: Delivery, settlement: Settlement) -> None:
        """The "written" mark and the entry's "settled" mark, in one transaction."""
        async with self._redis.pipeline(transaction=True) as pipe:
            if settlement.written_lead:
                pipe.set(self._written(settlement.written_lead), "1", ex=WRITTEN_TTL_SECONDS)
            pipe.set(self._mark("settled", delivery.id), "1", ex=WRITTEN_TTL_SECONDS)
            await pipe.execute()

    async def _delete(self, label: Label, entry_id: str) -> None:
        receipt = self._receipts.pop(entry_id, None)
        if receipt is None:
            return
        try:
            await self._sqs.call(
                "delete_message", QueueUrl=await self._sqs.url(label), ReceiptHandle=receipt
            )
        except QueueUnavailableError as exc:
            if exc.code != "ReceiptHandleIsInvalid":
                self._receipts.setdefault(entry_id, receipt)  # retried by the settle loop
                raise
            # its visibility lapsed and another receive holds it now: the settled mark
            # makes that receive delete it unread
            log.warning("entry not deleted", extra=log_fields(entry=entry_id, error=exc.code))

    async def written(self, lead_id: str) -> bool:
        return bool(await self._redis.exists(self._written(lead_id)))

    def _written(self, lead_id: str) -> str:
        return self._mark("written", lead_id)

    def _mark(self, what: str, key: str) -> str:
        return f"{self._queue.prefix}:{what}:{key}"

    @contextlib.asynccontextmanager
    async def exclusive(self, key: str) -> AsyncIterator[None]:
        # the message group already holds every other entry of this person back
        yield
