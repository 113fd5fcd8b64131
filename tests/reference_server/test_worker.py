"""The worker: CRM upserts with retries, dead letters, parking with alerts, reclaiming."""

from __future__ import annotations

import json

import httpx
import pytest
import redis.asyncio as aioredis
import respx

from reference_server import CONSUMER_GROUP, CrmResult, LeadQueue
from reference_server.exceptions import (
    CrmPermanentError,
    CrmTransientError,
    CrmValidationError,
)
from reference_server.worker import Worker

from ._doubles import ScriptedCrm

pytestmark = pytest.mark.anyio
LEAD = {"lead_id": "L1", "phone": "+33612345678", "first_name": "Jean", "last_name": "Dupont",
        "email": "jean@example.com"}  # fmt: skip


class RecordedSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def sleep() -> RecordedSleep:
    return RecordedSleep()


async def make_worker(make_settings, redis, crm, sleep, **overrides) -> Worker:
    settings = make_settings(retry_max_attempts=4, retry_max_delay_seconds=8.0, **overrides)
    return Worker(settings, redis, crm=crm, sleep=sleep, http=httpx.AsyncClient())


async def test_synced_lead_is_acked_and_removed(make_settings, redis, sleep):
    crm = ScriptedCrm()
    worker = await make_worker(make_settings, redis, crm, sleep)
    await LeadQueue(redis).enqueue(LEAD)
    report = await worker.run_once()
    assert (report.synced, report.handled) == (1, 1)
    assert crm.calls == [LEAD]
    assert worker.results["L1"].record_id == "id-L1"
    assert await redis.xlen("leads:incoming") == 0
    assert (await redis.xpending("leads:incoming", CONSUMER_GROUP))["pending"] == 0
    assert (await worker.run_once()).handled == 0


async def test_transient_errors_are_retried_honouring_retry_after(make_settings, redis, sleep):
    crm = ScriptedCrm(
        CrmTransientError("429", retry_after=6.0), CrmTransientError("503"), CrmResult("9", False)
    )
    worker = await make_worker(make_settings, redis, crm, sleep)
    await LeadQueue(redis).enqueue(LEAD)
    report = await worker.run_once()
    assert report.synced == 1
    assert len(crm.calls) == 3
    assert len(sleep.delays) == 2
    assert sleep.delays[0] >= 6.0  # never sooner than Retry-After
    assert 0 < sleep.delays[1] <= 8.0 + 0.5  # backoff with jitter, capped


async def test_lead_goes_to_dead_letters_after_the_retry_budget(make_settings, redis, sleep):
    crm = ScriptedCrm(*[CrmTransientError("timeout") for _ in range(10)])
    worker = await make_worker(make_settings, redis, crm, sleep)
    await LeadQueue(redis).enqueue(LEAD)
    report = await worker.run_once()
    assert report.dead_lettered == 1
    assert len(crm.calls) == 4
    assert len(sleep.delays) == 3
    assert all(0 < d <= 8.0 + 0.5 for d in sleep.delays)
    ((_, dead),) = await redis.xrange("leads:dead")
    assert dead["reason"] == "retry_budget_exhausted"
    assert dead["attempts"] == "4"
    assert json.loads(dead["lead"]) == LEAD
    assert await redis.xlen("leads:incoming") == 0


async def test_permanent_error_is_dead_lettered_without_retry(make_settings, redis, sleep):
    crm = ScriptedCrm(CrmPermanentError("403 forbidden"))
    worker = await make_worker(make_settings, redis, crm, sleep)
    await LeadQueue(redis).enqueue(LEAD)
    assert (await worker.run_once()).dead_lettered == 1
    assert sleep.delays == []
    ((_, dead),) = await redis.xrange("leads:dead")
    assert dead["reason"] == "crm_permanent"


@respx.mock
async def test_validation_error_parks_the_lead_and_alerts(make_settings, redis, sleep):
    slack = respx.post("https://hooks.slack.test/T1").respond(200, text="ok")
    errors = [
        {"code": "INVALID_EMAIL_ADDRESS", "message": "jean@example.com is bad", "fields": ["Email"]}
    ]
    crm = ScriptedCrm(CrmValidationError("Salesforce rejected the lead", errors))
    worker = await make_worker(
        make_settings, redis, crm, sleep, slack_webhook_url="https://hooks.slack.test/T1"
    )
    await LeadQueue(redis).enqueue(LEAD)
    assert (await worker.run_once()).parked == 1
    assert len(crm.calls) == 1  # not retried
    ((_, parked),) = await redis.xrange("leads:parked")
    assert parked["reason"] == "crm_validation"
    assert json.loads(parked["errors"]) == errors
    assert json.loads(parked["lead"]) == LEAD
    text = json.loads(slack.calls.last.request.content)["text"]
    assert "L1" in text
    assert "INVALID_EMAIL_ADDRESS" in text
    assert "jean@example.com" not in text  # personal data masked in alerts


async def test_entries_left_pending_by_a_crashed_worker_are_reclaimed(make_settings, redis, sleep):
    queue = LeadQueue(redis)
    await queue.ensure_group()
    await queue.enqueue(LEAD)
    # a worker reads the entry and dies before acknowledging it
    await redis.xreadgroup(CONSUMER_GROUP, "crashed", {"leads:incoming": ">"}, count=10)
    assert (await redis.xpending("leads:incoming", CONSUMER_GROUP))["pending"] == 1
    crm = ScriptedCrm()
    worker = await make_worker(make_settings, redis, crm, sleep, reclaim_min_idle_ms=0)
    report = await worker.run_once()
    assert (report.reclaimed, report.synced) == (1, 1)
    assert (await redis.xpending("leads:incoming", CONSUMER_GROUP))["pending"] == 0


async def test_young_pending_entries_are_left_to_their_worker(make_settings, redis, sleep):
    queue = LeadQueue(redis)
    await queue.ensure_group()
    await queue.enqueue(LEAD)
    await redis.xreadgroup(CONSUMER_GROUP, "busy", {"leads:incoming": ">"}, count=10)
    worker = await make_worker(
        make_settings, redis, ScriptedCrm(), sleep, reclaim_min_idle_ms=60_000
    )
    assert (await worker.run_once()).handled == 0


async def test_malformed_entry_is_dead_lettered(make_settings, redis, sleep):
    await redis.xadd("leads:incoming", {"lead_id": "bad", "lead": "{not json"})
    worker = await make_worker(make_settings, redis, ScriptedCrm(), sleep)
    assert (await worker.run_once()).dead_lettered == 1
    ((_, dead),) = await redis.xrange("leads:dead")
    assert dead["reason"] == "malformed_entry"


@respx.mock
async def test_worker_builds_the_configured_hubspot_adapter(make_settings, redis, sleep):
    respx.post("https://hubspot.test/crm/v3/objects/contacts/search").respond(json={"results": []})
    create = respx.post("https://hubspot.test/crm/v3/objects/contacts").respond(
        201, json={"id": "5"}
    )
    async with httpx.AsyncClient() as http:
        worker = Worker(make_settings(), redis, http=http, sleep=sleep)
        await LeadQueue(redis).enqueue(LEAD)
        assert (await worker.run_once()).synced == 1
    assert json.loads(create.calls.last.request.content)["properties"]["firstname"] == "Jean"


async def test_worker_needs_crm_credentials(make_settings, redis: aioredis.Redis):
    from reference_server.exceptions import ConfigurationError

    with pytest.raises(ConfigurationError, match="SALESFORCE_CLIENT_ID"):
        Worker(make_settings(crm="salesforce"), redis, http=httpx.AsyncClient())
