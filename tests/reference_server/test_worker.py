"""The worker: CRM upserts with retries, dead letters, parking with alerts, reclaiming;
on every queue backend (Redis Streams on fakeredis and redis-server, SQS on moto)."""

from __future__ import annotations

import json

import httpx
import pytest
import redis.asyncio as aioredis
import respx

from reference_server import CrmResult, replay
from reference_server.exceptions import (
    CrmPermanentError,
    CrmTransientError,
    CrmValidationError,
)
from reference_server.worker import Worker

from ._doubles import ScriptedCrm
from ._queue_backends import QueueBackend, lead_json

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


def make_worker(backend: QueueBackend, crm, sleep, **overrides) -> Worker:
    settings = backend.settings(retry_max_attempts=4, retry_max_delay_seconds=8.0, **overrides)
    return backend.worker(settings, crm=crm, sleep=sleep, http=httpx.AsyncClient())


async def test_synced_lead_is_acked_and_removed(queue_backend, sleep):
    crm = ScriptedCrm()
    worker = make_worker(queue_backend, crm, sleep)
    await queue_backend.queue.enqueue(LEAD)
    report = await worker.run_once()
    assert (report.synced, report.handled) == (1, 1)
    assert crm.calls == [LEAD]
    assert worker.results["L1"].record_id == "id-L1"
    assert await queue_backend.waiting() == 0
    assert await queue_backend.in_flight() == 0
    assert (await worker.run_once()).handled == 0


async def test_transient_errors_are_retried_honouring_retry_after(queue_backend, sleep):
    crm = ScriptedCrm(
        CrmTransientError("429", retry_after=6.0), CrmTransientError("503"), CrmResult("9", False)
    )
    worker = make_worker(queue_backend, crm, sleep)
    await queue_backend.queue.enqueue(LEAD)
    report = await worker.run_once()
    assert report.synced == 1
    assert len(crm.calls) == 3
    assert len(sleep.delays) == 2
    assert sleep.delays[0] >= 6.0  # never sooner than Retry-After
    assert 0 < sleep.delays[1] <= 8.0 + 0.5  # backoff with jitter, capped


async def test_lead_goes_to_dead_letters_after_the_retry_budget(queue_backend, sleep):
    crm = ScriptedCrm(*[CrmTransientError("timeout") for _ in range(10)])
    worker = make_worker(queue_backend, crm, sleep)
    await queue_backend.queue.enqueue(LEAD)
    report = await worker.run_once()
    assert report.dead_lettered == 1
    assert len(crm.calls) == 4
    assert len(sleep.delays) == 3
    assert all(0 < d <= 8.0 + 0.5 for d in sleep.delays)
    (dead,) = await queue_backend.held("dead")
    assert dead["reason"] == "retry_budget_exhausted"
    assert dead["attempts"] == "4"
    assert json.loads(dead["lead"]) == LEAD
    assert await queue_backend.waiting() == 0


async def test_permanent_error_is_dead_lettered_without_retry(queue_backend, sleep):
    crm = ScriptedCrm(CrmPermanentError("403 forbidden"))
    worker = make_worker(queue_backend, crm, sleep)
    await queue_backend.queue.enqueue(LEAD)
    assert (await worker.run_once()).dead_lettered == 1
    assert sleep.delays == []
    (dead,) = await queue_backend.held("dead")
    assert dead["reason"] == "crm_permanent"


@respx.mock
async def test_validation_error_parks_the_lead_and_alerts(queue_backend, sleep):
    slack = respx.post("https://hooks.slack.test/T1").respond(200, text="ok")
    errors = [
        {"code": "INVALID_EMAIL_ADDRESS", "message": "jean@example.com is bad", "fields": ["Email"]}
    ]
    crm = ScriptedCrm(CrmValidationError("Salesforce rejected the lead", errors))
    worker = make_worker(queue_backend, crm, sleep, slack_webhook_url="https://hooks.slack.test/T1")
    await queue_backend.queue.enqueue(LEAD)
    assert (await worker.run_once()).parked == 1
    assert len(crm.calls) == 1  # not retried
    (parked,) = await queue_backend.held("parked")
    assert parked["reason"] == "crm_validation"
    assert json.loads(parked["errors"]) == errors
    assert json.loads(parked["lead"]) == LEAD
    text = json.loads(slack.calls.last.request.content)["text"]
    assert "L1" in text
    assert "INVALID_EMAIL_ADDRESS" in text
    assert "jean@example.com" not in text  # personal data masked in alerts


async def test_entries_left_pending_by_a_crashed_worker_are_reclaimed(queue_backend, sleep):
    await queue_backend.queue.enqueue(LEAD)
    # a worker takes the entry and dies before acknowledging it
    assert await queue_backend.take_as("crashed", queue_backend.settings()) == 1
    assert await queue_backend.in_flight() == 1
    crm = ScriptedCrm()
    worker = make_worker(queue_backend, crm, sleep, reclaim_min_idle_ms=0)
    await queue_backend.reclaimable()
    report = await worker.run_once()
    assert (report.reclaimed, report.synced) == (1, 1)
    assert await queue_backend.in_flight() == 0


