"""Staff notifications through WASenderApi: the message with the CRM record link, 429s
and 5xx retried (never sooner than asked), refusals (400/401/422) not retried and told
to operations. Against respx for exact answers, and end to end against the WASenderApi
mock (``mock_wasender``), in-process and served."""

# Fixtures come in by import, so test arguments "redefine" them:
# ruff: noqa: F811
from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from mocks.slack import SlackAdmin
from mocks.wasender import WasenderAdmin
from reference_server import CrmResult, Worker
from reference_server._notify import Notifier

from ._mock_wiring import (  # noqa: F401  (fixtures)
    OPS_TEAM,
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
from .conftest import GOOD_FORM
from .test_against_mocks import submit

pytestmark = pytest.mark.anyio
BASE = "https://wasender.test/api"
SEND = f"{BASE}/send-message"
STAFF = ["+14155550100", "+14155550111"]
LEAD = {"lead_id": "ref-1", "first_name": "Ana", "last_name": "Lima", "interest": "demo"}
RESULT = CrmResult("42", True, "https://crm.example.com/leads/42")
TEMPLATE = "https://crm.example.com/leads/{id}"
OK = {"success": True, "data": {"msgId": 1, "jid": "+14155550100", "status": "in_progress"}}


class Waits:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def notifier(make_settings: Any, sleep: Any, **overrides: Any) -> tuple[Notifier, Any]:
    values = {
        "notify_wasender_base_url": BASE,
        "notify_wasender_api_key": "session-key",
        "notify_wasender_to": STAFF[:1],
    }
    settings = make_settings(**(values | overrides))
    http = httpx.AsyncClient()
    return Notifier(settings, http, sleep=sleep), http


@respx.mock
async def test_the_message_goes_to_each_number_with_the_record_link(make_settings):
    route = respx.post(SEND).respond(200, json=OK)
    sender, http = notifier(make_settings, Waits(), notify_wasender_to=STAFF)
    async with http:
        assert await sender.notify(LEAD, RESULT) == {"wasender": "sent"}
    sent = [json.loads(call.request.content) for call in route.calls]
    assert [body["to"] for body in sent] == STAFF
    for call, body in zip(route.calls, sent, strict=True):
        assert call.request.headers["authorization"] == "Bearer session-key"
        assert RESULT.record_url in body["text"]
        assert "ref-1" in body["text"]


@respx.mock
@pytest.mark.parametrize(
    ("answer", "least"),
    [
        (httpx.Response(429, json={"message": "slow down", "retry_after": 7}), 7.0),
        (httpx.Response(429, headers={"Retry-After": "5"}, json={"message": "x"}), 5.0),
        (httpx.Response(503, text="maintenance"), 0.0),
    ],
    ids=["429-retry_after", "429-Retry-After", "503"],
)
async def test_busy_answers_are_retried_never_sooner_than_asked(make_settings, answer, least):
    route = respx.post(SEND).mock(side_effect=[answer, httpx.Response(200, json=OK)])
    waits = Waits()
    sender, http = notifier(make_settings, waits)
    async with http:
        assert await sender.notify(LEAD, RESULT) == {"wasender": "sent"}
    assert route.call_count == 2
    assert len(waits.delays) == 1
    assert waits.delays[0] >= least


@respx.mock
async def test_a_retry_skips_the_numbers_already_told(make_settings):
    route = respx.post(SEND).mock(
        side_effect=[
            httpx.Response(200, json=OK),
            httpx.Response(502),
            httpx.Response(200, json=OK),
        ]
    )
    sender, http = notifier(make_settings, Waits(), notify_wasender_to=STAFF)
    async with http:
        assert await sender.notify(LEAD, RESULT) == {"wasender": "sent"}
    told = [json.loads(call.request.content)["to"] for call in route.calls]
    assert told == [STAFF[0], STAFF[1], STAFF[1]]


@respx.mock
@pytest.mark.parametrize(
    ("status", "body", "hint"),
    [
        (401, {"success": False, "message": "Invalid API key"}, "WASENDER_API_KEY"),
        (422, {"success": False, "message": "Validation failed"}, "WASENDER_TO"),
        (400, {"success": False, "message": "session not connected"}, "reconnect"),
    ],
)
async def test_refusals_are_not_retried(make_settings, status, body, hint):
    route = respx.post(SEND).respond(status, json=body)
    waits = Waits()
    sender, http = notifier(make_settings, waits, notify_max_attempts=5)
    async with http:
        assert await sender.notify(LEAD, RESULT) == {"wasender": "refused"}
    assert route.call_count == 1
    assert waits.delays == []
    assert hint in sender.refusals["wasender"]
    assert "session-key" not in sender.refusals["wasender"]


def test_the_channel_needs_a_key_and_numbers(make_settings):
    http = httpx.AsyncClient()
    only_numbers = make_settings(notify_wasender_to=STAFF)
    assert "wasender" not in Notifier(only_numbers, http).channels()
    both = make_settings(notify_wasender_to=STAFF, notify_wasender_api_key="k")
    assert "wasender" in Notifier(both, http).channels()


# -- end to end: the endpoint, the worker (SQL CRM on SQLite), the WASenderApi mock ----


def wasender_settings(wired_settings: Any, mock: Any, tmp_path: Any, **overrides: Any) -> Any:
    values = {
        "crm": "sql",
        "sql_url": str(tmp_path / "leads.sqlite3"),
        "sql_record_url_template": TEMPLATE,
        "notify_slack_webhook_url": None,
        "notify_email_to": [],
        "notify_wasender_base_url": mock.url + mock.credentials["api_path"],
        "notify_wasender_api_key": mock.credentials["api_key"],
        "notify_wasender_to": STAFF[:1],
    }
    return wired_settings(**(values | overrides))


async def lead_through(stack: Any, settings: Any, http: httpx.AsyncClient, token: str) -> Any:
    reference = await submit(stack.client, token, GOOD_FORM)
    worker = Worker(settings, stack.app.state.redis, http=http, sleep=no_sleep)
    try:
        report = await worker.run_once()
        await worker.run_once()  # the jobs the first round queued (an alert)
    finally:
        await worker.aclose()
    return reference, worker, report


async def assert_told_with_link(mock: Any, worker: Any, reference: str) -> None:
    link = worker.results[reference].record_url
    assert link.startswith("https://crm.example.com/leads/")
    (message,) = WasenderAdmin(mock.admin).messages()
    assert message.to == STAFF[0]
    assert link in (message.text or "")
    assert reference in (message.text or "")
    assert "jean.pierre@example.com" not in (message.text or "")


@pytest.mark.flowharness_mocks(in_process=True)
async def test_a_lead_reaches_wasender_with_its_link_in_process(
    wired_settings, make_stack, mock_wasender, tmp_path, token
):
    settings = wasender_settings(wired_settings, mock_wasender, tmp_path)
    stack = await make_stack(settings)
    async with mock_wasender.async_client() as http:  # the mock's ASGI app, no socket
        reference, worker, report = await lead_through(stack, settings, http, token)
    assert (report.synced, report.notifications_sent) == (1, 1)
    assert worker.notifications[reference] == {"wasender": "sent"}
    await assert_told_with_link(mock_wasender, worker, reference)


async def test_a_lead_reaches_wasender_with_its_link_served(
    wired_settings, make_stack, mock_wasender, tmp_path, token
):
    WasenderAdmin(mock_wasender.admin).throttle(retry_after=1, times=1)  # one 429 first
    settings = wasender_settings(wired_settings, mock_wasender, tmp_path)
    stack = await make_stack(settings)
    async with httpx.AsyncClient() as http:
        reference, worker, report = await lead_through(stack, settings, http, token)
    assert (report.synced, report.notifications_sent) == (1, 1)
    statuses = [e.status for e in mock_wasender.admin.requests(path="/api/send-message")]
    assert statuses == [429, 200]
    await assert_told_with_link(mock_wasender, worker, reference)


async def test_a_wrong_api_key_is_told_to_operations_once(
    wired_settings, make_stack, mock_wasender, slack, tmp_path, token
):
    settings = wasender_settings(
        wired_settings, mock_wasender, tmp_path, notify_wasender_api_key="not-a-session-key"
    )
    stack = await make_stack(settings)
    async with httpx.AsyncClient() as http:
        reference, worker, _ = await lead_through(stack, settings, http, token)
    assert worker.notifications[reference] == {"wasender": "refused"}
    assert len(mock_wasender.admin.requests(path="/api/send-message")) == 1  # no retry
    assert WasenderAdmin(mock_wasender.admin).messages() == []
    (alert,) = SlackAdmin(slack.admin).messages(team=OPS_TEAM)
    text = alert.text or ""
    assert reference in text
    assert "401" in text
    assert "FLOWHARNESS_NOTIFY_WASENDER_API_KEY" in text
    assert f"flowharness leads replay notify-failed --lead {reference}" in text
    assert "not-a-session-key" not in text
    ((_, failed),) = await stack.app.state.redis.xrange("leads:notify:failed")
    assert (failed["lead_id"], failed["channel"]) == (reference, "wasender")
