"""No lead refused or lost while Redis is down: the local spool takes confirmed leads,
the person gets their normal SUCCESS, and the spool drains into the stream, in order
and exactly once, when Redis returns. A real redis-server is killed and restarted."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from harness.client import AsyncFlowClient, Outcome
from reference_server import FlowTokens, create_app

from ._processes import redis_process
from .conftest import FLOW_ID, GOOD_FORM, TOKEN_SECRET

pytestmark = [pytest.mark.anyio, pytest.mark.redis_server]
PHONES = ["+33612345670", "+33612345671", "+33612345672", "+33612345673"]


def token(n: int) -> str:
    return FlowTokens([TOKEN_SECRET]).issue(PHONES[n], FLOW_ID)


def reference(result: Any) -> str:
    assert result.outcome is Outcome.OK, result.error
    assert result.payload["screen"] == "SUCCESS", result.payload
    return str(result.payload["data"]["extension_message_response"]["params"]["lead_reference"])


async def confirm(client: AsyncFlowClient, n: int) -> Any:
    return await client.data_exchange("CONFIRM", {**GOOD_FORM, "confirmed": True}, token(n))


async def queued(app: Any) -> list[str]:
    return [f["lead_id"] for _, f in await app.state.redis.xrange("leads:incoming")]


@pytest.fixture
async def closing():
    apps: list[Any] = []
    yield apps.append
    for app in apps:
        await app.state.alerter.drain()
        await app.state.http.aclose()
        await app.state.redis.aclose()


async def test_leads_confirmed_while_redis_is_down_are_spooled_then_drained_in_order(
    make_settings, tmp_path, public_pem, app_secret, closing
):
    with redis_process(tmp_path / "redis") as server:
        app = create_app(make_settings(redis_url=server.url))
        closing(app)
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e")
        async with AsyncFlowClient(app, public_key=public_pem, app_secret=app_secret) as c, http:
            before = reference(await confirm(c, 0))
            server.kill()

            others = [await c.ping(), await c.init(token(1)), await c.back("CONFIRM", token(1))]
            others.append(await c.data_exchange("LEAD", GOOD_FORM, token(1)))
            assert [r.status for r in others] == [200] * 4
            during = [reference(await confirm(c, 1)), reference(await confirm(c, 2))]
            assert reference(await confirm(c, 1)) == during[0]  # a double tap, deduplicated
            health = await http.get("/healthz")
            assert (health.status_code, health.json()["status"]) == (200, "degraded")
            assert health.json()["spooled"] == 2
            metrics = (await http.get("/metrics")).text
            assert "flowharness_leads_spooled_total 2.0" in metrics

            server.start()
            after = reference(await confirm(c, 3))  # the first request after it returns
            await app.state.intake.drain()
            assert await queued(app) == [before, *during, after]
            assert reference(await confirm(c, 2)) == during[1]  # still one lead
            assert await queued(app) == [before, *during, after]
            assert (await http.get("/healthz")).json() == {"status": "ok"}


async def test_a_spool_left_by_a_dead_process_is_drained_once_by_the_next(
    make_settings, tmp_path, public_pem, app_secret, closing
):
    with redis_process(tmp_path / "redis") as server:
        settings = make_settings(redis_url=server.url)
        crashed = create_app(settings)
        closing(crashed)
        server.kill()
        async with AsyncFlowClient(crashed, public_key=public_pem, app_secret=app_secret) as c:
            spooled = reference(await confirm(c, 1))
        server.start()
        heir = create_app(settings)  # same spool file, like a restarted endpoint
        closing(heir)
        assert await heir.state.intake.drain() == 1
        assert await crashed.state.intake.drain() == 0
        assert await queued(heir) == [spooled]
        (entry,) = await heir.state.redis.xrange("leads:incoming")
        assert json.loads(entry[1]["lead"])["phone"] == PHONES[1]


async def test_with_redis_down_and_the_spool_broken_the_person_is_asked_to_retry(
    make_settings, tmp_path, public_pem, app_secret, closing, monkeypatch
):
    from reference_server.exceptions import SpoolError

    with redis_process(tmp_path / "redis") as server:
        app = create_app(make_settings(redis_url=server.url))
        closing(app)
        server.kill()

        async def full_disk(*args, **kwargs):
            raise SpoolError("database or disk is full")

        monkeypatch.setattr(app.state.intake.spool, "append", full_disk)
        async with AsyncFlowClient(app, public_key=public_pem, app_secret=app_secret) as c:
            result = await confirm(c, 1)
        await app.state.alerter.drain()
    assert result.status == 200  # never a 5xx: the flow stays usable
    assert result.payload["screen"] == "CONFIRM"
    assert "try again" in result.payload["data"]["error_message"]
    (alert,) = app.state.alerter.sent
    assert "spool" in alert.title


async def test_webhook_deliveries_get_503_while_redis_is_down(
    make_settings, tmp_path, app_secret, closing
):
    from harness import crypto

    with redis_process(tmp_path / "redis") as server:
        app = create_app(make_settings(redis_url=server.url))
        closing(app)
        server.kill()
        body = json.dumps({"entry": [{"changes": [{"value": {"messages": [
            {"id": "wamid.1", "from": "33612345671", "type": "text"}]}}]}]}).encode()  # fmt: skip
        headers = {crypto.SIGNATURE_HEADER: crypto.sign_body(body, app_secret)}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://e") as http:
            response = await http.post("/webhook", content=body, headers=headers)
    assert response.status_code == 503  # Meta retries for 36 hours


async def test_a_repeat_of_a_lead_queued_just_before_the_outage_is_no_new_lead(
    make_settings, tmp_path, public_pem, app_secret, closing
):
    with redis_process(tmp_path / "redis") as server:
        app = create_app(make_settings(redis_url=server.url))
        closing(app)
        async with AsyncFlowClient(app, public_key=public_pem, app_secret=app_secret) as c:
            first = reference(await confirm(c, 1))
            server.kill()
            assert reference(await confirm(c, 1)) == first  # the same process remembers
        assert app.state.intake.spool.depth() == 0
        server.start()
        assert await queued(app) == [first]