async def test_young_pending_entries_are_left_to_their_worker(queue_backend, sleep):
    await queue_backend.queue.enqueue(LEAD)
    busy = queue_backend.settings(reclaim_min_idle_ms=60_000)
    assert await queue_backend.take_as("busy", busy) == 1
    worker = make_worker(queue_backend, ScriptedCrm(), sleep, reclaim_min_idle_ms=60_000)
    assert (await worker.run_once()).handled == 0


async def test_malformed_entry_is_dead_lettered(queue_backend, sleep):
    await queue_backend.append_raw({"lead_id": "bad", "lead": "{not json"})
    worker = make_worker(queue_backend, ScriptedCrm(), sleep)
    assert (await worker.run_once()).dead_lettered == 1
    (dead,) = await queue_backend.held("dead")
    assert dead["reason"] == "malformed_entry"


@respx.mock
async def test_worker_builds_the_configured_hubspot_adapter(queue_backend, sleep):
    respx.post("https://hubspot.test/crm/v3/objects/contacts/search").respond(json={"results": []})
    create = respx.post("https://hubspot.test/crm/v3/objects/contacts").respond(
        201, json={"id": "5"}
    )
    async with httpx.AsyncClient() as http:
        worker = queue_backend.worker(http=http, sleep=sleep)
        await queue_backend.queue.enqueue(LEAD)
        assert (await worker.run_once()).synced == 1
    assert json.loads(create.calls.last.request.content)["properties"]["firstname"] == "Jean"


async def test_worker_needs_crm_credentials(make_settings, redis: aioredis.Redis):
    from reference_server.exceptions import ConfigurationError

    with pytest.raises(ConfigurationError, match="SALESFORCE_CLIENT_ID"):
        Worker(make_settings(crm="salesforce"), redis, http=httpx.AsyncClient())


@pytest.fixture
async def redrive_after_two(make_settings, sqs_settings):
    """SQS queues created with a redrive policy of ``maxReceiveCount`` 2."""
    overrides = {"redis_url": None, **sqs_settings, "sqs_max_receive_count": 2}
    backend = QueueBackend.open("sqs", overrides, make_settings)
    yield backend
    await backend.close()


@pytest.mark.sqs
async def test_the_last_receive_sqs_allows_dead_letters_the_lead_with_an_alert(
    redrive_after_two, sleep
):
    """SQS moves an entry received ``maxReceiveCount`` times to the dead-letter queue
    without telling anyone: the worker holds it itself, with an alert, on that receive."""
    backend = redrive_after_two
    await backend.queue.enqueue(LEAD)
    await backend.take_as("died-once", backend.settings())
    await backend.reclaimable()
    crm = ScriptedCrm()
    worker = make_worker(backend, crm, sleep, slack_webhook_url="https://hooks.slack.test/T1")
    with respx.mock:
        slack = respx.post("https://hooks.slack.test/T1").respond(200, text="ok")
        report = await worker.run_once()
    assert (report.dead_lettered, report.reclaimed, report.alerts_sent) == (1, 1, 1)
    assert crm.calls == []
    (dead,) = await backend.held("dead")
    assert dead["reason"] == "redelivered"
    assert "taken 2 times" in dead["error"]
    text = json.loads(slack.calls.last.request.content)["text"]
    assert "flowharness leads replay dead --lead L1" in text


@pytest.mark.sqs
async def test_an_entry_sqs_moved_itself_is_listed_and_replayed(redrive_after_two, sleep):
    backend = redrive_after_two
    await backend.queue.enqueue(LEAD)
    for name in ("first", "second"):  # two workers die on it: all SQS allows
        await backend.take_as(name, backend.settings())
        await backend.reclaimable()
    worker = make_worker(backend, ScriptedCrm(), sleep)
    assert (await worker.run_once()).handled == 0  # SQS moved it instead of handing it out
    (dead,) = await backend.held("dead")
    assert (dead["reason"], dead["lead_id"]) == ("sqs_redrive", "L1")
    assert (await replay(backend.queue, "dead")).count == 1
    assert (await worker.run_once()).synced == 1


async def test_a_copy_of_a_written_lead_is_only_acknowledged(queue_backend, sleep):
    crm = ScriptedCrm()
    worker = make_worker(queue_backend, crm, sleep)
    await queue_backend.queue.enqueue(LEAD)
    assert (await worker.run_once()).synced == 1
    await queue_backend.append_raw(lead_json(LEAD))  # a copy arriving later
    assert (await worker.run_once()).duplicates == 1
    assert [c["lead_id"] for c in crm.calls] == ["L1"]
