"""Bring held entries back: dead-lettered and parked leads, failed notifications and photos.

An entry moves from its holding stream back onto the stream its worker consumes in one
``MULTI``/``EXEC`` transaction (``XADD`` to the target, ``XDEL`` from the source, ``INCR``
of ``<source>:replayed``) under ``WATCH`` of the source and that counter: a crash leaves
it in exactly one of the two streams, and two operators replaying at once cannot both
move it. (The counter is there because fakeredis does not end a ``WATCH`` on ``XDEL``;
Redis does.) The copy keeps the entry's data and adds ``replayed_from`` and ``replays``
(the count, which a new failure keeps).

A failed notification comes back as a job for its one channel; a lead comes back as an
incoming entry the worker writes to the CRM again (an upsert: no duplicate contact).
On SQS (``FLOWHARNESS_QUEUE=sqs``) the same functions list and move the holding queues'
entries: see :mod:`reference_server._sqs_replay`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from redis.exceptions import WatchError

from reference_server._notify_jobs import JOB_FIELDS
from reference_server._queue import LeadQueue, now_iso, replay_count
from reference_server._sqs_queue import SqsLeadQueue
from reference_server.exceptions import ReplayError

__all__ = ["REPLAY_SOURCES", "HeldEntry", "ReplayReport", "ReplaySource", "held", "replay"]

ReplaySource = Literal["dead", "parked", "notify_failed", "attachments_failed"]
REPLAY_SOURCES: tuple[ReplaySource, ...] = get_args(ReplaySource)

_ENTRY_ID = re.compile(r"\d+-\d+")
_MAX_WATCH_RETRIES = 50  # the source stream changed under us this often: give up, say so


@dataclass(frozen=True, slots=True)
class HeldEntry:
    """One entry of a holding stream, as stored (personal data included: mask to show)."""

    id: str
    fields: dict[str, str]

    @property
    def lead_id(self) -> str:
        return self.fields.get("lead_id") or self.fields.get("lead_reference", "")

    @property
    def reason(self) -> str:
        channel = self.fields.get("channel")
        return self.fields.get("reason") or (f"channel_failed:{channel}" if channel else "")

    @property
    def attempts(self) -> int | None:
        value = self.fields.get("attempts")
        return int(value) if value and value.isdigit() else None

    @property
    def replays(self) -> int:
        return replay_count(self.fields)


@dataclass
class ReplayReport:
    """What :func:`replay` did, by source entry id."""

    source: ReplaySource
    target: str
    moved: dict[str, str] = field(default_factory=dict)
    """Source id -> the new entry's id on the target stream."""
    missing: list[str] = field(default_factory=list)
    """Ids asked for that are not (or no longer) in the source: already replayed, or wrong."""
    unusable: dict[str, str] = field(default_factory=dict)
    """Ids left in place, with why they cannot be replayed as they are."""

    @property
    def count(self) -> int:
        return len(self.moved)


def _streams(queue: LeadQueue, source: str) -> tuple[str, str]:
    """The source stream and the stream its entries go back to."""
    s = queue.streams
    targets = {
        "dead": (s.dead, s.incoming),
        "parked": (s.parked, s.incoming),
        "notify_failed": (s.notify_failed, s.notify),
        "attachments_failed": (s.attachments_failed, s.attachments),
    }
    if source not in targets:
        raise ReplayError(f"cannot replay {source!r}: choose one of {', '.join(REPLAY_SOURCES)}")
    return targets[source]


class Unusable(Exception):
    """The entry cannot be replayed as it is; the message says why."""


def replayed(source: str, fields: dict[str, str]) -> dict[str, str]:
    """The entry to put back on the target stream, or :class:`Unusable`."""
    marks = {"replayed_from": source, "replays": str(replay_count(fields) + 1)}
    if source in ("dead", "parked"):
        try:
            lead: Any = json.loads(fields.get("lead", ""))
        except ValueError:
            lead = None
        if not isinstance(lead, dict):
            raise Unusable("the stored lead is not a JSON object; fix the entry by hand")
        return {"lead_id": fields.get("lead_id", ""), "lead": fields["lead"]} | marks
    if source == "notify_failed":
        if not fields.get("channel") and fields.get("channels"):  # a whole job (SQS redrive)
            return {k: v for k, v in fields.items() if k != "reason"} | marks
        if not fields.get("channel"):
            raise Unusable("the entry names no channel to send")
        kept = {k: fields.get(k, "") for k in ("lead_id", "record_url", "text")}
        kept |= {k: fields[k] for k in JOB_FIELDS if k in fields}
        return kept | {"channels": json.dumps([fields["channel"]]), "at": now_iso()} | marks
    if not fields.get("phone") or not fields.get("media_id"):
        raise Unusable("the entry has no phone number or no media id")
    kept = {k: fields.get(k, "") for k in ("phone", "lead_reference", "media_id", "wamid")}
    return kept | {"at": now_iso()} | marks


