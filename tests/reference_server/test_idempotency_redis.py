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


def commands_run(probe: redis.Redis) -> dict[str, int]:
    """Calls of each command so far (a script's own calls included), INFO left out."""
    stats = probe.info("commandstats")
    return {
        name[len("cmdstat_") :]: s["calls"] for name, s in stats.items() if name != "cmdstat_info"
    }


def commands_between(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: n - before.get(name, 0) for name, n in after.items() if n - before.get(name, 0)}


async def test_a_confirmed_lead_is_one_round_trip(make_settings, real_url, open_app):
    """One script checks the key, queues the lead and stores its answer: no claim first."""
    app, client = await open_app(make_settings(redis_url=real_url))
    await app.state.redis.ping()  # the connections' own set-up, out of the count
    probe = redis.Redis.from_url(real_url)
    probe.ping()
    before = commands_run(probe)
    first = await client.data_exchange("CONFIRM", FORM, token(ANA))
    queued = commands_between(before, commands_run(probe))
    assert first.payload["screen"] == "SUCCESS"
    # EVAL the first time this server sees the script, EVALSHA after; inside it GET,
    # XADD and SET: nothing else reaches Redis
    assert queued in (
        {"evalsha": 1, "eval": 1, "get": 1, "xadd": 1, "set": 1},
        {"evalsha": 1, "get": 1, "xadd": 1, "set": 1},
    )
    before = commands_run(probe)
    again = await client.data_exchange("CONFIRM", FORM, token(ANA))
    # the process that answered remembers the answer: a double tap reaching it costs none
    assert commands_between(before, commands_run(probe)) == {}
    probe.close()
    assert again.payload == first.payload
    assert await app.state.redis.xlen("leads:incoming") == 1


async def test_a_redis_that_lost_its_scripts_still_takes_leads(make_settings, real_url, open_app):
    """A restarted Redis has no scripts cached: the endpoint sends the script again."""
    app, client = await open_app(make_settings(redis_url=real_url))
    await client.data_exchange("CONFIRM", FORM, token(ANA))
    await app.state.redis.script_flush()
    second = await client.data_exchange("CONFIRM", FORM, token(BEN))
    assert second.payload["screen"] == "SUCCESS"
    assert await app.state.redis.xlen("leads:incoming") == 2
    assert len(await app.state.redis.keys("leads:idem:*")) == 2


async def test_a_repeat_waits_for_a_claim_then_takes_over_when_it_is_given_up(
    make_settings, real_url, open_app
):
    """A key held by a claim (a copy going to the spool, or a process of the previous
    release) makes a repeat wait; when the claim is released, the repeat queues the lead."""
    from reference_server._idempotency import idempotency_key

    app, client = await open_app(make_settings(redis_url=real_url, idempotency_wait_seconds=5))
    flow_token = token(ANA)
    payload = {"version": "3.0", "action": "data_exchange", "screen": "CONFIRM",
               "data": FORM, "flow_token": flow_token}  # fmt: skip
    key = f"leads:idem:{idempotency_key(ANA, payload)}"
    await app.state.redis.set(key, "__pending__", ex=10)
    submission = asyncio.create_task(client.send(payload))
    await asyncio.sleep(0.3)
    assert not submission.done()
    assert await app.state.redis.xlen("leads:incoming") == 0
    await app.state.redis.delete(key)  # the first copy failed and released its claim
    result = await asyncio.wait_for(submission, 10)
    assert result.payload["screen"] == "SUCCESS"
    assert await app.state.redis.xlen("leads:incoming") == 1
    assert lead_reference(result) in await app.state.redis.get(key)
