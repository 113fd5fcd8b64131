"""The request path through the mock WhatsApp client: every status WhatsApp knows."""

from __future__ import annotations

import base64
import json

import pytest

from harness import crypto
from harness.client import OMIT, AsyncFlowClient, Outcome
from reference_server import FlowTokens

from .conftest import FLOW_ID, GOOD_FORM, PHONE, TOKEN_SECRET

pytestmark = pytest.mark.anyio


def decrypted_body(result) -> dict:
    return crypto.decrypt_response(result.exchange.response_body, result.exchange.keys)


async def test_ping_answers_active(client):
    result = await client.ping()
    assert result.outcome is Outcome.OK
    assert result.payload == {"data": {"status": "active"}}
    assert result.exchange.response_headers["content-type"].startswith("text/plain")
    assert result.within_budget


@pytest.mark.parametrize("key", ["error", "error_key"])
async def test_error_notification_is_acknowledged(client, token, key):
    result = await client.error_notification(
        token, "invalid-screen-transition", "cannot go there", screen="LEAD", key=key
    )
    assert result.status == 200
    assert result.payload == {"data": {"acknowledged": True}}


async def test_error_notification_needs_no_valid_token(client):
    result = await client.error_notification("forged.token", "timeout_error", "slow")
    assert result.payload == {"data": {"acknowledged": True}}


async def test_init_opens_the_lead_screen(client, token):
    result = await client.init(token)
    assert result.outcome is Outcome.OK
    assert result.payload == {"screen": "LEAD", "data": {"error_message": ""}}


async def test_back_returns_to_the_lead_screen(client, token):
    result = await client.back("CONFIRM", token)
    assert result.payload["screen"] == "LEAD"


@pytest.mark.parametrize("signature", ["bad", "missing", "sha256=zz", "md5=abc"])
async def test_bad_or_missing_signature_is_432(client, signature):
    result = await client.send({"version": "3.0", "action": "ping"}, signature=signature)
    assert result.status == 432
    assert result.outcome is Outcome.SIGNATURE_REJECTED


async def test_old_app_secret_is_accepted_during_rotation(make_settings, public_pem, app_secret):
    from reference_server import create_app

    app = create_app(make_settings(app_secrets=["the-new-secret", app_secret]))
    async with AsyncFlowClient(app, public_key=public_pem, app_secret=app_secret) as old:
        assert (await old.ping()).outcome is Outcome.OK
    async with AsyncFlowClient(app, public_key=public_pem, app_secret="the-new-secret") as new:
        assert (await new.ping()).outcome is Outcome.OK
    async with AsyncFlowClient(app, public_key=public_pem, app_secret="another") as other:
        assert (await other.ping()).status == 432


async def test_wrong_public_key_is_421(app, other_private_key, app_secret):
    async with AsyncFlowClient(
        app,
        public_key=crypto.public_key_pem(other_private_key),
        app_secret=app_secret,
        retry_delay=0.0,
    ) as c:
        result = await c.ping()
    assert result.status == 421
    assert result.outcome is Outcome.BUSINESS_DECRYPTION_ERROR
    assert result.retried


async def test_tampered_tag_is_421(client):
    def flip_last_byte(value: str) -> str:
        raw = bytearray(base64.b64decode(value))
        raw[-1] ^= 1
        return base64.b64encode(bytes(raw)).decode()

    result = await client.send(
        {"version": "3.0", "action": "ping"}, envelope={"encrypted_flow_data": flip_last_byte}
    )
    assert result.status == 421


async def test_twelve_byte_iv_is_421(client):
    result = await client.send(
        {"version": "3.0", "action": "ping"},
        envelope={"initial_vector": base64.b64encode(b"\0" * 12).decode()},
    )
    assert result.status == 421


async def test_old_private_key_still_decrypts_during_rotation(
    make_settings, private_key, other_private_key, app_secret
):
    from reference_server import create_app

    settings = make_settings(
        private_keys=[
            crypto.private_key_pem(other_private_key).decode(),
            crypto.private_key_pem(private_key).decode(),
        ]
    )
    async with AsyncFlowClient(
        create_app(settings), public_key=crypto.public_key_pem(private_key), app_secret=app_secret
    ) as c:
        assert (await c.ping()).outcome is Outcome.OK


