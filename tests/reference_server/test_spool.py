"""The spool on its own: fsync'd commits, order, exactly-once drains, shared files."""

from __future__ import annotations

import json
import uuid

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from reference_server import LeadQueue
from reference_server._idempotency import Idempotency
from reference_server._intake import LeadIntake
from reference_server._metrics import Metrics
from reference_server._spool import Spool
from reference_server.exceptions import SpoolError

pytestmark = pytest.mark.anyio


class DownRedis:
    """Every command fails as if Redis were gone."""

    def __getattr__(self, name: str):
        async def fail(*args, **kwargs):
            raise RedisConnectionError("Connection refused")

        return fail


def lead(n: int) -> dict:
    return {"lead_id": uuid.uuid4().hex, "phone": f"+336123456{n:02d}", "n": n}


def answer_for(item: dict) -> dict:
    return {"screen": "SUCCESS", "data": {"lead_reference": item["lead_id"]}}


@pytest.fixture
def spool(tmp_path):
    opened = Spool(tmp_path / "spool.sqlite3")
    yield opened
    opened.close()


def intake(redis, spool: Spool) -> LeadIntake:
    return LeadIntake(LeadQueue(redis), Idempotency(redis), Metrics(), spool)


async def test_every_commit_is_fsynced(spool):
    assert await spool.setting("synchronous") == 2  # FULL: the WAL is fsync'd per commit
    assert await spool.setting("journal_mode") == "wal"


async def test_leads_drain_in_the_order_they_were_confirmed(spool, redis):
    down = intake(DownRedis(), spool)
    leads = [lead(n) for n in range(30)]
    for n, item in enumerate(leads):
        given, replayed = await down.submit(f"key-{n}", item, answer_for(item))
        assert (given, replayed) == (answer_for(item), False)
    assert spool.depth() == 30
    assert await intake(redis, spool).drain() == 30
    queued = [json.loads(f["lead"])["n"] for _, f in await redis.xrange("leads:incoming")]
    assert queued == list(range(30))
    assert spool.depth() == 0


async def test_a_drain_cut_short_after_the_append_appends_nothing_twice(spool, redis, monkeypatch):
    item = lead(1)
    await intake(DownRedis(), spool).submit("key-1", item, answer_for(item))
    real_remove = spool.remove

    async def crash(seq: int) -> None:
        raise SpoolError("the process died here")

    monkeypatch.setattr(spool, "remove", crash)
    with pytest.raises(SpoolError):
        await intake(redis, spool).drain()
    monkeypatch.setattr(spool, "remove", real_remove)
    assert await intake(redis, spool).drain() == 0  # already in the stream: only removed
    assert await redis.xlen("leads:incoming") == 1
    assert spool.depth() == 0


async def test_the_drain_leaves_the_answer_for_the_rest_of_the_window(spool, redis):
    item = lead(1)
    await intake(DownRedis(), spool).submit("key-1", item, answer_for(item))
    await intake(redis, spool).drain()
    stored = await redis.get("leads:idem:key-1")
    assert json.loads(stored) == answer_for(item)
    assert 0 < await redis.pttl("leads:idem:key-1") <= 300_000


async def test_processes_sharing_a_spool_file_see_each_others_answers(tmp_path):
    first, second = Spool(tmp_path / "s.sqlite3"), Spool(tmp_path / "s.sqlite3")
    try:
        item, repeat = lead(1), lead(1)
        assert (await first.append("k", item, answer_for(item), 300))[1] is False
        given, replayed = await second.append("k", repeat, answer_for(repeat), 300)
        assert (given, replayed) == (answer_for(item), True)
        assert first.depth() == second.depth() == 1
    finally:
        first.close()
        second.close()


async def test_a_spool_that_cannot_be_opened_names_the_setting(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(SpoolError, match="FLOWHARNESS_SPOOL_PATH"):
        Spool(blocker / "spool.sqlite3")
