"""The Slack incoming-webhook mock answers like Slack, in both modes."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from mocks._core import MockHandle, RateLimitFault
from mocks.slack import SlackAdmin, SlackWebhookError, Webhook, create_service, parse_payload

HOOK = "/services/T0001/B0001/secret0001"


def _answer(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.text


def test_json_message_is_accepted_and_stored(slack: MockHandle[Any]) -> None:
    response = slack.client.post(HOOK, json={"text": "New lead: Ada", "username": "bot"})
    assert _answer(response) == (200, "ok")
    assert response.headers["content-type"].startswith("text/plain")
    (message,) = SlackAdmin(slack.admin).messages()
    assert (message.team, message.bot, message.text) == ("T0001", "B0001", "New lead: Ada")
    assert message.payload == {"text": "New lead: Ada", "username": "bot"}


def test_form_encoded_payload_is_accepted(slack: MockHandle[Any]) -> None:
    payload = {"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]}
    response = slack.client.post(HOOK, data={"payload": json.dumps(payload)})
    assert _answer(response) == (200, "ok")
    (message,) = SlackAdmin(slack.admin).messages()
    assert message.text is None
    assert message.blocks == payload["blocks"]
    (entry,) = slack.admin.requests()
    assert entry.form is not None
    assert json.loads(entry.form["payload"][0]) == payload


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"text": "unterminated', "application/json"),
        (b'["text"]', "application/json"),
        (b"\xff\xfe", "application/json"),
        (b'{"text": "hi"}', "text/plain"),
        (b"payload=%7Bnot-json", "application/x-www-form-urlencoded"),
    ],
)
def test_invalid_payload(slack: MockHandle[Any], content: bytes, content_type: str) -> None:
    response = slack.client.post(HOOK, content=content, headers={"content-type": content_type})
    assert _answer(response) == (400, "invalid_payload")
    (entry,) = slack.admin.requests()
    assert entry.matched
    assert entry.body == content
    assert entry.status == 400
    assert SlackAdmin(slack.admin).messages() == []


@pytest.mark.parametrize(
    "payload", [{}, {"text": ""}, {"username": "bot"}, {"blocks": []}, {"attachments": []}]
)
def test_no_text(slack: MockHandle[Any], payload: dict[str, Any]) -> None:
    assert _answer(slack.client.post(HOOK, json=payload)) == (400, "no_text")


def test_attachments_alone_are_enough(slack: MockHandle[Any]) -> None:
    response = slack.client.post(HOOK, json={"attachments": [{"fallback": "x", "text": "y"}]})
    assert _answer(response) == (200, "ok")


def test_configured_webhooks_gate_the_urls(slack: MockHandle[Any]) -> None:
    admin = SlackAdmin(slack.admin)
    hook = admin.add_webhook(team="T1", bot="B1", secret="good", channel="#leads")
    archived = admin.add_webhook(status="archived")
    prohibited = admin.add_webhook(status="prohibited")
    cases = {
        "/services/T1/B1/good": (200, "ok"),
        "/services/T1/B1/wrong": (403, "invalid_token"),
        "/services/T9/B9/good": (404, "no_service"),
        archived.path: (410, "channel_is_archived"),
        prohibited.path: (403, "action_prohibited"),
    }
    for path, expected in cases.items():
        assert _answer(slack.client.post(path, json={"text": "hi"})) == expected, path
    (message,) = admin.messages()
    assert message.channel == "#leads"
    assert admin.messages(team="T1", bot="B1") == [message]
    assert admin.messages(team="T9") == []
    assert {w.team for w in admin.webhooks()} == {hook.team, archived.team, prohibited.team}


def test_unknown_service_routes_are_unmatched(slack: MockHandle[Any]) -> None:
    assert slack.client.get(HOOK).status_code == 405
    assert slack.client.post("/services/T1/B1", json={"text": "x"}).status_code == 404
    assert [e.path for e in slack.admin.unmatched()] == [HOOK, "/services/T1/B1"]


def test_rate_limit_fault(slack: MockHandle[Any]) -> None:
    slack.admin.add_fault(RateLimitFault(retry_after=30), path="/services/*", times=1)
    limited = slack.client.post(HOOK, json={"text": "hi"})
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "30"
    assert _answer(slack.client.post(HOOK, json={"text": "hi"})) == (200, "ok")
    assert len(SlackAdmin(slack.admin).messages()) == 1


def test_reset_brings_back_configured_webhooks() -> None:
    hook = Webhook(team="T7", bot="B7", secret="s7")
    with MockHandle.in_process(create_service(webhooks=[hook])) as slack:
        admin = SlackAdmin(slack.admin)
        admin.add_webhook(team="T8", bot="B8", secret="s8")
        slack.client.post(hook.path, json={"text": "hi"})
        slack.reset()
        assert admin.webhooks() == [hook]
        assert admin.messages() == []
        assert slack.admin.state()["webhooks"] == [hook.model_dump()]


def test_generated_webhooks_follow_the_seed() -> None:
    def first_hook() -> Webhook:
        with MockHandle.in_process(create_service(seed=11)) as slack:
            return SlackAdmin(slack.admin).add_webhook()

    hook = first_hook()
    assert hook.team.startswith("T")
    assert hook.bot.startswith("B")
    assert len(hook.secret) == 24
    assert first_hook() == hook


def test_bad_webhook_spec_is_refused(slack: MockHandle[Any]) -> None:
    from mocks._core import AdminError

    with pytest.raises(AdminError) as info:
        SlackAdmin(slack.admin).add_webhook(team="T 1")
    assert info.value.status == 422


def test_parse_payload_raw_json_in_a_form_post() -> None:
    # curl -d '{"text": "hi"}' sends JSON labelled as a form; Slack reads it.
    assert parse_payload("application/x-www-form-urlencoded", b'{"text": "hi"}') == {"text": "hi"}
    with pytest.raises(SlackWebhookError) as info:
        parse_payload(None, b'{"text": "hi"}')
    assert (info.value.status, info.value.code) == (400, "invalid_payload")
