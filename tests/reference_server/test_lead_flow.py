"""The lead flow end to end through the client: cleaning, CONFIRM, SUCCESS and the queue."""

from __future__ import annotations

import asyncio
import json

import pytest

from harness.client import AsyncFlowClient, FlowClient, Outcome
from reference_server import create_app

from .conftest import FLOW_ID, GOOD_FORM, PHONE

pytestmark = pytest.mark.anyio


async def entries(app, stream: str = "leads:incoming") -> list[dict]:
    return [fields for _, fields in await app.state.redis.xrange(stream)]


async def test_lead_screen_cleans_and_asks_to_confirm(app, client, token):
    result = await client.data_exchange("LEAD", GOOD_FORM, token)
    assert result.outcome is Outcome.OK
    assert result.payload["screen"] == "CONFIRM"
    data = result.payload["data"]
    assert data["first_name"] == "Jean-Pierre"
    assert data["last_name"] == "De la Fontaine"
    assert data["email"] == "jean.pierre@example.com"
    assert data["company"] == "Acme SAS"
    assert data["error_message"] == ""
    assert data["consent"] is True
    assert await entries(app) == []  # nothing queued before the person confirms


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"first_name": "   "}, "first name"),
        ({"interest": "cheese"}, "interested"),
        ({"phone": "12"}, "phone"),
    ],
)
async def test_invalid_input_returns_the_same_screen_with_a_message(client, token, change, message):
    result = await client.data_exchange("LEAD", {**GOOD_FORM, **change}, token)
    assert result.outcome is Outcome.OK
    assert result.payload["screen"] == "LEAD"
    assert set(result.payload["data"]) == {"error_message"}
    assert message in result.payload["data"]["error_message"]


async def test_confirm_queues_the_lead_and_closes_the_flow(app, client, token):
    confirm = (await client.data_exchange("LEAD", GOOD_FORM, token)).payload["data"]
    submitted = {k: v for k, v in confirm.items() if k not in ("summary", "error_message")}
    result = await client.data_exchange("CONFIRM", {**submitted, "confirmed": True}, token)
    assert result.outcome is Outcome.OK
    assert result.payload["screen"] == "SUCCESS"
    params = result.payload["data"]["extension_message_response"]["params"]
    assert params["flow_token"] == token
    queued = await entries(app)
    assert len(queued) == 1
    lead = json.loads(queued[0]["lead"])
    assert queued[0]["lead_id"] == lead["lead_id"] == params["lead_reference"]
    assert lead["phone"] == PHONE
    assert lead["flow_id"] == FLOW_ID
    assert (lead["campaign"], lead["source"]) == ("spring", "ads")
    assert lead["email"] == "jean.pierre@example.com"


async def test_invalid_confirm_stays_on_confirm_with_declared_data(client, token):
    result = await client.data_exchange("CONFIRM", {**GOOD_FORM, "email": "x@"}, token)
    assert result.payload["screen"] == "CONFIRM"
    assert result.payload["data"]["error_message"]
    assert set(result.payload["data"]) >= {"summary", "first_name", "consent", "phone"}


async def test_five_identical_concurrent_submissions_queue_one_lead(
    make_settings, redis_url, public_pem, app_secret, token
):
    app = create_app(make_settings(redis_url=redis_url))
    form = {**GOOD_FORM, "confirmed": True}
    async with AsyncFlowClient(app, public_key=public_pem, app_secret=app_secret) as c:
        results = await asyncio.gather(*(c.data_exchange("CONFIRM", form, token) for _ in range(5)))
        assert {r.outcome for r in results} == {Outcome.OK}
        assert all(r.payload == results[0].payload for r in results)
        assert await app.state.redis.xlen("leads:incoming") == 1
        # a different submission is a new lead
        other = await c.data_exchange("CONFIRM", {**form, "company": "Other"}, token)
        assert other.payload != results[0].payload
        assert await app.state.redis.xlen("leads:incoming") == 2
    await app.state.http.aclose()
    await app.state.redis.aclose()


async def test_repeat_after_the_window_is_a_new_lead(make_settings, public_pem, app_secret, token):
    app = create_app(make_settings(idempotency_ttl_seconds=120))
    form = {**GOOD_FORM, "confirmed": True}
    async with AsyncFlowClient(app, public_key=public_pem, app_secret=app_secret) as c:
        first = await c.data_exchange("CONFIRM", form, token)
        keys = await app.state.redis.keys("leads:idem:*")
        assert len(keys) == 1
        assert 0 < await app.state.redis.ttl(keys[0]) <= 120
        await app.state.redis.delete(*keys)  # as if the window had passed
        second = await c.data_exchange("CONFIRM", form, token)
    assert first.payload != second.payload
    assert await app.state.redis.xlen("leads:incoming") == 2


def test_sync_client_with_a_loop_per_request(
    make_settings, redis_url, public_pem, app_secret, token
):
    """The sync client may run each request on a new event loop: Redis must follow."""
    app = create_app(make_settings(redis_url=redis_url))
    client = FlowClient(app, public_key=public_pem, app_secret=app_secret)
    try:
        results = [
            client.data_exchange("CONFIRM", {**GOOD_FORM, "company": f"C{i}"}, token)
            for i in range(3)
        ]
    finally:
        client.close()
    assert [r.outcome for r in results] == [Outcome.OK] * 3
    references = {
        r.payload["data"]["extension_message_response"]["params"]["lead_reference"] for r in results
    }
    assert len(references) == 3
