"""What the worker promises: acknowledged only after the CRM write, N CRM calls in flight,
one person's leads in order and never two at once, and logs that never crash it."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest

from reference_server import CONSUMER_GROUP, CrmResult, LeadQueue
from reference_server.worker import Worker

from ._doubles import GatedCrm, ScriptedCrm, captured_logs, lead

pytestmark = pytest.mark.anyio


@pytest.fixture
async def http():
    async with httpx.AsyncClient() as client:
        yield client


async def pending(redis) -> int:
    return int((await redis.xpending("leads:incoming", CONSUMER_GROUP))["pending"])


async def test_a_synced_lead_is_logged_at_info_then_acknowledged(make_settings, redis, http):
    # `created` is a LogRecord attribute: as an `extra` it raised KeyError after the CRM
    # write and before the ack, so at INFO every lead stayed queued
    worker = Worker(make_settings(), redis, crm=ScriptedCrm(), http=http)
    await LeadQueue(redis).enqueue(lead(1))
    with captured_logs(logging.INFO) as out:
        report = await worker.run_once()
    assert report.synced == 1
    assert await pending(redis) == 0
    written = [json.loads(line) for line in out.getvalue().splitlines()]
    assert any(e["message"] == "lead written to the CRM" and e["crm_created"] for e in written)


class AckWatchingCrm(ScriptedCrm):
    """Records, while the CRM call runs, whether the entry is still pending and queued."""

    def __init__(self, redis) -> None:
        super().__init__()
        self.redis = redis
        self.seen: list[tuple[int, int]] = []

    async def upsert(self, lead):
        self.seen.append((await pending(self.redis), await self.redis.xlen("leads:incoming")))
        return await super().upsert(lead)


async def test_the_lead_is_acknowledged_only_after_the_crm_write(make_settings, redis, http):
    crm = AckWatchingCrm(redis)
    worker = Worker(make_settings(), redis, crm=crm, http=http)
    await LeadQueue(redis).enqueue(lead(1))
    assert (await worker.run_once()).synced == 1
    assert crm.seen == [(1, 1)]  # during the call: still pending, still in the stream
    assert (await pending(redis), await redis.xlen("leads:incoming")) == (0, 0)


class Crash(BaseException):
    """The process dying in the middle of the CRM call."""


async def test_a_worker_dying_in_the_crm_call_leaves_the_lead_to_the_next(
    make_settings, redis, http
):
    await LeadQueue(redis).enqueue(lead(1))
    doomed = Worker(make_settings(), redis, crm=ScriptedCrm(Crash()), http=http, consumer="a")
    with pytest.raises(Crash):
        await doomed.run_once()
    assert await pending(redis) == 1  # not acknowledged: the CRM never confirmed
    crm = ScriptedCrm()
    heir = Worker(make_settings(reclaim_min_idle_ms=0), redis, crm=crm, http=http, consumer="b")
    report = await heir.run_once()
    assert (report.reclaimed, report.synced) == (1, 1)
    assert [c["lead_id"] for c in crm.calls] == ["L1"]
    assert await pending(redis) == 0


async def test_one_worker_keeps_n_crm_calls_in_flight(make_settings, redis, http):
    crm = GatedCrm(gate=8)
    worker = Worker(make_settings(worker_concurrency=8), redis, crm=crm, http=http)
    queue = LeadQueue(redis)
    for n in range(20):
        await queue.enqueue(lead(n))
    handled = 0
    while handled < 20:
        handled += (await worker.run_once()).synced
    assert crm.max_in_flight == 8
    assert sorted(crm.order) == sorted(f"L{n}" for n in range(20))
    assert await pending(redis) == 0


async def test_one_persons_leads_are_written_in_order_never_two_at_once(make_settings, redis, http):
    crm = GatedCrm(gate=4, timeout=0.2)
    worker = Worker(make_settings(worker_concurrency=8), redis, crm=crm, http=http)
    queue = LeadQueue(redis)
    same = "+33699999999"
    for n in range(8):
        await queue.enqueue(lead(n, phone=same if n % 2 else None))
    assert (await worker.run_once()).synced == 8
    assert crm.max_per_phone == 1
    assert [i for i in crm.order if int(i[1:]) % 2] == ["L1", "L3", "L5", "L7"]
    assert crm.max_in_flight >= 4  # the others still ran beside them


async def test_the_same_lead_queued_twice_reaches_the_crm_once(make_settings, redis, http):
    crm = ScriptedCrm(CrmResult("c1", True))
    worker = Worker(make_settings(), redis, crm=crm, http=http)
    queue = LeadQueue(redis)
    await queue.enqueue(lead(1))
    await worker.run_once()
    await queue.enqueue(lead(1))  # e.g. a spool drained twice, a retried XADD
    report = await worker.run_once()
    assert [c["lead_id"] for c in crm.calls] == ["L1"]
    assert (report.synced, report.duplicates) == (0, 1)
    assert await redis.xlen("leads:incoming") == 0


class BuggyCrm(ScriptedCrm):
    """Raises an error no CRM adapter should (a bug) on its first call."""

    async def upsert(self, lead):
        if not self.calls:
            self.calls.append(lead)
            raise RuntimeError("a bug in the adapter")
        return await super().upsert(lead)


async def test_a_bug_on_one_lead_holds_that_lead_and_the_worker_goes_on(make_settings, redis, http):
    worker = Worker(make_settings(), redis, crm=BuggyCrm(), http=http)
    queue = LeadQueue(redis)
    await queue.enqueue(lead(1))
    report = await worker.run_once()
    assert (report.dead_lettered, report.errors) == (1, 1)
    ((_, dead),) = await redis.xrange("leads:dead")
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