async def held(
    queue: LeadQueue, source: ReplaySource, *, limit: int | None = None
) -> list[HeldEntry]:
    """The entries waiting in a holding stream, oldest first (at most ``limit``)."""
    if isinstance(queue, SqsLeadQueue):
        from reference_server import _sqs_replay

        return await _sqs_replay.held(queue, source, limit=limit)
    stream, _ = _streams(queue, source)
    entries: Any = await queue.redis.xrange(stream, count=limit)
    return [HeldEntry(str(eid), dict(fields)) for eid, fields in entries]


async def entries_of(queue: LeadQueue, source: ReplaySource, lead_ids: list[str]) -> list[str]:
    """The ids of the entries of ``source`` held for these leads (oldest first)."""
    wanted = set(lead_ids)
    return [e.id for e in await held(queue, source) if e.lead_id in wanted]


async def replay(
    queue: LeadQueue,
    source: ReplaySource,
    *,
    ids: list[str] | None = None,
    limit: int | None = None,
    lead_ids: list[str] | None = None,
) -> ReplayReport:
    """Move entries of ``source`` back onto the stream their worker consumes.

    ``ids``: only these entries; ``lead_ids``: only the entries of these leads (None for
    both: every entry, oldest first); ``limit``: at most this many. Replaying an id twice
    moves it once: the second time it is ``missing``.
    """
    if isinstance(queue, SqsLeadQueue):
        from reference_server import _sqs_replay

        return await _sqs_replay.replay(queue, source, ids=ids, limit=limit, lead_ids=lead_ids)
    stream, target = _streams(queue, source)
    if limit is not None and limit < 1:
        raise ReplayError(f"limit must be at least 1, not {limit}")
    if lead_ids is not None:
        ids = [*(ids or []), *await entries_of(queue, source, lead_ids)]
    if ids is None:
        chosen = [entry.id for entry in await held(queue, source, limit=limit)]
    else:
        bad = [i for i in ids if not _ENTRY_ID.fullmatch(i)]
        if bad:
            raise ReplayError(
                f"not a stream entry id: {', '.join(bad)} (ids look like 1718000000000-0; "
                "see `flowharness leads list`)"
            )
        chosen = list(dict.fromkeys(ids))[:limit]
    report = ReplayReport(source, target)
    for entry_id in chosen:
        try:
            new_id = await _move(queue, source, stream, target, entry_id)
        except Unusable as exc:
            report.unusable[entry_id] = str(exc)
            continue
        if new_id is None:
            report.missing.append(entry_id)
        else:
            report.moved[entry_id] = new_id
    return report


async def _move(
    queue: LeadQueue, source: str, stream: str, target: str, entry_id: str
) -> str | None:
    """The new entry id, or None when the source no longer holds ``entry_id``."""
    counter = f"{stream}:replayed"
    async with queue.redis.pipeline(transaction=True) as pipe:
        for _ in range(_MAX_WATCH_RETRIES):
            try:
                await pipe.watch(stream, counter)
                found: Any = await pipe.xrange(stream, min=entry_id, max=entry_id)
                if not found:
                    await pipe.reset()
                    return None
                fields: dict[Any, Any] = replayed(source, dict(found[0][1]))
                pipe.multi()
                pipe.xadd(target, fields)
                pipe.xdel(stream, entry_id)
                pipe.incr(counter)
                new_id, _, _ = await pipe.execute()
                return str(new_id)
            except WatchError:
                continue  # the source changed between the read and EXEC: read again
    raise ReplayError(
        f"{stream} kept changing while replaying {entry_id}; nothing was moved, try again"
    )
