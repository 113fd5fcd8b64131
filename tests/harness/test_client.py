"""FlowClient against the fake endpoint, in-process (ASGI) and over loopback (uvicorn)."""

from __future__ import annotations

import base64
import socket
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from harness import crypto
from harness.client import OMIT, FlowClient, Outcome
from harness.testing import FakeEndpoint, Fault, run_server

TOKEN = "flow-token-123"
MakeClient = Callable[..., FlowClient]


@pytest.fixture
def make_client(target: Any, public_pem: bytes, app_secret: str) -> Iterator[MakeClient]:
    clients: list[FlowClient] = []

    def make(**settings: Any) -> FlowClient:
        settings.setdefault("public_key", public_pem)
        settings.setdefault("app_secret", app_secret)
        settings.setdefault("retry_delay", 0.01)
        client = FlowClient(target, **settings)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- the requests WhatsApp sends -----------------------------------------------------


def test_ping_gets_active_status_and_always_says_version_3(
    make_client: MakeClient, endpoint: FakeEndpoint
) -> None:
    result = make_client(version="4.0").ping()
    assert result.ok
    assert result.status == 200
    assert result.payload == {"data": {"status": "active"}}
    assert endpoint.received[-1].payload == {"version": "3.0", "action": "ping"}
    assert result.within_budget
    assert not result.retried
    assert result.error is None


def test_init_carries_version_token_and_data(
    make_client: MakeClient, endpoint: FakeEndpoint
) -> None:
    result = make_client(version="4.0").init(TOKEN, {"lang": "en"}, screen="WELCOME")
    sent = {
        "version": "4.0",
        "action": "INIT",
        "screen": "WELCOME",
        "data": {"lang": "en"},
        "flow_token": TOKEN,
    }
    assert endpoint.received[-1].payload == sent
    assert result.ok
    assert result.payload == {"screen": "WELCOME", "data": {"received": sent}}


def test_init_without_token_leaves_it_out_like_some_ios_clients(
    make_client: MakeClient, endpoint: FakeEndpoint
) -> None:
    assert make_client().init(None).ok
    assert endpoint.received[-1].payload == {"version": "3.0", "action": "INIT"}


def test_data_exchange(make_client: MakeClient, endpoint: FakeEndpoint) -> None:
    result = make_client().data_exchange("DETAILS", {"name": "Ada", "age": 36}, TOKEN)
    sent = {
        "version": "3.0",
        "action": "data_exchange",
        "screen": "DETAILS",
        "data": {"name": "Ada", "age": 36},
        "flow_token": TOKEN,
    }
    assert endpoint.received[-1].payload == sent
    assert result.payload == {"screen": "DETAILS", "data": {"received": sent}}


def test_back(make_client: MakeClient, endpoint: FakeEndpoint) -> None:
    result = make_client().back("DETAILS", TOKEN)
    assert result.ok
    payload = endpoint.received[-1].payload
    assert payload is not None
    assert payload["action"] == "BACK"
    assert payload["screen"] == "DETAILS"
    assert payload["flow_token"] == TOKEN


@pytest.mark.parametrize("key", ["error", "error_key"])
def test_error_notification_in_both_spellings(
    make_client: MakeClient, endpoint: FakeEndpoint, key: str
) -> None:
    result = make_client().error_notification(
        TOKEN, "response-decryption-error", "could not decrypt", screen="DETAILS", key=key
    )
    assert result.payload == {"data": {"acknowledged": True}}
    payload = endpoint.received[-1].payload
    assert payload is not None
    assert payload["data"] == {
        key: "response-decryption-error",
        "error_message": "could not decrypt",
    }
    assert payload["screen"] == "DETAILS"
    assert payload["flow_token"] == TOKEN


# -- 421: key refresh and retry ------------------------------------------------------


