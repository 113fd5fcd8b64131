"""Tokens carry the flow: an endpoint answers 427 to a token minted for a flow it does
not serve, and stores nothing under it."""

from __future__ import annotations

import logging

import pytest

from harness.client import AsyncFlowClient, Outcome
from reference_server import FlowTokens, create_app

from ._doubles import captured_logs
from .conftest import FLOW_ID, GOOD_FORM, PHONE, TOKEN_SECRET

pytestmark = pytest.mark.anyio
OTHER_FLOW = "9988776655"


@pytest.fixture
async def bound_client(make_settings, public_pem, app_secret):
    app = create_app(make_settings(flow_ids=[FLOW_ID]))
    async with AsyncFlowClient(app, public_key=public_pem, app_secret=app_secret) as client:
        yield app, client
    await app.state.http.aclose()
    await app.state.redis.aclose()


async def test_a_token_for_another_flow_is_refused_with_427(bound_client):
    app, client = bound_client
    foreign = FlowTokens([TOKEN_SECRET]).issue(PHONE, OTHER_FLOW)
    results = [
        await client.init(foreign),
        await client.data_exchange("LEAD", GOOD_FORM, foreign),
        await client.data_exchange("CONFIRM", {**GOOD_FORM, "confirmed": True}, foreign),
    ]
    assert [r.status for r in results] == [427] * 3
    assert all(r.outcome is Outcome.FLOW_TOKEN_INVALID for r in results)
    assert "another flow" in (results[0].error_msg or "")
    assert await app.state.redis.xlen("leads:incoming") == 0


async def test_a_token_for_a_served_flow_is_accepted(bound_client):
    app, client = bound_client
    own = FlowTokens([TOKEN_SECRET]).issue(PHONE, FLOW_ID)
    result = await client.data_exchange("CONFIRM", {**GOOD_FORM, "confirmed": True}, own)
    assert result.payload["screen"] == "SUCCESS"
    assert await app.state.redis.xlen("leads:incoming") == 1


async def test_the_default_flow_id_is_served(make_settings, public_pem, app_secret):
    app = create_app(make_settings(default_flow_id=FLOW_ID))
    foreign = FlowTokens([TOKEN_SECRET]).issue(PHONE, OTHER_FLOW)
    async with AsyncFlowClient(app, public_key=public_pem, app_secret=app_secret) as client:
        assert (await client.init(foreign)).status == 427
    await app.state.http.aclose()
    await app.state.redis.aclose()


async def test_an_endpoint_serving_no_named_flow_says_so_at_start(make_settings):
    app = create_app(make_settings())
    with captured_logs(logging.WARNING) as out:
        async with app.router.lifespan_context(app):
            pass
    assert "FLOWHARNESS_FLOW_IDS" in out.getvalue()
