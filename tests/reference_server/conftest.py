"""Fixtures for the reference server: settings, apps, tokens, clients, and Redis backends."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis

from harness import crypto
from harness.client import AsyncFlowClient
from harness.testing.redis_server import RedisServer, RedisServerUnavailable, redis_server
from reference_server import FlowTokens, Settings, create_app

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


@pytest.fixture(scope="session")
def real_redis() -> Iterator[RedisServer]:
    try:
        with redis_server() as server:
            yield server
    except RedisServerUnavailable as exc:
        if os.environ.get("CI"):  # .ci/run installs redis-server: its absence is a failure
            pytest.fail(f"no real Redis in CI: {exc}")
        pytest.skip(f"no real Redis: {exc}")


@pytest.fixture(params=["fakeredis", pytest.param("redis-server", marks=pytest.mark.redis_server)])
def redis_url(request: pytest.FixtureRequest) -> str | None:
    """None (embedded fakeredis) or the URL of a real server, flushed before the test."""
    if request.param == "fakeredis":
        return None
    server: RedisServer = request.getfixturevalue("real_redis")
    with redis.Redis.from_url(server.url) as client:
        client.flushall()
    return server.url


@pytest.fixture
def make_settings(private_key, app_secret):
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
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


@pytest.fixture
async def client(app, public_pem, app_secret) -> AsyncIterator[AsyncFlowClient]:
    async with AsyncFlowClient(app, public_key=public_pem, app_secret=app_secret) as c:
        yield c
