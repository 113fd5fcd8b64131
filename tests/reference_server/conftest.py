"""Fixtures for the reference server: settings, apps, tokens, clients, Redis and the
worker's queue backends (Redis Streams on fakeredis or redis-server, SQS on moto)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_py

from harness import crypto
from harness.client import AsyncFlowClient
from reference_server import FlowTokens, Settings, _sqs_replay, create_app
from reference_server._backends import close_queue
from reference_server._redis import connect

from ._processes import AWS_ENV, MotoProcess, RedisProcess, moto_process, redis_process
from ._queue_backends import QueueBackend

TOKEN_SECRET = "token-secret-for-tests"
PHONE = "+33612345678"
FLOW_ID = "1234567890"

GOOD_FORM: dict[str, Any] = {
    "first_name": "  jean-pierre ",
    "last_name": "DE LA FONTAINE",
    "email": " Jean.Pierre@Example.COM ",
    "company": " Acme  SAS ",
    "phone": "",
    "interest": "demo",
    "consent": True,
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _need(available: bool, what: str, reason: str) -> None:
    """Skip without ``what``; in CI, whose set-up installs it, fail instead."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"no {what} in CI: {reason}")
    pytest.skip(f"no {what}: {reason}")


def _need_redis_server() -> None:
    _need(
        shutil.which("redis-server") is not None,
        "real Redis",
        "redis-server is not installed (apt-get install redis-server)",
    )


@pytest.fixture(scope="session")
def real_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    """A redis-server with AOF on, as deployed, shared by the session (flush it first)."""
    _need_redis_server()
    with redis_process(tmp_path_factory.mktemp("redis")) as server:
        yield server


def _need_moto() -> None:
    found = all(importlib.util.find_spec(m) is not None for m in ("moto", "aiobotocore"))
    _need(found, "SQS", "moto[server] or aiobotocore is not installed (pip install -e '.[dev]')")


@pytest.fixture(scope="session")
def moto_sqs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoProcess]:
    """moto's real server on a loopback port, shared by the session (queues per test)."""
    _need_moto()
    with moto_process(tmp_path_factory.mktemp("moto")) as server:
        yield server


@pytest.fixture
def sqs_settings(moto_sqs: MotoProcess, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Settings for the SQS backend on moto, with queues of this test's own (created at
    first use, as the shipped default says); AWS credentials in the environment."""
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    # moto's short poll sees every entry: no long poll needed to be sure a queue is empty
    monkeypatch.setattr(_sqs_replay, "_CONFIRM_WAIT_SECONDS", 0)
    return {
        "queue": "sqs",
        "sqs_endpoint_url": moto_sqs.url,
        "sqs_region": "us-east-1",
        "sqs_queue_prefix": f"t{uuid.uuid4().hex[:12]}",
    }


@pytest.fixture(
    params=[
        "fakeredis",
        pytest.param("redis-server", marks=pytest.mark.redis_server),
        pytest.param("sqs", marks=pytest.mark.sqs),
    ]
)
async def queue_backend(
    request: pytest.FixtureRequest, make_settings
) -> AsyncIterator[QueueBackend]:
    """The worker's queue on Redis Streams (fakeredis, redis-server) or on SQS (moto)."""
    overrides: dict[str, Any] = {"redis_url": None}
    if request.param == "redis-server":
        overrides["redis_url"] = request.getfixturevalue("redis_url_real")
    elif request.param == "sqs":
        overrides |= request.getfixturevalue("sqs_settings")
    backend = QueueBackend.open(request.param, overrides, make_settings)
    yield backend
    await backend.close()


@pytest.fixture(
    params=[
        pytest.param("redis-server", marks=pytest.mark.redis_server),
        pytest.param("sqs", marks=[pytest.mark.redis_server, pytest.mark.sqs]),
    ]
)
async def shared_backend(
    request: pytest.FixtureRequest, make_settings
) -> AsyncIterator[QueueBackend]:
    """A backend separate worker processes share: Redis Streams on a real redis-server,
    or SQS on moto with that redis-server for the marks (as deployed)."""
    overrides: dict[str, Any] = {"redis_url": request.getfixturevalue("redis_url_real")}
    if request.param == "sqs":
        overrides |= request.getfixturevalue("sqs_settings")
    backend = QueueBackend.open(request.param, overrides, make_settings)
    yield backend
    await backend.close()


@pytest.fixture
def redis_url_real(real_redis: RedisProcess) -> str:
    """The real redis-server's URL, flushed first."""
    with redis_py.Redis.from_url(real_redis.url) as client:
        client.flushall()
    return real_redis.url


@pytest.fixture
def volatile_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    """A redis-server with neither AOF nor RDB: what the start-up check refuses."""
    _need_redis_server()
    with redis_process(tmp_path / "volatile-redis", appendonly=False) as server:
        yield server


@pytest.fixture(params=["fakeredis", pytest.param("redis-server", marks=pytest.mark.redis_server)])
def redis_url(request: pytest.FixtureRequest) -> str | None:
    """None (embedded fakeredis) or the URL of a real server, flushed before the test."""
    if request.param == "fakeredis":
        return None
    server: RedisProcess = request.getfixturevalue("real_redis")
    with redis_py.Redis.from_url(server.url) as client:
        client.flushall()
    return server.url


@pytest.fixture
async def redis(make_settings, redis_url):
    """A client of the Redis ``redis_url`` names (both backends, as the app connects)."""
    client = connect(make_settings(redis_url=redis_url))
    yield client
    await client.aclose()


@pytest.fixture
def make_settings(private_key, app_secret, tmp_path):
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "spool_path": tmp_path / "spool.sqlite3",
            "private_keys": [crypto.private_key_pem(private_key).decode()],
            "app_secrets": [app_secret],
            "flow_token_secrets": [TOKEN_SECRET],
            "default_region": "FR",
            "hubspot_token": "hs-token",
            "hubspot_base_url": "https://hubspot.test",
            "retry_base_delay_seconds": 0.5,
            "reclaim_min_idle_ms": 0,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


@pytest.fixture
def settings(make_settings) -> Settings:
    return make_settings()


@pytest.fixture
def tokens() -> FlowTokens:
    return FlowTokens([TOKEN_SECRET])


@pytest.fixture
def token(tokens: FlowTokens) -> str:
    return tokens.issue(PHONE, FLOW_ID, campaign="spring", source="ads")


@pytest.fixture
async def app(settings: Settings):
    application = create_app(settings)
    yield application
    await application.state.alerter.drain()
    await application.state.http.aclose()
    await application.state.redis.aclose()
    await close_queue(application.state.queue)


@pytest.fixture
async def client(app, public_pem, app_secret) -> AsyncIterator[AsyncFlowClient]:
    async with AsyncFlowClient(app, public_key=public_pem, app_secret=app_secret) as c:
        yield c


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The chaos table, when the chaos suite ran (``-m slow``)."""
    from ._chaos_table import ROWS, TITLE, render

    if ROWS:
        terminalreporter.section("chaos table")
        terminalreporter.write_line(TITLE)
        for line in render(ROWS).splitlines():
            terminalreporter.write_line(line)
