"""The request path through the mock WhatsApp client: every status WhatsApp knows."""

from __future__ import annotations

import base64
import json

import httpx
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


@pytest.mark.parametrize("flow_token", ["good", "forged.token", None])
@pytest.mark.parametrize("action", ["navigate", "DELETE", "complete"])
async def test_unknown_action_is_a_clear_4xx(client, token, action, flow_token):
    # checked before the token: a 427 would disable the flow's button for good
    payload = {"version": "3.0", "action": action, "screen": "LEAD", "data": {}}
    if flow_token is not None:
        payload["flow_token"] = token if flow_token == "good" else flow_token
    result = await client.send(payload)
    assert result.status == 400
    assert f"unknown action {action!r}" in decrypted_body(result)["error_msg"]


@pytest.mark.parametrize(
    "data",
    [
        {**GOOD_FORM, "error": "none"},
        {**GOOD_FORM, "error_key": 3},
        {**GOOD_FORM, "error": {"type": "timeout_error"}},
    ],
)
async def test_a_form_with_an_error_field_is_not_an_error_notification(client, token, data):
    result = await client.data_exchange("LEAD", data, token)
    assert result.outcome is Outcome.OK
    assert result.payload["screen"] == "CONFIRM"


@pytest.mark.parametrize("key", ["error", "error_key"])
async def test_a_known_error_type_without_a_message_is_an_error_notification(client, token, key):
    payload = {"version": "3.0", "action": "data_exchange", "screen": "LEAD", "flow_token": token,
               "data": {key: "payload-schema-error"}}  # fmt: skip
    result = await client.send(payload)
    assert result.payload == {"data": {"acknowledged": True}}


async def test_an_identical_request_still_in_flight_is_asked_to_retry_not_409(
    make_settings, public_pem, app_secret, token
):
    from reference_server import create_app
    from reference_server._idempotency import idempotency_key

    app = create_app(make_settings(idempotency_wait_seconds=0.05))
    payload = {"version": "3.0", "action": "data_exchange", "screen": "CONFIRM",
               "data": GOOD_FORM, "flow_token": token}  # fmt: skip
    # the first copy is still being handled elsewhere
    await app.state.redis.set(f"leads:idem:{idempotency_key(PHONE, payload)}", "__pending__")
    async with AsyncFlowClient(app, public_key=public_pem, app_secret=app_secret) as c:
        result = await c.send(payload)
    await app.state.http.aclose()
    assert result.status == 200
    assert result.payload["screen"] == "CONFIRM"
    assert "try again in a moment" in result.payload["data"]["error_message"]
    assert await app.state.redis.xlen("leads:incoming") == 0


async def test_unknown_screen_is_400(client, token):
    result = await client.data_exchange("NOWHERE", {}, token)
    assert result.status == 400
    assert "unknown screen" in decrypted_body(result)["error_msg"]


@pytest.mark.parametrize("flow_token", [None, ""])
async def test_init_and_back_without_a_flow_token_open_the_first_screen(client, flow_token):
    # some iOS clients omit it; a 427 would disable the flow's button for good
    for result in (await client.init(flow_token), await client.back("CONFIRM", flow_token)):
        assert result.outcome is Outcome.OK
        assert result.payload == {"screen": "LEAD", "data": {"error_message": ""}}


async def test_a_submission_without_a_flow_token_asks_to_reopen_the_flow(app, client):
    result = await client.data_exchange("LEAD", GOOD_FORM, None)
    assert result.outcome is Outcome.OK
    assert result.payload["screen"] == "LEAD"
    assert "open it again" in result.payload["data"]["error_message"]
    assert await app.state.redis.xlen("leads:incoming") == 0


async def test_a_confirmation_without_a_flow_token_stays_on_confirm_with_its_data(app, client):
    result = await client.data_exchange("CONFIRM", GOOD_FORM, None)
    assert result.outcome is Outcome.OK
    assert result.payload["screen"] == "CONFIRM"
    data = result.payload["data"]
    assert set(data) == {"error_message", "summary", "first_name", "last_name", "email",
                         "company", "phone", "interest", "consent"}  # fmt: skip
    assert data["email"] == GOOD_FORM["email"].strip()
    assert data["consent"] is True
    assert "open it again" in data["error_message"]


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


def test_settings_refuse_versions_without_3_0(make_settings):
    # WhatsApp's health-check ping always says 3.0: without it the flow cannot be published
    with pytest.raises(ValueError, match=r"must include '3\.0'"):
        make_settings(supported_versions=["4.0"])
    assert make_settings(supported_versions=["3.0"]).supported_versions == ["3.0"]


@pytest.mark.parametrize("method", ["GET", "PUT", "HEAD"])
async def test_other_methods_on_the_flows_path_are_405(app, method):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ref.test") as http:
        response = await http.request(method, "/")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


async def test_the_flows_path_under_a_root_path_reaches_the_endpoint(app, client):
    """Behind a proxy that strips a prefix (uvicorn --root-path), routing finds the endpoint."""
    transport = httpx.ASGITransport(app=app, root_path="/flows")
    async with httpx.AsyncClient(transport=transport, base_url="http://ref.test") as http:
        response = await http.post("/flows/", content=b"{}")
    assert response.status_code == 432  # the endpoint's answer to an unsigned body
    assert response.text.startswith("X-Hub-Signature-256")
