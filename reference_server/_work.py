"""What the worker needs from a queue backend: the seam a second backend slots into.

The worker (:mod:`reference_server.worker`) keeps its guarantees through this interface
only; Redis Streams implement it today (:mod:`reference_server._stream_work`). A backend
must give:

- **at-least-once delivery with reclaim**: :meth:`WorkQueue.take` hands out entries;
  one not settled by a worker that went silent is handed out again (Redis: ``XAUTOCLAIM``
  after ``reclaim_min_idle_ms``; SQS: the visibility timeout). :meth:`WorkQueue.keep`
  tells the backend the worker is still on an entry (Redis: ``XCLAIM`` resets its idle
  time; SQS: ``ChangeMessageVisibility``).
- **atomic settling**: :meth:`WorkQueue.settle` acknowledges an entry together with what
  its outcome writes (a staff job, a dead letter, an operations alert, the "lead written"
  mark), so a crash leaves either all of it or none.
- **one writer per person**: :meth:`WorkQueue.exclusive` keeps two workers from writing
  one phone number's record at once (Redis: a lease; SQS FIFO: the message group).
- **a memory of written leads**: :meth:`WorkQueue.written` is true for a lead settled as
  written, so a second copy of it (a spool drained twice, a repeated append) is only
  acknowledged.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Literal, Protocol

Kind = Literal["lead", "notify", "attachment"]
MIN_LEASE_MS = 3000
"""The shortest hold a worker keeps on an entry (it renews every third of it)."""
Outbox = Literal["notify", "dead", "parked"]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One entry handed to a worker."""

    kind: Kind
    id: str
    fields: dict[str, str]
    received: int = 0
    """How many times the backend handed it out, this time included (0: not counted)."""
    final: bool = False
    """The backend takes it away from the workers if this delivery is not settled either
    (SQS: the last receive its redrive policy allows)."""


@dataclass
class Settlement:
    """What finishing a delivery writes, atomically with its acknowledgement."""

    add: list[tuple[Outbox, dict[str, str]]] = field(default_factory=list)
    written_lead: str | None = None
    """Remember this lead id as written to the CRM."""


@dataclass(frozen=True, slots=True)
class Taken:
    deliveries: list[Delivery]
    reclaimed: int
    """How many of them were taken over from a silent worker."""


class WorkQueue(Protocol):
    async def prepare(self) -> None:
        """Create what the backend needs (consumer groups); idempotent."""
        ...

    async def take(
        self, count: int, block_ms: int | None, *, kinds: Iterable[Kind], skip: set[str]
    ) -> Taken:
        """Up to ``count`` entries of ``kinds``: entries a silent worker left first, else
        new ones, waiting up to ``block_ms`` (None: not at all). ``skip``: ids this
        worker is already on."""
        ...

    async def keep(self, deliveries: Iterable[Delivery]) -> None:
        """Still working on these: do not hand them to anyone else yet."""
        ...

    async def settle(self, delivery: Delivery, settlement: Settlement) -> list[str]:
        """Acknowledge ``delivery`` and write ``settlement`` in one step; the ids of the
        entries added, in order."""
        ...

    async def written(self, lead_id: str) -> bool:
        """Whether this lead was settled as written to the CRM already."""
        ...

    def exclusive(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold ``key`` (a phone number) against every other worker for the block."""
        ...
