"""The worker against a misbehaving CRM: killed mid-call, slow, down then back."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
import redis as sync_redis

from harness.client import AsyncFlowClient, Outcome
from harness.testing import run_server
from reference_server import CONSUMER_GROUP, LeadQueue, create_app
from reference_server._redis import connect
from reference_server.worker import Worker

from .conftest import GOOD_FORM
from .fake_hubspot import FakeHubSpot


def lead(n: int) -> dict[str, str]:
    return {"lead_id": f"L{n}", "phone": f"+3361234567{n}", "first_name": "Ana",
            "last_name": "Lima", "email": f"ana{n}@example.com"}  # fmt: skip


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.redis_server
def test_worker_killed_mid_crm_call_is_replaced_and_the_lead_lands_once(make_settings, real_redis):
    with sync_redis.Redis.from_url(real_redis.url) as r:
        r.flushall()
    crm = FakeHubSpot(hang_creates=1)
    with run_server(crm.app()) as crm_url:
        settings = make_settings(
            redis_url=real_redis.url, hubspot_base_url=crm_url, reclaim_min_idle_ms=300
        )

        async def enqueue() -> None:
            redis = connect(settings)
            await LeadQueue(redis).enqueue(lead(1))
            await redis.aclose()

        asyncio.run(enqueue())
        env = {
            **os.environ,
            "FLOWHARNESS_REDIS_URL": real_redis.url,
            "FLOWHARNESS_HUBSPOT_BASE_URL": crm_url,
            "FLOWHARNESS_HUBSPOT_TOKEN": "hs-token",
            "FLOWHARNESS_WORKER_BLOCK_MS": "100",
            "FLOWHARNESS_LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, "-m", "reference_server", "worker", "--consumer", "doomed"]
        process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
        try:
            wait_until(lambda: crm.create_calls == 1 or process.poll() is not None, 20, "a call")
            assert process.poll() is None, process.stderr.read().decode()  # type: ignore[union-attr]
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            process.stderr.close()  # type: ignore[union-attr]
        assert crm.contacts == {}  # the hung call wrote nothing

        async def replace() -> tuple[int, int, int, int]:
            redis = connect(settings)
            pending = (await redis.xpending("leads:incoming", CONSUMER_GROUP))["pending"]
            await asyncio.sleep(0.4)  # past reclaim_min_idle_ms
            async with httpx.AsyncClient() as http:
                report = await Worker(settings, redis, http=http, consumer="heir").run_once()
            left = (await redis.xpending("leads:incoming", CONSUMER_GROUP))["pending"]
            await redis.aclose()
            return pending, report.reclaimed, report.synced, left

        assert asyncio.run(replace()) == (1, 1, 1, 0)
    assert crm.references() == ["L1"]
    assert crm.create_calls == 2  # the hung one, then the heir's


@pytest.mark.slow
@pytest.mark.anyio
async def test_slow_crm_never_slows_the_flow(make_settings, public_pem, app_secret, token):
    crm = FakeHubSpot(create_delay=10.0)
    with run_server(crm.app()) as crm_url:
        settings = make_settings(
            hubspot_base_url=crm_url, run_worker=True, worker_block_ms=50, crm_timeout_seconds=30
        )
        app = create_app(settings)
        results = []
        client = AsyncFlowClient(app, public_key=public_pem, app_secret=app_secret)
        async with app.router.lifespan_context(app), client as c:
            results.append(await c.ping())
            results.append(await c.init(token))
            results.append(await c.data_exchange("LEAD", GOOD_FORM, token))
            done = await c.data_exchange("CONFIRM", {**GOOD_FORM, "confirmed": True}, token)
            results.append(done)
            for _ in range(100):  # the worker is now inside the slow CRM call
                if crm.create_calls:
                    break
                await asyncio.sleep(0.05)
            assert crm.create_calls == 1
            for _ in range(6):
                results.append(await c.ping())
                await asyncio.sleep(0.5)
            assert crm.contacts == {}  # still waiting on the CRM
            for _ in range(300):
                if crm.contacts:
                    break
                await asyncio.sleep(0.05)
    assert all(r.outcome is Outcome.OK and r.within_budget for r in results)
    assert max(r.elapsed for r in results) < 1.0  # loose: the CRM's 10 s never leaks in
    reference = done.payload["data"]["extension_message_response"]["params"]["lead_reference"]
    assert crm.references() == [reference]


class Clock:
    """Simulated time: the worker's injected sleep moves it on, the CRM reads it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.delays: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.now += seconds


@pytest.mark.anyio
async def test_crm_down_then_back_delivers_every_lead_once(make_settings, redis_url):
    clock = Clock()
    crm = FakeHubSpot(is_down=lambda: clock.now < 10.0)
    settings = make_settings(redis_url=redis_url, retry_max_attempts=8, retry_max_delay_seconds=8.0)
    redis = connect(settings)
    queue = LeadQueue(redis)
    for n in range(5):
        await queue.enqueue(lead(n))
    transport = httpx.ASGITransport(app=crm.app())
    async with httpx.AsyncClient(transport=transport) as http:
        worker = Worker(settings, redis, http=http, sleep=clock.sleep)
        report = await worker.run_once()
        again = await worker.run_once()
    assert (report.synced, report.dead_lettered, again.handled) == (5, 0, 0)
    assert sorted(crm.references()) == [f"L{n}" for n in range(5)]
    assert crm.unavailable_answers > 0
    assert clock.now >= 10.0
    assert all(d <= 8.0 + 0.5 for d in clock.delays)
    assert set((await queue.sizes()).values()) == {0}
    await redis.aclose()
