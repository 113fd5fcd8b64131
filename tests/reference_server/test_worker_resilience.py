"""The worker against a misbehaving CRM: killed mid-call, slow, down then back; on every
queue backend (a killed worker process: Redis Streams and SQS on real servers)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from harness.client import AsyncFlowClient, Outcome
from harness.testing import run_server
from reference_server import create_app

from ._queue_backends import backend_env
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
@pytest.mark.anyio
async def test_worker_killed_mid_crm_call_is_replaced_and_the_lead_lands_once(shared_backend):
    crm = FakeHubSpot(hang_creates=1)
    with run_server(crm.app()) as crm_url:
        settings = shared_backend.settings(hubspot_base_url=crm_url, reclaim_min_idle_ms=300)
        await shared_backend.queue.enqueue(lead(1))
        env = {
            **os.environ,
            **backend_env(shared_backend.overrides, settings),
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
        assert await shared_backend.in_flight() == 1
        await shared_backend.reclaimable(idle_ms=300)
        async with httpx.AsyncClient() as http:
            heir = shared_backend.worker(settings, http=http, consumer="heir")
            report = await heir.run_once()
        assert (report.reclaimed, report.synced) == (1, 1)
        assert await shared_backend.in_flight() == 0
    assert crm.references() == ["L1"]
    assert crm.create_calls == 2  # the hung one, then the heir's


@pytest.mark.slow
@pytest.mark.anyio
async def test_slow_crm_never_slows_the_flow(queue_backend, public_pem, app_secret, token):
    crm = FakeHubSpot(create_delay=10.0)
    with run_server(crm.app()) as crm_url:
        settings = queue_backend.settings(
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
async def test_crm_down_then_back_delivers_every_lead_once(queue_backend):
    clock = Clock()
    crm = FakeHubSpot(is_down=lambda: clock.now < 10.0)
    settings = queue_backend.settings(retry_max_attempts=8, retry_max_delay_seconds=8.0)
    queue = queue_backend.queue
    for n in range(5):
        await queue.enqueue(lead(n))
    transport = httpx.ASGITransport(app=crm.app())
    async with httpx.AsyncClient(transport=transport) as http:
        worker = queue_backend.worker(settings, http=http, sleep=clock.sleep)
        report = await worker.run_once()
        again = await worker.run_once()
    assert (report.synced, report.dead_lettered, again.handled) == (5, 0, 0)
    assert sorted(crm.references()) == [f"L{n}" for n in range(5)]
    assert crm.unavailable_answers > 0
    assert clock.now >= 10.0
    assert all(d <= 8.0 + 0.5 for d in clock.delays)
    assert set((await queue.sizes()).values()) == {0}
