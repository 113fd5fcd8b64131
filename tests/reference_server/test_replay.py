"""Replaying what the worker put aside: dead-lettered and parked leads, failed
notification channels and photos come back once, never twice, with their data; on every
queue backend (Redis Streams on fakeredis and redis-server, SQS on moto)."""

# Fixtures come in by import, so test arguments "redefine" them:
# ruff: noqa: F811
from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import respx

from mocks._core import StatusFault
from mocks.crm.hubspot import HubSpotAdmin
from reference_server import CrmResult, LeadQueue, held, replay
from reference_server.exceptions import ReplayError

from ._mock_wiring import (  # noqa: F401  (fixtures)
    _served_hubspot,
    _served_salesforce,
    _served_slack,
    hubspot,
    make_stack,
    no_sleep,
    salesforce,
    slack,
    wired_settings,
)
from ._queue_backends import entries
from .conftest import GOOD_FORM
from .fake_hubspot import FakeHubSpot

pytestmark = pytest.mark.anyio
LEAD = {"lead_id": "L7", "phone": "+33612345678", "first_name": "Ana", "last_name": "Lima",
        "email": "ana@example.com"}  # fmt: skip


class CountingCrm:
    name = "counting"

    def __init__(self) -> None:
        self.calls = 0

    async def upsert(self, lead: dict[str, Any]) -> CrmResult:
        self.calls += 1
        return CrmResult("9", True)


async def test_a_dead_lead_replayed_after_the_crm_recovers_lands_once(
    queue_backend, wired_settings, make_stack, hubspot, token
):
    hubspot.admin.add_fault(StatusFault(status=503), path="/crm/*", times=2)
    stack = await make_stack(wired_settings(**queue_backend.overrides, retry_max_attempts=2))
    done = await stack.client.data_exchange("CONFIRM", {**GOOD_FORM, "confirmed": True}, token)
    reference = done.payload["data"]["extension_message_response"]["params"]["lead_reference"]
    assert (await stack.worker.run_once()).dead_lettered == 1
    assert HubSpotAdmin(hubspot.admin).contacts() == []

    queue: LeadQueue = stack.app.state.queue
    (entry,) = await held(queue, "dead")
    assert (entry.lead_id, entry.reason, entry.attempts) == (
        reference,
        "retry_budget_exhausted",
        2,
    )
    first = await replay(queue, "dead")
    assert list(first.moved) == [entry.id]
    (back,) = await entries(queue, queue.streams.incoming)
    assert back["lead"] == entry.fields["lead"]  # the lead's data, untouched
    assert (back["replayed_from"], back["replays"]) == ("dead", "1")

    second = await replay(queue, "dead", ids=[entry.id])
    assert (second.moved, second.missing) == ({}, [entry.id])

    assert (await stack.worker.run_once()).synced == 1
    assert (await stack.worker.run_once()).handled == 0
    (contact,) = HubSpotAdmin(hubspot.admin).contacts()
    assert contact.properties["flow_lead_reference"] == reference
    sizes = await queue.sizes()
    assert (sizes["incoming"], sizes["dead"]) == (0, 0)


async def test_a_replayed_lead_that_fails_again_keeps_counting(queue_backend):
    crm = FakeHubSpot(is_down=lambda: True)
    settings = queue_backend.settings(retry_max_attempts=1)
    queue = queue_backend.queue
    await queue.enqueue(LEAD)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=crm.app())) as http:
        worker = queue_backend.worker(settings, http=http, sleep=no_sleep)
        await worker.run_once()
        for expected in (1, 2):
            assert (await replay(queue, "dead")).count == 1
            assert (await worker.run_once()).dead_lettered == 1
            (entry,) = await held(queue, "dead")
            assert entry.replays == expected
        crm.is_down = lambda: False
        assert (await replay(queue, "dead")).count == 1
        assert (await worker.run_once()).synced == 1
    assert crm.references() == ["L7"]


