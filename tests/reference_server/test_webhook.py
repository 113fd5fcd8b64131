"""The completion webhook: verification, signatures, nfm_reply, follow-up photos, dedupe."""

from __future__ import annotations

import json

import httpx
import pytest

from harness import crypto
from reference_server import create_app

from .conftest import PHONE

pytestmark = pytest.mark.anyio


@pytest.fixture
async def webhook_app(make_settings):
    app = create_app(make_settings(webhook_verify_token="verify-me"))
    yield app
    await app.state.http.aclose()


@pytest.fixture
async def http(webhook_app):
    transport = httpx.ASGITransport(app=webhook_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ref.test") as client:
        yield client


def notification(*messages: dict) -> dict:
    value = {"messaging_product": "whatsapp", "messages": list(messages)}
    change = {"field": "messages", "value": value}
    return {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [change]}]}


def nfm_reply(wamid: str, token: str, reference: str) -> dict:
    response_json = json.dumps({"flow_token": token, "lead_reference": reference})
    reply = {"name": "flow", "body": "Sent", "response_json": response_json}
    return {
        "from": PHONE.lstrip("+"),
        "id": wamid,
        "type": "interactive",
        "context": {"id": "wamid.FLOWMSG"},
        "interactive": {"type": "nfm_reply", "nfm_reply": reply},
    }


async def post(http, body: dict, secret: str) -> httpx.Response:
    raw = json.dumps(body).encode()
    headers = {crypto.SIGNATURE_HEADER: crypto.sign_body(raw, secret)}
    return await http.post("/webhook", content=raw, headers=headers)


async def test_verification_echoes_the_challenge_only_for_the_right_token(http):
    ok = await http.get("/webhook", params={"hub.mode": "subscribe", "hub.challenge": "1158201444",
                                            "hub.verify_token": "verify-me"})  # fmt: skip
    bad = await http.get("/webhook", params={"hub.mode": "subscribe", "hub.challenge": "1",
                                             "hub.verify_token": "nope"})  # fmt: skip
    assert (ok.status_code, ok.text) == (200, "1158201444")
    assert bad.status_code == 403


async def test_verification_with_a_non_ascii_token_is_403_not_500(http):
    answer = await http.get("/webhook", params={"hub.mode": "subscribe", "hub.challenge": "1",
                                                "hub.verify_token": "vérifie"})  # fmt: skip
    assert answer.status_code == 403


async def test_unsigned_delivery_is_refused(http, app_secret, token):
    raw = json.dumps(notification(nfm_reply("wamid.1", token, "L1"))).encode()
    assert (await http.post("/webhook", content=raw)).status_code == 403
    wrong = await post(http, notification(nfm_reply("wamid.1", token, "L1")), "not-the-secret")
    assert wrong.status_code == 403


async def test_completion_is_recorded_once_despite_retries(webhook_app, http, app_secret, token):
    body = notification(nfm_reply("wamid.1", token, "L1"))
    for _ in range(3):  # Meta redelivers
        assert (await post(http, body, app_secret)).status_code == 200
    entries = await webhook_app.state.redis.xrange("leads:completions")
    assert len(entries) == 1
    fields = entries[0][1]
    assert (fields["lead_reference"], fields["phone"], fields["context_id"]) == (
        "L1", PHONE, "wamid.FLOWMSG",
    )  # fmt: skip


async def test_follow_up_photo_is_linked_to_the_lead(webhook_app, http, app_secret, token):
    await post(http, notification(nfm_reply("wamid.1", token, "L1")), app_secret)
    photo = {"from": PHONE.lstrip("+"), "id": "wamid.2", "type": "image",
             "image": {"id": "MEDIA1", "mime_type": "image/jpeg", "sha256": "abc"}}  # fmt: skip
    stranger = {**photo, "from": "14155550100", "id": "wamid.3"}
    await post(http, notification(photo, stranger), app_secret)
    await post(http, notification(photo), app_secret)  # redelivered
    entries = await webhook_app.state.redis.xrange("leads:attachments")
    assert [(f["lead_reference"], f["phone"], f["media_id"]) for _, f in entries] == [
        ("L1", PHONE, "MEDIA1")
    ]


async def test_forged_flow_token_in_a_completion_is_ignored(webhook_app, http, app_secret):
    await post(http, notification(nfm_reply("wamid.9", "forged.token", "L9")), app_secret)
    assert await webhook_app.state.redis.xlen("leads:completions") == 0


async def test_malformed_notification_is_400(http, app_secret):
    raw = b"[1, 2"
    headers = {crypto.SIGNATURE_HEADER: crypto.sign_body(raw, app_secret)}
    assert (await http.post("/webhook", content=raw, headers=headers)).status_code == 400


async def test_a_delivery_that_failed_is_processed_when_meta_retries(
    webhook_app, app_secret, token, monkeypatch
):
    redis = webhook_app.state.redis
    real_xadd = redis.xadd
    failures = iter([ConnectionError("redis went away")])

    async def flaky_xadd(*args, **kwargs):
        for failure in failures:  # only the first call fails
            raise failure
        return await real_xadd(*args, **kwargs)

    monkeypatch.setattr(redis, "xadd", flaky_xadd)
    transport = httpx.ASGITransport(app=webhook_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://ref.test") as http:
        body = notification(nfm_reply("wamid.7", token, "L7"))
        assert (await post(http, body, app_secret)).status_code == 500
        assert (await post(http, body, app_secret)).status_code == 200  # Meta retries
    entries = await redis.xrange("leads:completions")
    assert [fields["lead_reference"] for _, fields in entries] == ["L7"]
