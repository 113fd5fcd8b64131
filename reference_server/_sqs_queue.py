"""The lead queue on Amazon SQS FIFO queues (``FLOWHARNESS_QUEUE=sqs``), beside Redis.

:class:`SqsLeadQueue` is a :class:`reference_server._queue.LeadQueue` whose entries go to
SQS (queues in :mod:`reference_server._sqs_client`); the worker reads them through
:class:`reference_server._sqs_work.SqsWork`, and ``flowharness leads`` lists and replays
the holding queues (:mod:`reference_server._sqs_replay`). Redis stays for what needs
keys: idempotency answers, the spool's "drained" marks, the worker's "written" and
"settled" marks and which notification channels were told. A worker process therefore
still needs ``FLOWHARNESS_REDIS_URL``; the queue itself is SQS's to keep.

How each guarantee of the Redis Streams worker holds on SQS:

- **At-least-once, reclaim.** A received entry is invisible for the visibility timeout
  (the worker's lease: ``max(FLOWHARNESS_RECLAIM_MIN_IDLE_MS, 3 s)``); a live worker
  renews it with ``ChangeMessageVisibility`` every third of that, however long the CRM
  takes; one that dies leaves it to be received again when the timeout ends.
- **Retries with backoff.** In the worker, as on Redis, while the entry is renewed: the
  receive count is not spent on retries. (SQS's own delays cannot do it: FIFO queues
  refuse a per-message ``DelaySeconds``, and delays stop at 15 minutes.)
- **One writer per person, in order.** An entry's message group is its person (a hash
  of the phone number: no personal data in group ids): SQS hands out no entry of a group
  while another of it is in flight, so no lease is needed, and a person's entries come in
  the order they were sent.
- **Duplicate appends.** Every send carries a deduplication id: the lead id for a lead
  (a retried send, a spool drained twice or by two processes), ``<entry>:<outbox>:<n>``
  for what settling an entry sends, ``replay:<entry>`` for a replay. SQS drops a repeat
  within its 5-minute deduplication interval; after that the worker's "written" mark in
  Redis recognises a copy of a lead already written, and acknowledges it only.
- **Settling without transactions.** SQS cannot send, mark and delete atomically, so a
  settlement goes in an order where a crash at any point leaves a repeat that the next
  step recognises, never a loss: (1) send the follow-ups (the staff job, or the dead or
  parked entry with its operations alert job); (2) in one Redis ``MULTI``, the "written"
  mark and ``<prefix>:settled:<entry>``; (3) delete the entry. A crash after (2) leaves
  an entry the next receive finds settled and deletes unread. A crash between (1) and
  (2) leaves it to be handled again: the CRM upsert runs again (an update: one contact)
  and the follow-ups are sent again with the same deduplication ids, dropped by SQS when
  within 5 minutes (the visibility timeout is far shorter by default). What can be
  duplicated, only when more than 5 minutes pass: a staff or alert job (each channel
  already told is skipped: see :mod:`reference_server._notify_jobs`), or a second held
  entry for one lead (replaying both writes the lead once).
- **Dead letters.** The worker dead-letters a lead itself after its retry budget, with
  an operations alert, into the ``dead`` queue; the ``incoming`` queue's redrive policy
  (``maxReceiveCount``, 10 by default) moves there, without an alert, an entry that
  stops every worker taking it. So that such an entry is alerted too, the worker does not
  write it to the CRM on the last receive the policy allows but dead-letters it
  (``reason`` ``redelivered``) with its alert; the redrive only catches what even that
  could not handle, and ``leads list dead`` shows it with reason ``sqs_redrive``.
  Parking is a queue of its own, ``parked``; the replay moves entries back to
  ``incoming`` (send, then delete: a repeat, never a loss).
- **Ordering across dead letters.** As on Redis, a person's later leads go on while an
  earlier one waits in ``dead`` or ``parked``: a replay writes it after them.

What differs from Redis Streams, and is worth knowing before choosing SQS:

- **Retention.** SQS deletes an entry after its queue's retention period (4 days by
  default; queues created here: 14, the most). A lead held in ``dead`` or ``parked`` for
  longer is gone: replay or fix it sooner. (A FIFO dead-letter queue restarts the clock
  when SQS moves an entry into it.)
- **Size.** An entry is at most the queue's ``MaximumMessageSize`` (1 MiB by default
  today; 256 KiB was the limit for years, and older queues may still say so). A lead is
  a few kilobytes (cleaned fields stop at 200 characters); long error texts of held
  entries are cut to fit.
- **Listing.** SQS has no range read: ``leads list`` receives the entries (hiding them
  for 30 s) and puts them back. A FIFO queue hands out no more of a group while some of
  it is in flight, so a person with more than ten held entries shows the first ten.
- **Approximate depths.** Queue depths in ``/metrics`` are SQS's approximate counts.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from typing import Any

import redis.asyncio as aioredis

from reference_server._queue import (
    DRAINED_TTL_SECONDS,
    PENDING,
    PENDING_TTL_SECONDS,
    LeadQueue,
    StreamNames,
    now_iso,
)
from reference_server._sqs_client import LABELS, Label, SqsClient

__all__ = ["SqsLeadQueue", "group_of"]

_TOKEN = re.compile(r"[A-Za-z0-9!-/:-@\[-`{-~]{1,128}")
"""What SQS accepts as a message group or deduplication id."""
_CUT_FIELDS = ("error", "errors", "text")
"""Free text of held entries and jobs, cut when an entry would not fit the queue."""
_CUT_TO = 2000


def _token(value: str) -> str:
    """``value`` when SQS takes it as an id, else its hash."""
    if _TOKEN.fullmatch(value):
        return value
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def group_of(fields: dict[str, str]) -> str | None:
    """The message group of an entry: its person (a lead's phone, a photo's phone), else
    its lead (notification jobs), hashed; None when the entry names neither."""
    phone = fields.get("phone")
    if "lead" in fields:
        try:
            found = json.loads(fields["lead"]).get("phone")
            phone = found if isinstance(found, str) else None
        except (ValueError, AttributeError):
            phone = None
    if phone:
        key = f"phone:{phone}"
    elif fields.get("lead_id"):
        key = f"lead:{fields['lead_id']}"
    else:
        return None
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def encode(fields: dict[str, str], limit: int) -> str:
    """The entry as an SQS body (JSON, ASCII: SQS refuses some characters JSON allows),
    free text cut to fit ``limit`` bytes."""
    body = json.dumps(fields, separators=(",", ":"))
    if len(body) > limit:
        cut = {k: (v[:_CUT_TO] + " [cut]" if k in _CUT_FIELDS else v) for k, v in fields.items()}
        body = json.dumps(cut, separators=(",", ":"))
    return body


def decode(body: str) -> dict[str, str]:
    """An SQS body as fields; a body that is not a JSON object comes back whole as ``lead``
    (the worker then dead-letters it as a malformed entry, keeping it for a person)."""
    try:
        fields: Any = json.loads(body)
    except ValueError:
        fields = None
    if not isinstance(fields, dict):
        return {"lead": body}
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}


class SqsLeadQueue(LeadQueue):
    """The lead queue's methods on SQS; ``streams`` holds the SQS queue names."""

    def __init__(self, redis: aioredis.Redis, prefix: str, sqs: SqsClient):
        super().__init__(redis, prefix)
        self.sqs = sqs
        self.streams = StreamNames(**{label: sqs.names[label] for label in LABELS})
        self._labels: dict[str, Label] = {name: label for label, name in sqs.names.items()}

    def label(self, stream: str) -> Label:
        """The label of a queue named in :attr:`streams`."""
        return self._labels[stream]

    async def ensure_group(self) -> None:
        """Find or create every queue (see :meth:`SqsClient.prepare`)."""
        await self.sqs.prepare()

    async def send(self, label: Label, fields: dict[str, str], *, dedup: str) -> str:
        """Send one entry; its SQS message id. ``dedup``: its deduplication id."""
        url = await self.sqs.url(label)
        limit = self.sqs.facts[label].max_message_bytes
        dedup = _token(dedup)
        result = await self.sqs.call(
            "send_message",
            QueueUrl=url,
            MessageBody=encode(fields, limit),
            MessageGroupId=group_of(fields) or dedup,
            MessageDeduplicationId=dedup,
        )
        return str(result["MessageId"])

    async def enqueue(self, lead: dict[str, Any]) -> str:
        """Send the lead; returns the SQS message id."""
        fields = {"lead_id": str(lead["lead_id"]), "lead": json.dumps(lead, ensure_ascii=False)}
        return await self.send("incoming", fields, dedup=fields["lead_id"])

    async def enqueue_unless_answered(
        self, lead: dict[str, Any], answer: tuple[str, str, int]
    ) -> tuple[bool, str]:
        """Send ``lead`` and store its answer unless the answer's key exists, as
        :meth:`LeadQueue.enqueue_unless_answered` does; SQS and Redis share no
        transaction, so it claims the key first (``SET NX``, a pending marker that lapses
        after 10 s), sends, then stores the answer. A process dying between the send and
        the store leaves the marker to lapse: a repeat after that queues a second copy
        (another reference, the same data: the upsert keeps one contact; staff may be told
        twice)."""
        key, value, lifetime_ms = answer
        pending_ms = min(lifetime_ms, PENDING_TTL_SECONDS * 1000)
        if not await self.redis.set(key, PENDING, nx=True, px=pending_ms):
            held = await self.redis.get(key)
            return False, PENDING if held is None else str(held)
        try:
            message_id = await self.enqueue(lead)
        except BaseException:
            await self.redis.delete(key)  # a waiting repeat takes over
            raise
        await self.redis.set(key, value, px=lifetime_ms)
        return True, message_id

    async def enqueue_once(
        self, lead_id: str, lead_json: str, *, answer: tuple[str, str, int] | None = None
    ) -> bool:
        """Send a spooled lead unless its "drained" mark says it went already. A drain
        cut short between the send and the mark sends it again with the same
        deduplication id: dropped by SQS within 5 minutes, after that a copy the worker
        recognises as written."""
        marker = f"{self.prefix}:drained:{lead_id}"
        if await self.redis.exists(marker):
            return False
        await self.send("incoming", {"lead_id": lead_id, "lead": lead_json}, dedup=lead_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(marker, "1", ex=DRAINED_TTL_SECONDS)
            if answer is not None and answer[2] > 0:
                pipe.set(answer[0], answer[1], px=answer[2])
            await pipe.execute()
        return True

    async def add(self, stream: str, fields: dict[str, str]) -> str:
        """Send a follow-up job or a failure record, stamped with ``at``."""
        entry = {**fields, "at": now_iso()}
        return await self.send(self.label(stream), entry, dedup=uuid.uuid4().hex)

    async def sizes(self) -> dict[str, int]:
        """SQS's approximate counts: waiting, in flight and delayed, by label."""
        counts = (
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        )
        sizes: dict[str, int] = {}
        for label in LABELS:
            result = await self.sqs.call(
                "get_queue_attributes", QueueUrl=await self.sqs.url(label), AttributeNames=counts
            )
            sizes[label] = sum(int(result["Attributes"].get(name, 0)) for name in counts)
        return sizes

    async def aclose(self) -> None:
        await self.sqs.aclose()