async def test_concurrent_replays_move_each_entry_once(queue_backend):
    queue = queue_backend.queue
    for n in range(6):
        lead = {**LEAD, "lead_id": f"L{n}"}
        await queue.dead_letter(
            f"L{n}", json.dumps(lead), reason="retry_budget_exhausted", error="503", attempts=5
        )
    reports = await asyncio.gather(*(replay(queue, "dead") for _ in range(3)))
    assert sum(r.count for r in reports) == 6
    moved = [old for r in reports for old in r.moved]
    assert len(set(moved)) == 6
    back = await queue_backend.incoming()
    assert sorted(fields["lead_id"] for fields in back) == [f"L{n}" for n in range(6)]
    assert await held(queue, "dead") == []


async def test_a_parked_lead_goes_back_to_incoming(queue_backend):
    queue = queue_backend.queue
    await queue.park("L7", json.dumps(LEAD), error="bad email", errors=[{"name": "email"}])
    await queue.dead_letter("L8", json.dumps(LEAD), reason="x", error="y", attempts=1)
    report = await replay(queue, "parked", limit=5)
    assert report.count == 1
    (back,) = await queue_backend.incoming()
    assert (back["lead_id"], back["replayed_from"]) == ("L7", "parked")
    assert len(await held(queue, "dead")) == 1  # other sources untouched


@respx.mock
async def test_a_failed_channel_is_replayed_alone(queue_backend):
    settings = queue_backend.settings(
        notify_slack_webhook_url="https://hooks.slack.test/N",
        notify_teams_webhook_url="https://teams.test/hook",
        notify_max_attempts=2,
    )
    slack = respx.post("https://hooks.slack.test/N")
    slack.side_effect = [httpx.Response(500)] * 2 + [httpx.Response(200)]
    teams = respx.post("https://teams.test/hook").respond(200)
    queue = queue_backend.queue
    crm = CountingCrm()
    await queue.enqueue(LEAD)
    async with httpx.AsyncClient() as http:
        worker = queue_backend.worker(settings, crm=crm, http=http, sleep=no_sleep)
        assert (await worker.run_once()).notifications_failed == 1
        (failed,) = await held(queue, "notify_failed")
        assert (failed.lead_id, failed.reason) == ("L7", "channel_failed:slack")
        assert (await replay(queue, "notify_failed")).count == 1
        report = await worker.run_once()
    assert (report.notifications_sent, report.notifications_failed) == (1, 0)
    assert (slack.call_count, teams.call_count) == (3, 1)  # teams is not told twice
    assert crm.calls == 1
    assert await held(queue, "notify_failed") == []


async def test_failed_photos_go_back_and_unusable_entries_stay(queue_backend):
    queue = queue_backend.queue
    streams = queue.streams
    photo = {"phone": "+33612345678", "lead_reference": "R1", "media_id": "M1", "wamid": "W1"}
    good = await queue.add(streams.attachments_failed, photo | {"reason": "media_error"})
    broken = await queue.add(streams.attachments_failed, {"phone": "+33612345678"})
    garbled = await queue.dead_letter(
        "L9", "{not json", reason="malformed_entry", error="", attempts=0
    )
    report = await replay(queue, "attachments_failed")
    assert list(report.moved) == [good]
    assert list(report.unusable) == [broken]
    (back,) = await queue_backend.entries(streams.attachments)
    assert {k: back[k] for k in photo} == photo
    assert back["replays"] == "1"
    assert [e.id for e in await held(queue, "attachments_failed")] == [broken]
    assert list((await replay(queue, "dead")).unusable) == [garbled]


@pytest.mark.parametrize(
    ("source", "options", "message"),
    [
        ("incoming", {}, "choose one of"),
        ("dead", {"ids": ["not-an-id"]}, "not a stream entry id|not an SQS message id"),
        ("dead", {"limit": 0}, "at least 1"),
    ],
)
async def test_bad_replay_requests_say_what_is_wrong(queue_backend, source, options, message):
    with pytest.raises(ReplayError, match=message):
        await replay(queue_backend.queue, source, **options)