def test_421_refetches_the_key_and_retries_once(
    make_client: MakeClient,
    endpoint: FakeEndpoint,
    other_private_key: rsa.RSAPrivateKey,
    public_pem: bytes,
) -> None:
    calls: list[int] = []

    def provider() -> bytes:
        calls.append(1)
        return public_pem

    client = make_client(public_key=other_private_key.public_key(), key_provider=provider)
    result = client.ping()
    assert result.ok
    assert result.retried
    assert [e.status for e in result.exchanges] == [421, 200]
    assert len(calls) == 1
    assert [r.status for r in endpoint.received] == [421, 200]
    assert crypto.public_key_pem(client.public_key) == public_pem  # type: ignore[arg-type]
    first, second = result.exchanges
    assert first.envelope != second.envelope  # re-encrypted, not resent
    assert client.ping().exchanges[0].status == 200  # the refreshed key is kept


def test_provider_supplies_the_first_key_too(make_client: MakeClient, public_pem: bytes) -> None:
    client = make_client(public_key=None, key_provider=lambda: public_pem)
    assert client.ping().ok


def test_persistent_421_is_business_decryption_error(
    make_client: MakeClient, endpoint: FakeEndpoint
) -> None:
    endpoint.inject(Fault.STATUS_421)
    result = make_client().ping()
    assert result.outcome is Outcome.BUSINESS_DECRYPTION_ERROR
    assert result.status == 421
    assert result.retried
    assert len(result.exchanges) == 2
    assert len(endpoint.received) == 2
    assert "421 means" in result.explain()


def test_no_retry_when_disabled(make_client: MakeClient, endpoint: FakeEndpoint) -> None:
    endpoint.inject(Fault.STATUS_421, times=1)
    result = make_client(retry_on_421=False).ping()
    assert result.outcome is Outcome.BUSINESS_DECRYPTION_ERROR
    assert not result.retried
    assert len(endpoint.received) == 1


def test_retry_waits_the_retry_delay(make_client: MakeClient, endpoint: FakeEndpoint) -> None:
    endpoint.inject(Fault.STATUS_421, times=1)
    result = make_client(retry_delay=0.2).ping()
    assert result.ok
    assert result.retried
    assert result.elapsed >= 0.2  # elapsed covers both attempts and the wait


# -- 427 and 432 ---------------------------------------------------------------------


def test_427_with_encrypted_error_msg(make_client: MakeClient, endpoint: FakeEndpoint) -> None:
    endpoint.inject(Fault.STATUS_427, times=1, error_msg="Link expired")
    result = make_client().init(TOKEN)
    assert result.outcome is Outcome.FLOW_TOKEN_INVALID
    assert result.status == 427
    assert result.error_msg == "Link expired"
    assert result.payload is None


def test_427_with_empty_body(make_client: MakeClient, endpoint: FakeEndpoint) -> None:
    endpoint.inject(Fault.STATUS_427, times=1)
    result = make_client().init(TOKEN)
    assert result.outcome is Outcome.FLOW_TOKEN_INVALID
    assert result.error_msg is None
    assert result.exchange.response_body == b""


@pytest.mark.parametrize("signature", ["bad", "missing"])
def test_432_on_bad_or_missing_signature(
    make_client: MakeClient, endpoint: FakeEndpoint, signature: str
) -> None:
    result = make_client().send({"version": "3.0", "action": "ping"}, signature=signature)
    assert result.outcome is Outcome.SIGNATURE_REJECTED
    assert result.status == 432
    seen = endpoint.received[-1]
    assert seen.signature_valid is False
    assert (crypto.SIGNATURE_HEADER.lower() in seen.headers) is (signature == "bad")


def test_432_when_client_and_endpoint_disagree_on_the_secret(
    make_client: MakeClient,
) -> None:
    result = make_client(app_secret="another-secret").ping()
    assert result.outcome is Outcome.SIGNATURE_REJECTED
    assert "same app secret" in result.explain()


def test_explicit_signature_header_is_sent_verbatim(
    make_client: MakeClient, endpoint: FakeEndpoint
) -> None:
    result = make_client().send({"version": "3.0", "action": "ping"}, signature="sha256=abc")
    assert result.outcome is Outcome.SIGNATURE_REJECTED
    assert endpoint.received[-1].headers[crypto.SIGNATURE_HEADER.lower()] == "sha256=abc"


