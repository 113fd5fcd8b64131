"""Idempotency on a real redis-server: the window, the stored answer's lifetime (read
with TTL/PTTL, never faked by deleting keys), and what counts as the same submission."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis

from harness.client import AsyncFlowClient
from reference_server import FlowTokens, Settings, create_app

from .conftest import FLOW_ID, GOOD_FORM, TOKEN_SECRET

pytestmark = [pytest.mark.anyio, pytest.mark.redis_server]
FORM = {**GOOD_FORM, "confirmed": True}
ANA, BEN = "+33612345678", "+33698765432"


@pytest.fixture
def real_url(real_redis) -> str:
    with redis.Redis.from_url(real_redis.url) as client:
        client.flushall()
    return str(real_redis.url)


@pytest.fixture
async def open_app(public_pem, app_secret):
    opened = []

    async def make(settings):
        app = create_app(settings)
        client = AsyncFlowClient(app, public_key=public_pem, app_secret=app_secret)
        opened.append((app, client))
        return app, client

    yield make
    for app, client in opened:
        await client.aclose()
        await app.state.http.aclose()
        await app.state.redis.aclose()


def token(phone: str) -> str:
    return FlowTokens([TOKEN_SECRET]).issue(phone, FLOW_ID)


def lead_reference(result) -> str:
    return result.payload["data"]["extension_message_response"]["params"]["lead_reference"]


async def test_the_default_window_is_five_minutes():
    assert Settings(_env_file=None).idempotency_ttl_seconds == 300  # type: ignore[call-arg]


async def test_the_same_form_from_two_phones_is_two_leads(make_settings, real_url, open_app):
    app, client = await open_app(make_settings(redis_url=real_url))
    ana, ben = await asyncio.gather(
        client.data_exchange("CONFIRM", FORM, token(ANA)),
        client.data_exchange("CONFIRM", FORM, token(BEN)),
    )
    assert lead_reference(ana) != lead_reference(ben)
    entries = await app.state.redis.xrange("leads:incoming")
    assert sorted(e[1]["lead_id"] for e in entries) == sorted(
        [lead_reference(ana), lead_reference(ben)]
    )


async def test_the_stored_answer_lives_exactly_as_long_as_the_key(
    make_settings, real_url, open_app
):
    app, client = await open_app(make_settings(redis_url=real_url))
    first = await client.data_exchange("CONFIRM", FORM, token(ANA))
    keys = await app.state.redis.keys("leads:idem:*")
    assert len(keys) == 1  # the claim and the answer are one key: they cannot outlive each other
    stored = await app.state.redis.get(keys[0])
    assert lead_reference(first) in stored
    ttl, pttl = await app.state.redis.ttl(keys[0]), await app.state.redis.pttl(keys[0])
    assert 300 - 30 <= ttl <= 300  # the default window, less what the test took
    assert 300_000 - 30_000 <= pttl <= 300_000
    again = await client.data_exchange("CONFIRM", FORM, token(ANA))
    assert again.payload == first.payload
    assert await app.state.redis.pttl(keys[0]) <= pttl  # a repeat does not extend it


async def test_a_repeat_after_the_window_is_a_new_lead(make_settings, real_url, open_app):
    app, client = await open_app(make_settings(redis_url=real_url, idempotency_ttl_seconds=1))
    first = await client.data_exchange("CONFIRM", FORM, token(ANA))
    (key,) = await app.state.redis.keys("leads:idem:*")
    assert 0 < await app.state.redis.pttl(key) <= 1000
    deadline = time.monotonic() + 10
    while await app.state.redis.exists(key):  # Redis expires it; nothing deletes it
        assert time.monotonic() < deadline, "the idempotency key never expired"
        await asyncio.sleep(0.05)
    second = await client.data_exchange("CONFIRM", FORM, token(ANA))
    assert lead_reference(first) != lead_reference(second)
    assert await app.state.redis.xlen("leads:incoming") == 2