async def test_missing_envelope_field_is_400(client):
    result = await client.send(
        {"version": "3.0", "action": "ping"}, envelope={"initial_vector": OMIT}
    )
    assert result.status == 400


async def test_body_that_is_not_json_is_400(client):
    result = await client.send(body=b"not json at all")
    assert result.status == 400
    assert b"not a Flows request envelope" in result.exchange.response_body


async def test_plaintext_that_is_not_json_is_400(client):
    result = await client.send(b"{not json")
    assert result.status == 400


async def test_body_over_the_limit_is_413(make_settings, public_pem, app_secret):
    from reference_server import create_app

    app = create_app(make_settings(max_body_bytes=2000))
    async with AsyncFlowClient(app, public_key=public_pem, app_secret=app_secret) as c:
        small = await c.ping()
        big = await c.send({"version": "3.0", "action": "ping", "pad": "x" * 5000})
    assert small.status == 200
    assert big.status == 413


@pytest.mark.parametrize("missing", ["action", "version"])
async def test_missing_fields_are_400_with_an_encrypted_reason(client, missing):
    payload = {"version": "3.0", "action": "ping"}
    del payload[missing]
    result = await client.send(payload)
    assert result.status == 400
    assert "error_msg" in decrypted_body(result)


async def test_unknown_version_alerts_operations_and_never_crashes(app, client, token):
    for _ in range(3):
        result = await client.send({"version": "9.9", "action": "INIT", "flow_token": token})
    assert result.status == 400
    assert "9.9" in decrypted_body(result)["error_msg"]
    await app.state.alerter.drain()
    alerts = app.state.alerter.sent
    assert [a.severity for a in alerts] == ["high"]
    assert "'9.9'" in alerts[0].details["version"]


@pytest.mark.parametrize("action", ["navigate", "DELETE", "complete"])
async def test_unknown_action_is_a_clear_4xx(client, token, action):
    result = await client.send(
        {"version": "3.0", "action": action, "screen": "LEAD", "data": {}, "flow_token": token}
    )
    assert result.status == 400
    assert f"unknown action {action!r}" in decrypted_body(result)["error_msg"]


async def test_unknown_screen_is_400(client, token):
    result = await client.data_exchange("NOWHERE", {}, token)
    assert result.status == 400
    assert "unknown screen" in decrypted_body(result)["error_msg"]


async def test_missing_flow_token_is_427_with_an_encrypted_message(client):
    result = await client.init(None)
    assert result.status == 427
    assert result.outcome is Outcome.FLOW_TOKEN_INVALID
    assert "no flow_token" in result.error_msg


async def test_forged_token_is_427(client):
    forged = FlowTokens(["someone-elses-secret"]).issue(PHONE, FLOW_ID)
    result = await client.data_exchange("LEAD", GOOD_FORM, forged)
    assert result.status == 427
    assert "not valid" in result.error_msg


async def test_tampered_token_is_427(client, token):
    body, _, signature = token.partition(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["p"] = "+33699999999"
    forged_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    result = await client.init(f"{forged_body}.{signature}")
    assert result.status == 427


async def test_expired_token_is_427(client):
    expired = FlowTokens([TOKEN_SECRET], clock=lambda: 1_000.0).issue(PHONE, FLOW_ID)
    result = await client.init(expired)
    assert result.status == 427
    assert "expired" in result.error_msg


@pytest.mark.parametrize("flow_token", [True, 12345, ["a.b"], {"t": "a.b"}])
async def test_a_flow_token_that_is_not_a_string_is_427(client, flow_token):
    result = await client.send({"version": "3.0", "action": "INIT", "flow_token": flow_token})
    assert result.status == 427
    assert "not valid" in result.error_msg


async def test_data_nested_absurdly_deep_is_a_clear_400(client, token):
    data: dict = {"leaf": "x"}
    for _ in range(900):
        data = {"next": data}
    payload = {"version": "3.0", "action": "data_exchange", "screen": "LEAD", "data": data}
    result = await client.send({**payload, "flow_token": token})
    assert result.status == 400
    assert "nested deeper" in decrypted_body(result)["error_msg"]
