"""Every log call of the endpoint and the worker, exercised at DEBUG through the project's
own handler (masking filter, JSON formatter): none may raise.

``logging`` refuses an ``extra`` that would overwrite a ``LogRecord`` attribute
(``created``, ``name``, ``msg``...) with a KeyError, and only when the level is enabled:
the worker once died that way at INFO, after the CRM write and before the ack. So the
log calls are found in the source and the test fails unless each one really logged.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

import reference_server
from harness import crypto
from harness.client import AsyncFlowClient
from reference_server import CrmResult, FlowTokens, LeadQueue, create_app
from reference_server._logging import FIELDS, log_fields
from reference_server._redis import connect
from reference_server._stream_work import StreamWork
from reference_server.exceptions import CrmValidationError, SpoolError
from reference_server.worker import Worker

from ._doubles import captured_logs, lead
from ._processes import redis_process
from .conftest import FLOW_ID, GOOD_FORM, PHONE, TOKEN_SECRET

pytestmark = pytest.mark.anyio
PACKAGE = Path(reference_server.__file__).parent
LEVELS = {"debug", "info", "warning", "error", "exception", "critical"}
ENDPOINT = ("_endpoint.py", "_intake.py")
WORKER = ("worker.py", "_lead_jobs.py")


def log_calls(name: str) -> dict[int, range]:
    """Each ``log.<level>(...)`` call of a module: its first line -> the lines it spans."""
    tree = ast.parse((PACKAGE / name).read_text())
    return {
        node.lineno: range(node.lineno, (node.end_lineno or node.lineno) + 1)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "log"
        and node.func.attr in LEVELS
    }


class Sites(logging.Handler):
    """Which log call of the watched modules each record came from."""

    def __init__(self, modules: tuple[str, ...]) -> None:
        super().__init__(logging.DEBUG)
        self.calls = {name: log_calls(name) for name in modules}
        self.hit: set[tuple[str, int]] = set()

    def emit(self, record: logging.LogRecord) -> None:
        name = Path(record.pathname).name
        for first, lines in self.calls.get(name, {}).items():
            if record.lineno in lines:
                self.hit.add((name, first))

    def missing(self) -> list[str]:
        assert sum(map(len, self.calls.values())) >= 8, "no log calls found: the test is blind"
        return [
            f"{name}:{first}"
            for name, calls in self.calls.items()
            for first in calls
            if (name, first) not in self.hit
        ]


@contextlib.contextmanager
def watching(modules: tuple[str, ...]):
    with captured_logs(logging.DEBUG) as out:
        sites = Sites(modules)
        logging.getLogger("reference_server").addHandler(sites)
        try:
            yield sites, out
        finally:
            logging.getLogger("reference_server").removeHandler(sites)


def test_every_log_call_passes_its_fields_with_log_fields():
    """Statically, for the whole package: ``extra=`` is always ``log_fields(...)``."""
    offenders = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            is_log_call = isinstance(node, ast.Call) and getattr(node.func, "attr", "") in LEVELS
            if not is_log_call:
                continue
            for keyword in node.keywords:
                if keyword.arg != "extra":
                    continue
                value = keyword.value
                if getattr(getattr(value, "func", None), "id", "") != "log_fields":
                    offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_fields_may_be_named_like_any_log_record_attribute():
    reserved = {name: name for name in vars(logging.makeLogRecord({}))}
    with captured_logs(logging.DEBUG) as out:
        logging.getLogger("reference_server.test").debug("all", extra=log_fields(**reserved))
    (entry,) = [json.loads(line) for line in out.getvalue().splitlines()]
    assert entry["message"] == "all"
    assert entry["created"] == "created"  # a field; the record's own time is "time"
    assert FIELDS not in entry


# -- the endpoint ------------------------------------------------------------------------


async def test_every_endpoint_log_call_at_debug(
    make_settings, tmp_path, private_key, other_private_key, app_secret
):
    tokens = FlowTokens([TOKEN_SECRET])
    token, foreign = tokens.issue(PHONE, FLOW_ID), tokens.issue(PHONE, "other-flow")
    form = {**GOOD_FORM, "confirmed": True}
    with redis_process(tmp_path / "redis") as server, watching(ENDPOINT) as (sites, out):
        app = create_app(make_settings(redis_url=server.url, flow_ids=[FLOW_ID]))
        public = crypto.public_key_pem(private_key)
        async with AsyncFlowClient(app, public_key=public, app_secret=app_secret) as c:
            await c.ping()
            await c.error_notification(token, "payload-schema-error", "bad")
            await c.data_exchange("LEAD", GOOD_FORM, None)
            await c.init(foreign)
            await c.data_exchange("CONFIRM", form, token)
            await c.data_exchange("CONFIRM", form, token)  # a repeat
            server.kill()
            await c.data_exchange("CONFIRM", {**form, "company": "Down"}, token)
            drainer = asyncio.create_task(app.state.intake.keep_draining(interval=0.05))
            await wait_for_message(out, "spool not drained yet")
            drainer.cancel()
            spool = app.state.intake.spool
            real_append = spool.append

            async def full_disk(*args: Any, **kwargs: Any) -> Any:
                raise SpoolError("database or disk is full")

            spool.append = full_disk
            await c.data_exchange("CONFIRM", {**form, "company": "Full"}, token)
            spool.append = real_append
            server.start()
            await app.state.intake.drain()
        stale = crypto.public_key_pem(other_private_key)
        async with AsyncFlowClient(app, public_key=stale, app_secret=app_secret) as c:
            await c.ping()  # 421: not decrypted
        await app.state.alerter.drain()
        await app.state.http.aclose()
        await app.state.redis.aclose()
        app.state.intake.spool.close()
    assert sites.missing() == []


async def wait_for_message(out: Any, message: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while message not in out.getvalue():
        assert time.monotonic() < deadline, f"never logged: {message}"
        await asyncio.sleep(0.05)


# -- the worker --------------------------------------------------------------------------


class FlakyWork:
    """The real Redis Streams queue, failing once where a test asks it to."""

    def __init__(self, inner: StreamWork) -> None:
        self.inner = inner
        self.failures: dict[str, list[BaseException]] = {}

    def _fail(self, method: str) -> None:
        planned = self.failures.get(method)
        if planned:
            raise planned.pop(0)

    async def prepare(self) -> None:
        self._fail("prepare")
        await self.inner.prepare()

    async def take(self, *args: Any, **kwargs: Any) -> Any:
        self._fail("take")
        return await self.inner.take(*args, **kwargs)

    async def keep(self, deliveries: Any) -> None:
        self._fail("keep")
        await self.inner.keep(deliveries)

    async def settle(self, delivery: Any, settlement: Any) -> list[str]:
        self._fail("settle")
        return await self.inner.settle(delivery, settlement)

    async def written(self, lead_id: str) -> bool:
        return await self.inner.written(lead_id)

    @contextlib.asynccontextmanager
    async def exclusive(self, key: str) -> AsyncIterator[None]:
        self._fail("exclusive")
        async with self.inner.exclusive(key):
            yield


class PlannedCrm:
    """Each lead id gets its planned answer; a slow one outlives a heartbeat."""

    name = "planned"

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def probe(self) -> str:
        return "the planned CRM at http://127.0.0.1:9 cannot be reached (ConnectError)"

    async def upsert(self, item: dict[str, Any]) -> CrmResult:
        self.calls.append(item["lead_id"])
        if item["lead_id"] == "L2":
            raise CrmValidationError("rejected", [{"code": "X", "message": "m", "fields": []}])
        if item["lead_id"] == "L4" and self.calls.count("L4") == 1:
            raise RuntimeError("a bug in the adapter")
        if item["lead_id"] == "L6":
            await asyncio.sleep(1.6)  # the heartbeat beats every second meanwhile
        return CrmResult(f"id-{item['lead_id']}", True)


async def test_every_worker_log_call_at_debug(make_settings):
    settings = make_settings(reclaim_min_idle_ms=0, worker_block_ms=50)
    redis = connect(settings)
    queue = LeadQueue(redis)
    for n in (1, 1, 2, 3, 4, 5, 6):  # L1 twice: the copy is only acknowledged
        await queue.enqueue(lead(n))
    work = FlakyWork(StreamWork(redis, queue, "w", reclaim_min_idle_ms=0, lease_ms=3000))
    work.failures = {
        "prepare": [RedisConnectionError("refused")],
        "take": [RedisConnectionError("refused"), RuntimeError("a bug in the loop")],
        "exclusive": [RedisConnectionError("refused")],
        "settle": [RedisConnectionError("refused")],
        "keep": [RedisConnectionError("refused")],
    }
    async with httpx.AsyncClient() as http:
        worker = Worker(settings, redis, crm=PlannedCrm(), http=http, work=work)
        with watching(WORKER) as (sites, _):
            task = asyncio.create_task(worker.run_forever())
            deadline = time.monotonic() + 60
            while sites.missing() and time.monotonic() < deadline and not task.done():
                await asyncio.sleep(0.1)
            worker.stop()
            await asyncio.wait_for(task, 30)
    await redis.aclose()
    assert sites.missing() == []
