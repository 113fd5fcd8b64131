"""Listing and replaying the SQS holding queues (``flowharness leads`` on SQS).

SQS has no range read: :func:`held` receives every entry of a holding queue (hidden from
others for :data:`LIST_VISIBILITY_SECONDS` meanwhile) and puts them back at once
(visibility 0). :func:`replay` receives them the same way, sends each chosen one to the
queue its worker consumes, then deletes it; a crash in between leaves it in both, and
the next replay's send carries the same deduplication id (``replay:<entry id>``), which
SQS drops within 5 minutes (after that the worker recognises a written lead). Two
operators replaying at once receive different entries: each moves what it received.

An entry SQS itself moved (the redrive policy, after ``maxReceiveCount`` receives) has
no ``reason``: it is listed with reason ``sqs_redrive``. Its id is its SQS message id.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from reference_server._replay import HeldEntry, ReplayReport, ReplaySource, Unusable, replayed
from reference_server._sqs_client import REDRIVE, Label
from reference_server._sqs_queue import SqsLeadQueue, decode
from reference_server.exceptions import ReplayError

__all__ = ["browse", "held", "replay"]

LIST_VISIBILITY_SECONDS = 30
_CONFIRM_WAIT_SECONDS = 1  # a long poll asks every SQS server: nothing left, for sure
_MESSAGE_ID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_TARGETS: dict[str, tuple[Label, Label]] = {
    "dead": ("dead", "incoming"),
    "parked": ("parked", "incoming"),
    "notify_failed": ("notify_failed", "notify"),
    "attachments_failed": ("attachments_failed", "attachments"),
}
_REDRIVEN_INTO = set(REDRIVE.values())


class _Received:
    """The entries of one holding queue received for a while; :meth:`release` puts back
    those not deleted."""

    def __init__(self, queue: SqsLeadQueue, label: Label):
        self.queue = queue
        self.label = label
        self.entries: list[HeldEntry] = []
        self.receipts: dict[str, str] = {}

    async def receive_all(self) -> None:
        sqs = self.queue.sqs
        url = await sqs.url(self.label)
        sent: dict[str, int] = {}
        wait, confirming = 0, False
        while True:
            result = await sqs.call(
                "receive_message",
                QueueUrl=url,
                MaxNumberOfMessages=10,
                VisibilityTimeout=LIST_VISIBILITY_SECONDS,
                WaitTimeSeconds=wait,
                MessageSystemAttributeNames=["SentTimestamp"],
            )
            messages: list[dict[str, Any]] = result.get("Messages", [])
            if not messages:
                if confirming:
                    break
                # (a client made for short calls confirms with a short poll)
                wait, confirming = min(_CONFIRM_WAIT_SECONDS, sqs.wait_seconds), True
                continue
            wait, confirming = 0, False
            for message in messages:
                entry_id = message["MessageId"]
                if entry_id in self.receipts:
                    continue
                self.receipts[entry_id] = message["ReceiptHandle"]
                sent[entry_id] = int(message.get("Attributes", {}).get("SentTimestamp", 0))
                self.entries.append(
                    HeldEntry(entry_id, self._fields(message["Body"], sent[entry_id]))
                )
        # oldest first; a stable sort keeps a group's (and a millisecond's) receive order
        self.entries.sort(key=lambda entry: sent[entry.id])

    def _fields(self, body: str, sent_ms: int) -> dict[str, str]:
        fields = decode(body)
        if "at" not in fields and sent_ms:
            fields["at"] = datetime.fromtimestamp(sent_ms / 1000, UTC).isoformat(
                timespec="milliseconds"
            )
        # what the worker holds says why (a failed channel: which); SQS's moves do not
        if self.label in _REDRIVEN_INTO and not fields.get("reason") and "channel" not in fields:
            fields["reason"] = "sqs_redrive"
        return fields

    async def delete(self, entry_id: str) -> None:
        receipt = self.receipts.pop(entry_id)
        url = await self.queue.sqs.url(self.label)
        await self.queue.sqs.call("delete_message", QueueUrl=url, ReceiptHandle=receipt)

    async def release(self) -> None:
        """Make every entry still held visible again."""
        sqs = self.queue.sqs
        url = await sqs.url(self.label)
        handles = list(self.receipts.values())
        for start in range(0, len(handles), 10):
            entries = [
                {"Id": str(n), "ReceiptHandle": handle, "VisibilityTimeout": 0}
                for n, handle in enumerate(handles[start : start + 10])
            ]
            await sqs.call("change_message_visibility_batch", QueueUrl=url, Entries=entries)
        self.receipts.clear()


async def browse(queue: SqsLeadQueue, label: Label) -> list[HeldEntry]:
    """Every entry of any queue, oldest first, put back at once (for inspection: each
    receive counts towards the redrive policy of a consumed queue)."""
    received = _Received(queue, label)
    try:
        await received.receive_all()
        return received.entries
    finally:
        await received.release()


async def _with_received(
    queue: SqsLeadQueue, source: ReplaySource, work: Callable[[_Received], Any]
) -> Any:
    if source not in _TARGETS:
        raise ReplayError(f"cannot replay {source!r}: choose one of {', '.join(_TARGETS)}")
    received = _Received(queue, _TARGETS[source][0])
    try:
        await received.receive_all()
        return await work(received)
    finally:
        await received.release()


async def held(
    queue: SqsLeadQueue, source: ReplaySource, *, limit: int | None = None
) -> list[HeldEntry]:
    """The entries waiting in a holding queue, oldest first (at most ``limit``)."""

    async def entries(received: _Received) -> list[HeldEntry]:
        return received.entries[:limit]

    result: list[HeldEntry] = await _with_received(queue, source, entries)
    return result


async def replay(
    queue: SqsLeadQueue,
    source: ReplaySource,
    *,
    ids: list[str] | None = None,
    limit: int | None = None,
    lead_ids: list[str] | None = None,
) -> ReplayReport:
    """:func:`reference_server.replay` on SQS: move entries of ``source`` back onto the
    queue their worker consumes, each sent then deleted."""
    if limit is not None and limit < 1:
        raise ReplayError(f"limit must be at least 1, not {limit}")
    bad = [i for i in ids or [] if not _MESSAGE_ID.fullmatch(i)]
    if bad:
        raise ReplayError(
            f"not an SQS message id: {', '.join(bad)} (ids look like "
            "0a1b2c3d-0000-4000-8000-0123456789ab; see `flowharness leads list`)"
        )
    target = _TARGETS.get(source, (None, "incoming"))[1]

    async def move(received: _Received) -> ReplayReport:
        by_id = {entry.id: entry for entry in received.entries}
        if ids is None and lead_ids is None:
            chosen = [entry.id for entry in received.entries][:limit]
        else:
            wanted = set(lead_ids or [])
            of_leads = [e.id for e in received.entries if e.lead_id in wanted]
            chosen = list(dict.fromkeys([*(ids or []), *of_leads]))[:limit]
        report = ReplayReport(source, queue.sqs.names[target])
        for entry_id in chosen:
            entry = by_id.get(entry_id)
            if entry is None:
                report.missing.append(entry_id)
                continue
            try:
                fields = replayed(source, entry.fields)
            except Unusable as exc:
                report.unusable[entry_id] = str(exc)
                continue
            report.moved[entry_id] = await queue.send(target, fields, dedup=f"replay:{entry_id}")
            await received.delete(entry_id)
        return report

    result: ReplayReport = await _with_received(queue, source, move)
    return result
