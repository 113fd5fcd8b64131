"""AsyncFlowClient: the same protocol, awaited, in-process and over loopback."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from harness.client import AsyncFlowClient, KeyProviderError, Outcome
from harness.testing import FakeEndpoint, Fault

TOKEN = "flow-token-async"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def client_for(target: Any, public_pem: bytes, app_secret: str, **settings: Any) -> AsyncFlowClient:
    settings.setdefault("retry_delay", 0.01)
    return AsyncFlowClient(target, public_key=public_pem, app_secret=app_secret, **settings)


@pytest.mark.anyio
async def test_ping_init_data_exchange_back(
    target: Any, endpoint: FakeEndpoint, public_pem: bytes, app_secret: str
) -> None:
    async with client_for(target, public_pem, app_secret) as client:
        assert (await client.ping()).payload == {"data": {"status": "active"}}
        assert (await client.init(TOKEN)).ok
        answer = await client.data_exchange("FORM", {"email": "a@example.com"}, TOKEN)
        assert answer.payload["data"]["received"]["data"] == {"email": "a@example.com"}
        assert (await client.back("FORM", TOKEN)).ok
        ack = await client.error_notification(TOKEN, "timeout_error", key="error_key")
        assert ack.payload == {"data": {"acknowledged": True}}
    actions = [r.payload["action"] for r in endpoint.received if r.payload]
    assert actions == ["ping", "INIT", "data_exchange", "BACK", "data_exchange"]


@pytest.mark.anyio
async def test_concurrent_requests_each_get_their_own_keys(
    target: Any, endpoint: FakeEndpoint, public_pem: bytes, app_secret: str
) -> None:
    endpoint.delay = 0.1
    async with client_for(target, public_pem, app_secret) as client:
        screens = [f"S{i}" for i in range(8)]
        results = await asyncio.gather(
            *(client.data_exchange(s, {"n": i}, TOKEN) for i, s in enumerate(screens))
        )
    assert [r.payload["screen"] for r in results] == screens  # each answer opened with its keys
    assert all(r.ok for r in results)
    assert len({r.exchange.iv for r in results}) == 8
    # 8 requests of 0.1 s each ran at the same time, not one after another
    assert max(r.elapsed for r in results) < 0.8


@pytest.mark.anyio
async def test_421_retry_with_an_async_key_provider(
    target: Any,
    endpoint: FakeEndpoint,
    public_pem: bytes,
    other_private_key: rsa.RSAPrivateKey,
    app_secret: str,
) -> None:
    async def provider() -> bytes:
        await asyncio.sleep(0)
        return public_pem

    async with AsyncFlowClient(
        target,
        public_key=other_private_key.public_key(),
        key_provider=provider,
        app_secret=app_secret,
        retry_delay=0.01,
    ) as client:
        result = await client.ping()
    assert result.ok
    assert result.retried
    assert [e.status for e in result.exchanges] == [421, 200]


@pytest.mark.anyio
async def test_persistent_421(
    target: Any, endpoint: FakeEndpoint, public_pem: bytes, app_secret: str
) -> None:
    endpoint.inject(Fault.STATUS_421)
    async with client_for(target, public_pem, app_secret) as client:
        result = await client.ping()
    assert result.outcome is Outcome.BUSINESS_DECRYPTION_ERROR
    assert len(endpoint.received) == 2


@pytest.mark.anyio
async def test_timeout_is_a_deadline(
    target: Any, endpoint: FakeEndpoint, public_pem: bytes, app_secret: str
) -> None:
    endpoint.delay = 0.6
    async with client_for(target, public_pem, app_secret, timeout=0.1) as client:
        result = await client.ping()
    assert result.outcome is Outcome.TIMEOUT_ERROR
    assert result.status is None
    assert result.elapsed < 0.6


@pytest.mark.anyio
async def test_427_and_bad_answers(
    target: Any, endpoint: FakeEndpoint, public_pem: bytes, app_secret: str
) -> None:
    async with client_for(target, public_pem, app_secret) as client:
        endpoint.inject(Fault.STATUS_427, times=1, error_msg="expired")
        expired = await client.init(TOKEN)
        endpoint.inject(Fault.WRONG_IV, times=1)
        wrong_iv = await client.ping()
        endpoint.inject(Fault.STATUS_500, times=1)
        crashed = await client.ping()
        unsigned = await client.send({"action": "ping"}, signature="missing")
    assert (expired.outcome, expired.error_msg) == (Outcome.FLOW_TOKEN_INVALID, "expired")
    assert wrong_iv.outcome is Outcome.RESPONSE_DECRYPTION_ERROR
    assert crashed.outcome is Outcome.UNEXPECTED_HTTP_STATUS_CODE
    assert unsigned.outcome is Outcome.SIGNATURE_REJECTED


@pytest.mark.anyio
async def test_failing_key_provider_raises_a_client_error(target: Any, app_secret: str) -> None:
    def provider() -> bytes:
        raise OSError("key server down")

    async with AsyncFlowClient(target, key_provider=provider, app_secret=app_secret) as client:
        with pytest.raises(KeyProviderError, match="key server down"):
            await client.ping()