# -- timing --------------------------------------------------------------------------


def test_slow_answer_is_flagged_over_budget(
    make_client: MakeClient, endpoint: FakeEndpoint
) -> None:
    endpoint.delay = 0.3
    result = make_client(budget=0.1).ping()
    assert result.ok
    assert not result.within_budget
    assert result.elapsed >= 0.3
    assert "OVER" in result.explain()


def test_timeout(make_client: MakeClient, endpoint: FakeEndpoint) -> None:
    endpoint.delay = 0.6
    result = make_client(timeout=0.1).ping()
    assert result.outcome is Outcome.TIMEOUT_ERROR
    assert result.status is None
    assert result.elapsed < 0.6
    assert "timeout" in (result.error or "")


async def _trickling_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers 200 a few bytes at a time: every read is quick, the whole answer is slow."""
    import asyncio

    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    for _ in range(8):
        await asyncio.sleep(0.15)
        await send({"type": "http.response.body", "body": b"QUJD", "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def test_a_trickled_answer_over_the_timeout_is_a_timeout(
    public_pem: bytes, app_secret: str
) -> None:
    # httpx's timeouts are per read; WhatsApp's 10 s is for the whole exchange
    with (
        run_server(_trickling_app, lifespan="off") as url,
        FlowClient(url + "/", public_key=public_pem, app_secret=app_secret, timeout=0.4) as client,
    ):
        result = client.ping()
    assert result.outcome is Outcome.TIMEOUT_ERROR
    assert result.status is None
    assert result.elapsed < 1.0  # gave up well before the 1.2 s answer ended
    assert "timeout" in (result.error or "")


def test_unreachable_url_is_no_http_response(public_pem: bytes, app_secret: str) -> None:
    url = f"http://127.0.0.1:{closed_port()}/"
    with FlowClient(url, public_key=public_pem, app_secret=app_secret) as client:
        result = client.ping()
    assert result.outcome is Outcome.NO_HTTP_RESPONSE_ERROR
    assert result.status is None
    assert not result.ok


# -- bad answers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "why"),
    [
        (Fault.PLAINTEXT, "plaintext JSON"),
        (Fault.GARBAGE, "cannot be decrypted"),
        (Fault.WRONG_IV, "request IV"),
    ],
)
def test_undecryptable_200_is_response_decryption_error(
    make_client: MakeClient, endpoint: FakeEndpoint, fault: Fault, why: str
) -> None:
    endpoint.inject(fault, times=1)
    result = make_client().ping()
    assert result.outcome is Outcome.RESPONSE_DECRYPTION_ERROR
    assert result.status == 200
    assert result.payload is None
    assert why in (result.error or "")


@pytest.mark.parametrize("answer", [["LEAD"], "active", 42, None])
def test_an_answer_that_is_not_a_json_object_is_payload_schema_error(
    make_client: MakeClient, endpoint: FakeEndpoint, monkeypatch: pytest.MonkeyPatch, answer: Any
) -> None:
    monkeypatch.setattr(endpoint, "handler", lambda payload: answer)
    result = make_client().ping()
    assert result.outcome is Outcome.PAYLOAD_SCHEMA_ERROR
    assert result.status == 200
    assert result.payload == answer  # decrypted, kept for inspection
    assert "not an object" in (result.error or "")
    assert "JSON object" in result.explain()


def test_500_is_unexpected_status(make_client: MakeClient, endpoint: FakeEndpoint) -> None:
    endpoint.inject(Fault.STATUS_500, times=1)
    result = make_client().ping()
    assert result.outcome is Outcome.UNEXPECTED_HTTP_STATUS_CODE
    assert result.status == 500
    assert "unexpected_http_status_code" in result.explain()


# -- what goes on the wire -----------------------------------------------------------


def test_every_request_has_a_fresh_key_and_iv(
    make_client: MakeClient, endpoint: FakeEndpoint
) -> None:
    client = make_client()
    for _ in range(5):
        client.ping()
    ivs = [e.iv for e in client.journal]
    assert all(iv is not None and len(iv) == 16 for iv in ivs)
    assert len(set(ivs)) == 5
    assert len({e.keys.aes_key for e in client.journal if e.keys}) == 5
    wrapped = {e.envelope["encrypted_aes_key"] for e in client.journal if e.envelope}
    assert len(wrapped) == 5
    assert [r.iv for r in endpoint.received] == ivs


def test_signature_covers_the_exact_bytes_sent(
    make_client: MakeClient, endpoint: FakeEndpoint, app_secret: str
) -> None:
    exchange = make_client().data_exchange("S", {"text": "héllo ✓"}, TOKEN).exchange
    seen = endpoint.received[-1]
    assert seen.body == exchange.request_body
    assert seen.headers[crypto.SIGNATURE_HEADER.lower()] == crypto.sign_body(
        exchange.request_body, app_secret
    )
    assert seen.headers["content-type"] == "application/json"
    assert seen.signature_valid


def test_envelope_overrides_make_malformed_requests(
    make_client: MakeClient, endpoint: FakeEndpoint
) -> None:
    client = make_client(retry_on_421=False)
    short_iv = base64.b64encode(bytes(12)).decode()
    assert client.send({"action": "ping"}, envelope={"initial_vector": short_iv}).status == 421
    result = client.send({"action": "ping"}, envelope={"encrypted_aes_key": OMIT})
    assert result.status == 421
    assert "encrypted_aes_key" not in (result.exchange.envelope or {})
    flipped = client.send({"action": "ping"}, envelope={"encrypted_flow_data": lambda v: v[::-1]})
    assert flipped.status == 421
    assert all(r.signature_valid for r in endpoint.received)  # still signed correctly


def test_raw_body_is_sent_and_signed_as_is(make_client: MakeClient, endpoint: FakeEndpoint) -> None:
    result = make_client(retry_on_421=False).send(body=b"not json at all")
    assert endpoint.received[-1].body == b"not json at all"
    assert endpoint.received[-1].signature_valid
    assert result.status == 421
    assert result.exchange.envelope is None


def test_plaintext_bytes_payload_is_encrypted_unchanged(
    make_client: MakeClient, endpoint: FakeEndpoint
) -> None:
    result = make_client().send(b'{"action":"ping","version":"3.0"}')
    assert result.ok
    assert endpoint.received[-1].payload == {"action": "ping", "version": "3.0"}


def test_per_request_public_key_override(
    make_client: MakeClient, other_private_key: rsa.RSAPrivateKey
) -> None:
    client = make_client(retry_on_421=False)
    result = client.send({"action": "ping"}, public_key=other_private_key.public_key())
    assert result.outcome is Outcome.BUSINESS_DECRYPTION_ERROR
    assert client.ping().ok  # the client's own key is untouched


def test_custom_headers_are_sent(make_client: MakeClient, endpoint: FakeEndpoint) -> None:
    make_client(headers={"X-Test-Run": "42"}).ping()
    assert endpoint.received[-1].headers["x-test-run"] == "42"


def test_explain_reads_as_one_paragraph(make_client: MakeClient) -> None:
    text = make_client().ping().explain()
    assert "ping request was answered 200" in text
    assert "\n" not in text


def test_quoted_base64_answer_is_named_as_such(
    private_key: rsa.RSAPrivateKey, public_pem: bytes, app_secret: str
) -> None:
    # A common endpoint bug: JSON-encoding the Base64 answer. Served by an httpx mock
    # transport, which also shows the client takes any transport.
    def answer(request: httpx.Request) -> httpx.Response:
        opened = crypto.decrypt_request(request.content, private_key)
        sealed = crypto.encrypt_response({"data": {"status": "active"}}, opened.keys)
        return httpx.Response(200, json=sealed)

    transport = httpx.MockTransport(answer)
    url = "https://flows.example.com/endpoint"
    with FlowClient(url, public_key=public_pem, app_secret=app_secret, transport=transport) as c:
        result = c.ping()
    assert result.outcome is Outcome.RESPONSE_DECRYPTION_ERROR
    assert "without quotes" in (result.error or "")
    assert result.exchange.url == url
