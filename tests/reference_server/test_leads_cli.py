"""``flowharness leads list|replay`` against a real redis-server, personal data masked."""

from __future__ import annotations

import asyncio
import json

import pytest
import redis
from click.testing import CliRunner

from harness.cli import main
from reference_server import LeadQueue
from reference_server._redis import connect

from ._processes import RedisProcess

PHONE, EMAIL = "+33612345678", "ana.lima@example.com"


@pytest.fixture
def redis_env(real_redis: RedisProcess) -> dict[str, str | None]:
    with redis.Redis.from_url(real_redis.url) as client:
        client.flushall()
    return {"FLOWHARNESS_REDIS_URL": real_redis.url, "REDIS_URL": None}


@pytest.fixture
def dead_ids(redis_env, make_settings) -> list[str]:
    """Two dead-lettered leads whose error text carries a phone number and an email."""

    async def seed() -> list[str]:
        client = connect(make_settings(redis_url=redis_env["FLOWHARNESS_REDIS_URL"]))
        queue = LeadQueue(client)
        ids = []
        for n in (1, 2):
            lead = {"lead_id": f"L{n}", "phone": PHONE, "email": EMAIL}
            ids.append(
                await queue.dead_letter(
                    f"L{n}",
                    json.dumps(lead),
                    reason="retry_budget_exhausted",
                    error=f"503 for {PHONE} / {EMAIL}",
                    attempts=5,
                )
            )
        await client.aclose()
        return ids

    return asyncio.run(seed())


def invoke(env, *args: str, input: str | None = None):
    return CliRunner().invoke(main, ["leads", *args], env=env, input=input)


@pytest.mark.redis_server
def test_list_shows_held_leads_masked(redis_env, dead_ids):
    result = invoke(redis_env, "list", "dead")
    assert result.exit_code == 0, result.output
    for entry_id, lead_id in zip(dead_ids, ("L1", "L2"), strict=True):
        assert entry_id in result.output
        assert lead_id in result.output
    assert "retry_budget_exhausted" in result.output
    assert "***78" in result.output
    assert PHONE not in result.output
    assert "612345678" not in result.output
    assert EMAIL not in result.output


@pytest.mark.redis_server
def test_list_json_is_one_masked_object_a_line(redis_env, dead_ids):
    result = invoke(redis_env, "list", "dead", "--json", "--limit", "1")
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in result.output.splitlines()]
    assert (row["id"], row["lead_id"], row["attempts"], row["replays"]) == (dead_ids[0], "L1", 5, 0)
    assert row["reason"] == "retry_budget_exhausted"
    assert row["at"]
    assert "a***@***" in row["error"]
    assert PHONE not in row["error"]
    assert EMAIL not in row["error"]


@pytest.mark.redis_server
def test_replay_asks_first_and_moves_each_entry_once(redis_env, dead_ids, real_redis):
    refused = invoke(redis_env, "replay", "dead", "--all", input="n\n")
    assert refused.exit_code == 1
    with redis.Redis.from_url(real_redis.url, decode_responses=True) as client:
        assert client.xlen("leads:dead") == 2

        done = invoke(redis_env, "replay", "dead", "--id", dead_ids[0], input="y\n")
        assert done.exit_code == 0, done.output
        assert "1 replayed" in done.output
        again = invoke(redis_env, "replay", "dead", "--id", dead_ids[0], "--yes")
        assert again.exit_code == 1
        assert "already replayed" in again.output
        assert client.xlen("leads:incoming") == 1
        ((_, back),) = client.xrange("leads:incoming")
        assert (back["lead_id"], back["replays"]) == ("L1", "1")

        rest = invoke(redis_env, "replay", "dead", "--all", "--yes")
        assert rest.exit_code == 0, rest.output
        assert client.xlen("leads:dead") == 0
        assert client.xlen("leads:incoming") == 2
    assert "nothing held" in invoke(redis_env, "list", "dead").output


@pytest.mark.redis_server
def test_replay_needs_ids_or_all(redis_env):
    result = invoke(redis_env, "replay", "parked")
    assert result.exit_code == 2
    assert "--id" in result.output


def test_without_redis_url_it_refuses():
    result = invoke({"FLOWHARNESS_REDIS_URL": None, "REDIS_URL": None}, "list", "parked")
    assert result.exit_code == 1
    assert "FLOWHARNESS_REDIS_URL is not set" in result.output


@pytest.mark.redis_server
def test_a_bad_entry_id_is_refused(redis_env):
    result = invoke(redis_env, "replay", "dead", "--id", "yesterday", "--yes")
    assert result.exit_code == 1
    assert "not a stream entry id" in result.output


@pytest.mark.redis_server
def test_replay_by_lead_reference_as_the_alert_says(redis_env, dead_ids):
    moved = invoke(redis_env, "replay", "dead", "--lead", "L2", "--yes")
    assert moved.exit_code == 0, moved.output
    assert f"replayed {dead_ids[1]}" in moved.output
    with redis.Redis.from_url(redis_env["FLOWHARNESS_REDIS_URL"], decode_responses=True) as r:
        assert [f["lead_id"] for _, f in r.xrange("leads:incoming")] == ["L2"]
        assert [f["lead_id"] for _, f in r.xrange("leads:dead")] == ["L1"]
    again = invoke(redis_env, "replay", "dead", "--lead", "L2", "--yes")
    assert again.exit_code == 1
    assert "no entry of lead L2" in again.output
