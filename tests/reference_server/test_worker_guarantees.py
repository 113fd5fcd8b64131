"""What the worker promises: acknowledged only after the CRM write, N CRM calls in flight,
one person's leads in order and never two at once, and logs that never crash it; on
every queue backend (Redis Streams on fakeredis and redis-server, SQS on moto)."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest

from reference_server import CrmResult
from reference_server.worker import Worker

from ._doubles import GatedCrm, ScriptedCrm, captured_logs, lead
from ._queue_backends import QueueBackend, lead_json

pytestmark = pytest.mark.anyio


@pytest.fixture
async def http():
    async with httpx.AsyncClient() as client:
        yield client


async def test_a_synced_lead_is_logged_at_info_then_acknowledged(queue_backend, http):
    # `created` is a LogRecord attribute: as an `extra` it raised KeyError after the CRM
    # write and before the ack, so at INFO every lead stayed queued
    worker = queue_backend.worker(crm=ScriptedCrm(), http=http)
    await queue_backend.queue.enqueue(lead(1))
    with captured_logs(logging.INFO) as out:
        report = await worker.run_once()
    assert report.synced == 1
    assert await queue_backend.in_flight() == 0
    written = [json.loads(line) for line in out.getvalue().splitlines()]
    assert any(e["message"] == "lead written to the CRM" and e["crm_created"] for e in written)


class AckWatchingCrm(ScriptedCrm):
    """Records, while the CRM call runs, whether the entry is still taken and queued."""

    def __init__(self, backend: QueueBackend) -> None:
        super().__init__()
        self.backend = backend
        self.seen: list[tuple[int, int]] = []

    async def upsert(self, lead):
        self.seen.append((await self.backend.in_flight(), await self.backend.waiting()))
        return await super().upsert(lead)


async def test_the_lead_is_acknowledged_only_after_the_crm_write(queue_backend, http):
    crm = AckWatchingCrm(queue_backend)
    worker = queue_backend.worker(crm=crm, http=http)
    await queue_backend.queue.enqueue(lead(1))
    assert (await worker.run_once()).synced == 1
    assert crm.seen == [(1, 1)]  # during the call: still taken, still in the queue
    assert (await queue_backend.in_flight(), await queue_backend.waiting()) == (0, 0)


class Crash(BaseException):
    """The process dying in the middle of the CRM call."""


async def test_a_worker_dying_in_the_crm_call_leaves_the_lead_to_the_next(queue_backend, http):
    await queue_backend.queue.enqueue(lead(1))
    doomed = queue_backend.worker(crm=ScriptedCrm(Crash()), http=http, consumer="a")
    with pytest.raises(Crash):
        await doomed.run_once()
    assert await queue_backend.in_flight() == 1  # not acknowledged: the CRM never confirmed
    crm = ScriptedCrm()
    heir = queue_backend.worker(crm=crm, http=http, consumer="b")
    await queue_backend.reclaimable()
    report = await heir.run_once()
    assert (report.reclaimed, report.synced) == (1, 1)
    assert [c["lead_id"] for c in crm.calls] == ["L1"]
    assert await queue_backend.in_flight() == 0


async def test_one_worker_keeps_n_crm_calls_in_flight(queue_backend, http):
    crm = GatedCrm(gate=8)
    worker = queue_backend.worker(queue_backend.settings(worker_concurrency=8), crm=crm, http=http)
    queue = queue_backend.queue
    for n in range(20):
        await queue.enqueue(lead(n))
    handled = 0
    while handled < 20:
        handled += (await worker.run_once()).synced
    assert crm.max_in_flight == 8
    assert sorted(crm.order) == sorted(f"L{n}" for n in range(20))
    assert await queue_backend.in_flight() == 0


async def test_one_persons_leads_are_written_in_order_never_two_at_once(queue_backend, http):
    crm = GatedCrm(gate=4, timeout=0.2)
    worker = queue_backend.worker(queue_backend.settings(worker_concurrency=8), crm=crm, http=http)
    queue = queue_backend.queue
    same = "+33699999999"
    for n in range(8):
        await queue.enqueue(lead(n, phone=same if n % 2 else None))
    assert (await worker.run_once()).synced == 8
    assert crm.max_per_phone == 1
    assert [i for i in crm.order if int(i[1:]) % 2] == ["L1", "L3", "L5", "L7"]
    assert crm.max_in_flight >= 4  # the others still ran beside them


async def test_the_same_lead_queued_twice_reaches_the_crm_once(queue_backend, http):
    crm = ScriptedCrm(CrmResult("c1", True))
    worker = queue_backend.worker(crm=crm, http=http)
    queue = queue_backend.queue
    await queue.enqueue(lead(1))
    await worker.run_once()
    # e.g. a spool drained twice, a retried append (on SQS: after its deduplication interval)
    await queue_backend.append_raw(lead_json(lead(1)))
    report = await worker.run_once()
    assert [c["lead_id"] for c in crm.calls] == ["L1"]
    assert (report.synced, report.duplicates) == (0, 1)
    assert await queue_backend.waiting() == 0


async def test_a_lead_queued_twice_at_once_reaches_the_crm_once(queue_backend, http):
    crm = ScriptedCrm()
    worker = queue_backend.worker(crm=crm, http=http)
    for _ in range(2):  # a send retried before the first copy was read
        await queue_backend.queue.enqueue(lead(1))
    while (await worker.run_once()).handled:
        pass
    assert [c["lead_id"] for c in crm.calls] == ["L1"]
    assert await queue_backend.waiting() == 0


class BuggyCrm(ScriptedCrm):
    """Raises an error no CRM adapter should (a bug) on its first call."""

    async def upsert(self, lead):
        if not self.calls:
            self.calls.append(lead)
            raise RuntimeError("a bug in the adapter")
        return await super().upsert(lead)


async def test_a_bug_on_one_lead_holds_that_lead_and_the_worker_goes_on(queue_backend, http):
    worker = queue_backend.worker(crm=BuggyCrm(), http=http)
    queue = queue_backend.queue
    await queue.enqueue(lead(1))
    report = await worker.run_once()
    assert (report.dead_lettered, report.errors) == (1, 1)
    (dead,) = await queue_backend.held("dead")
    assert (dead["lead_id"], dead["reason"]) == ("L1", "worker_error")
    await queue.enqueue(lead(2))
    assert (await worker.run_once()).synced == 1


async def test_the_endpoint_health_says_503_when_its_worker_stopped(make_settings, monkeypatch):
    from reference_server import create_app

    async def dies(self) -> None:
        raise RuntimeError("the worker died")

    monkeypatch.setattr(Worker, "run_forever", dies)
    app = create_app(make_settings(run_worker=True))
    transport = httpx.ASGITransport(app=app)
    with captured_logs(logging.ERROR) as out:
        async with app.router.lifespan_context(app):
            await asyncio.wait([app.state.worker_task], timeout=10)
            async with httpx.AsyncClient(transport=transport, base_url="http://e") as client:
                response = await client.get("/healthz")
    assert response.status_code == 503
    assert "the in-process worker stopped" in out.getvalue()
