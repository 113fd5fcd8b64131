"""The lead queue: Redis Streams for incoming, dead-lettered and parked leads, plus the
worker's follow-up jobs (notifications to send, follow-up photos to attach).

Entries of ``<prefix>:incoming`` have two fields: ``lead_id`` and ``lead`` (the lead
as JSON, see :func:`reference_server._lead_flow.build_lead`). ``<prefix>:dead`` and
``<prefix>:parked`` entries repeat both and add ``reason``, ``error``, ``attempts``
(dead) or ``errors`` (parked, the CRM's per-field errors as JSON) and ``at`` (ISO time).
An entry put back by :func:`reference_server.replay` also carries ``replayed_from`` and
``replays`` (how many times it was replayed), which the worker keeps on a new failure.

``<prefix>:notify`` entries (written once the CRM confirms) carry ``lead_id``,
``record_url``, ``text`` and ``channels`` (JSON list still to send); a channel that
still fails after its retries lands in ``<prefix>:notify:failed``. ``<prefix>:attachments``
entries (written by the webhook) carry ``phone``, ``lead_reference``, ``media_id``,
``mime_type``, ``sha256``; those that cannot be attached land in ``<prefix>:attachments:failed``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import NoScriptError, ResponseError, WatchError

CONSUMER_GROUP = "lead-workers"
_LEAD_JSON = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(lead, ensure_ascii=False)
_SUBMIT = """
local given = redis.call('GET', KEYS[1])
if given then return {0, given} end
local id = redis.call('XADD', KEYS[2], '*', 'lead_id', ARGV[1], 'lead', ARGV[2])
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return {1, id}
"""
"""KEYS: idempotency key, incoming stream; ARGV: lead id, lead JSON, answer JSON, its
lifetime in ms. Whatever the key holds (an answer, or a claim in progress) wins."""
_SUBMIT_SHA = hashlib.sha1(_SUBMIT.encode(), usedforsecurity=False).hexdigest()
PENDING = "__pending__"
"""What an idempotency key holds while its first request is still being handled."""
PENDING_TTL_SECONDS = 10
"""A crashed first request blocks its repeats no longer than this; a live one holds the
claim for a few round trips, each cut off after redis_timeout_seconds."""
DRAINED_TTL_SECONDS = 7 * 24 * 3600
"""How long a drained lead id is remembered (far longer than any spool backlog lasts)."""


@dataclass(frozen=True, slots=True)
class StreamNames:
    incoming: str
    dead: str
    parked: str
    notify: str = ""
    notify_failed: str = ""
    attachments: str = ""
    attachments_failed: str = ""

    @classmethod
    def for_prefix(cls, prefix: str) -> StreamNames:
        return cls(
            f"{prefix}:incoming",
            f"{prefix}:dead",
            f"{prefix}:parked",
            f"{prefix}:notify",
            f"{prefix}:notify:failed",
            f"{prefix}:attachments",
            f"{prefix}:attachments:failed",
        )

    def consumed(self) -> tuple[str, ...]:
        """The streams the worker reads through its consumer group."""
        return (self.incoming, self.notify, self.attachments)

    def by_label(self) -> dict[str, str]:
        """Every stream by its short name (the ``stream`` label of the queue-depth metric)."""
        return {
            "incoming": self.incoming,
            "notify": self.notify,
            "attachments": self.attachments,
            "dead": self.dead,
            "parked": self.parked,
            "notify_failed": self.notify_failed,
            "attachments_failed": self.attachments_failed,
        }


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def replay_count(fields: dict[str, str]) -> int:
    """How many times this entry was replayed (0 when never, or when the field is garbled)."""
    try:
        return max(int(fields.get("replays") or 0), 0)
    except ValueError:
        return 0


def carried_replays(fields: dict[str, str]) -> dict[str, str]:
    """The ``replays`` field to copy onto a new failure record, so the count survives."""
    count = replay_count(fields)
    return {"replays": str(count)} if count else {}


class LeadQueue:
    """Writes and sizes the lead streams; the worker reads them through its consumer group."""

    def __init__(self, redis: aioredis.Redis, prefix: str = "leads"):
        self.redis = redis
        self.prefix = prefix
        self.streams = StreamNames.for_prefix(prefix)

    async def ensure_group(self) -> None:
        """Create the consumer group on every consumed stream, from its start (idempotent)."""
        for stream in self.streams.consumed():
            try:
                await self.redis.xgroup_create(stream, CONSUMER_GROUP, id="0", mkstream=True)
            except ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise

    async def enqueue(self, lead: dict[str, Any]) -> str:
        """Store the lead durably; returns the stream entry id."""
        fields: dict[Any, Any] = {
            "lead_id": lead["lead_id"],
            "lead": json.dumps(lead, ensure_ascii=False),
        }
        return str(await self.redis.xadd(self.streams.incoming, fields))

    async def enqueue_unless_answered(
        self, lead: dict[str, Any], answer: tuple[str, str, int]
    ) -> tuple[bool, str]:
        """Queue ``lead`` and store its answer, unless the answer's key exists: one step.

        ``answer`` = (idempotency key, answer JSON, milliseconds it lives). Returns
        ``(True, entry id)`` when this call queued the lead, else ``(False, what the key
        holds)``. One script: a single round trip, and Redis runs it whole or not at all,
        so a process that dies right after cannot leave a queued lead whose answer is
        lost (a repeat would queue it again), nor an answer without its lead.
        """
        keys_and_args = (
            answer[0],
            self.streams.incoming,
            lead["lead_id"],
            _LEAD_JSON(lead),
            answer[1],
            answer[2],
        )
        try:
            queued, value = await self.redis.evalsha(_SUBMIT_SHA, 2, *keys_and_args)
        except NoScriptError:  # a restarted Redis has no scripts: EVAL caches it again
            queued, value = await self.redis.eval(_SUBMIT, 2, *keys_and_args)
        return bool(queued), str(value)

    async def enqueue_once(
        self, lead_id: str, lead_json: str, *, answer: tuple[str, str, int] | None = None
    ) -> bool:
        """Append a spooled lead unless it is there already; False when it was.

        ``<prefix>:drained:<lead_id>`` marks it in the same transaction (under ``WATCH``),
        so a drain interrupted after the append, or two processes draining one spool,
        never append it twice. ``answer`` = (idempotency key, answer JSON, milliseconds
        left of its window) is stored with it, for repeats that reach Redis afterwards.
        """
        marker = f"{self.prefix}:drained:{lead_id}"
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(marker)
                    if await pipe.exists(marker):
                        await pipe.reset()
                        return False
                    pipe.multi()
                    pipe.xadd(self.streams.incoming, {"lead_id": lead_id, "lead": lead_json})
                    pipe.set(marker, "1", ex=DRAINED_TTL_SECONDS)
                    if answer is not None and answer[2] > 0:
                        pipe.set(answer[0], answer[1], px=answer[2])
                    await pipe.execute()
                    return True
                except WatchError:
                    continue  # another drainer moved it meanwhile: the marker now says so

    async def dead_letter(
        self,
        lead_id: str,
        lead_json: str,
        *,
        reason: str,
        error: str,
        attempts: int,
        replays: int = 0,
    ) -> str:
        fields = {
            "lead_id": lead_id,
            "lead": lead_json,
            "reason": reason,
            "error": error,
            "attempts": str(attempts),
        }
        if replays:
            fields["replays"] = str(replays)
        return await self.add(self.streams.dead, fields)

    async def park(
        self,
        lead_id: str,
        lead_json: str,
        *,
        error: str,
        errors: list[dict[str, Any]],
        replays: int = 0,
    ) -> str:
        fields = {
            "lead_id": lead_id,
            "lead": lead_json,
            "reason": "crm_validation",
            "error": error,
            "errors": json.dumps(errors, ensure_ascii=False),
        }
        if replays:
            fields["replays"] = str(replays)
        return await self.add(self.streams.parked, fields)

    async def add(self, stream: str, fields: dict[str, str]) -> str:
        """Append a follow-up job or a failure record, stamped with ``at``."""
        entry: dict[Any, Any] = {**fields, "at": now_iso()}
        return str(await self.redis.xadd(stream, entry))

    async def sizes(self) -> dict[str, int]:
        """Entries in every stream by label: waiting or in flight (``incoming``, ``notify``,
        ``attachments``) and held after failing (``dead``, ``parked``, ``notify_failed``,
        ``attachments_failed``)."""
        labels = self.streams.by_label()
        pipe = self.redis.pipeline(transaction=False)
        for name in labels.values():
            pipe.xlen(name)
        lengths = await pipe.execute()
        return {label: int(n) for label, n in zip(labels, lengths, strict=True)}
