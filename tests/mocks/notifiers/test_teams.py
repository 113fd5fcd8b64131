"""The Teams webhook mock answers like Teams, in both modes."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from mocks._core import (
    ConnectionResetFault,
    EmptyResponseFault,
    LatencyFault,
    MalformedBodyFault,
    MockHandle,
    RateLimitFault,
    StatusFault,
)
from mocks.teams import ADAPTIVE_CARD, BAD_PAYLOAD, MAX_MESSAGE_BYTES, TeamsAdmin

HOOK = "/webhookb2/0000-group@1111-tenant/IncomingWebhook/abcdef0123/2222-owner"
HOOK_V2 = HOOK + "/V2xyz"
FLOW = "/workflows/3f2a/triggers/manual/paths/invoke"
FLOW_QUERY = "?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=abc"
POWER_FLOW = "/powerautomate/automations/direct/workflows/9c1d/triggers/manual/paths/invoke"


def adaptive(*texts: str) -> dict[str, Any]:
    body = [{"type": "TextBlock", "text": text} for text in texts]
    card = {"type": "AdaptiveCard", "version": "1.4", "body": body}
    return {"type": "message", "attachments": [{"contentType": ADAPTIVE_CARD, "content": card}]}


def _answer(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.text


def test_message_card_answers_one_and_is_stored(teams: MockHandle[Any]) -> None:
    card = {"@type": "MessageCard", "summary": "New lead", "text": "Ada  \nAcme", "title": "Lead"}
    assert _answer(teams.client.post(HOOK, json=card)) == (200, "1")
    (message,) = TeamsAdmin(teams.admin).messages()
    assert (message.kind, message.connector, message.text) == (
        "message_card",
        "incoming_webhook",
        "Ada  \nAcme",
    )
    assert (message.summary, message.title, message.payload) == ("New lead", "Lead", card)
    assert message.webhook == "0000-group@1111-tenant/abcdef0123/2222-owner"


def test_adaptive_card_on_a_v2_url(teams: MockHandle[Any]) -> None:
    assert _answer(teams.client.post(HOOK_V2, json=adaptive("New lead", "Ada"))) == (200, "1")
    (message,) = TeamsAdmin(teams.admin).messages(
        webhook="0000-group@1111-tenant/abcdef0123/2222-owner/V2xyz"
    )
    assert message.kind == "adaptive_card"
    assert message.text == "New lead\nAda"
    assert message.cards[0]["type"] == "AdaptiveCard"


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"text": "unterminated', "application/json"),
        (b'["text"]', "application/json"),
        (b"", "application/json"),
        (b'{"text": "hi"}', "text/plain"),
        (b'{"zen": "github ping"}', "application/json"),
        (json.dumps({"type": "message", "attachments": []}).encode(), "application/json"),
        (
            json.dumps({"type": "message", "attachments": [{"contentType": "image/png"}]}).encode(),
            "application/json",
        ),
    ],
)
def test_bad_payload(teams: MockHandle[Any], content: bytes, content_type: str) -> None:
    response = teams.client.post(HOOK, content=content, headers={"content-type": content_type})
    assert _answer(response) == (400, BAD_PAYLOAD)
    (entry,) = teams.admin.requests()
    assert (entry.matched, entry.status, entry.body) == (True, 400, content)
    assert TeamsAdmin(teams.admin).messages() == []


def test_message_card_without_text_or_summary(teams: MockHandle[Any]) -> None:
    response = teams.client.post(HOOK, json={"@type": "MessageCard", "title": "no text"})
    assert _answer(response) == (400, "Summary or Text is required.")


def test_oversized_message(teams: MockHandle[Any]) -> None:
    response = teams.client.post(HOOK, json={"text": "x" * MAX_MESSAGE_BYTES})
    assert response.status_code == 413


def test_workflow_accepts_with_202_and_needs_sig(teams: MockHandle[Any]) -> None:
    accepted = teams.client.post(FLOW + FLOW_QUERY, json=adaptive("Lead"))
    assert _answer(accepted) == (202, "")
    other = teams.client.post(POWER_FLOW + "?api-version=1&sig=x", json={"text": "legacy"})
    assert other.status_code == 202
    unsigned = teams.client.post(FLOW + "?api-version=2016-06-01", json=adaptive("Lead"))
    assert unsigned.status_code == 401
    assert unsigned.json()["error"]["code"] == "DirectApiAuthorizationRequired"
    not_json = teams.client.post(
        FLOW + FLOW_QUERY, content=b"hi", headers={"content-type": "text/plain"}
    )
    assert not_json.status_code == 400
    assert not_json.json()["error"]["code"] == "InvalidRequestContent"
    admin = TeamsAdmin(teams.admin)
    assert [(m.webhook, m.kind) for m in admin.messages(connector="workflow")] == [
        ("3f2a", "adaptive_card"),
        ("9c1d", "message_card"),
    ]
    assert admin.messages(connector="incoming_webhook") == []


def test_unknown_routes_are_journaled_unmatched(teams: MockHandle[Any]) -> None:
    assert teams.client.post("/webhookb2/x/Other/y/z", json={"text": "hi"}).status_code == 404
    assert teams.client.get(HOOK).status_code == 405
    assert [e.path for e in teams.admin.unmatched()] == ["/webhookb2/x/Other/y/z", HOOK]


def test_faults(teams: MockHandle[Any]) -> None:
    admin = teams.admin
    admin.add_fault(RateLimitFault(retry_after=7), path="/webhookb2/*", times=1)
    limited = teams.client.post(HOOK, json={"text": "a"})
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "7")
    admin.add_fault(StatusFault(status=503, body="busy"), method="POST", times=1)
    assert _answer(teams.client.post(HOOK, json={"text": "b"})) == (503, "busy")
    admin.add_fault(EmptyResponseFault(status=200), times=1)
    assert _answer(teams.client.post(HOOK, json={"text": "c"})) == (200, "")
    admin.add_fault(MalformedBodyFault(body="<html>"), times=1)
    assert teams.client.post(HOOK, json={"text": "d"}).text == "<html>"
    admin.add_fault(ConnectionResetFault(), times=1)
    with pytest.raises(httpx.TransportError):
        teams.client.post(HOOK, json={"text": "e"})
    admin.add_fault(LatencyFault(seconds=0.05), times=1)
    assert _answer(teams.client.post(HOOK, json={"text": "f"})) == (200, "1")
    entries = admin.requests()
    assert [e.faults for e in entries] == [
        ["rate_limit"],
        ["status"],
        ["empty_response"],
        ["malformed_body"],
        ["connection_reset"],
        ["latency"],
    ]
    assert entries[-1].duration is not None
    assert entries[-1].duration >= 0.04
    assert [m.text for m in TeamsAdmin(admin).messages()] == ["f"]


def test_reset_isolates(teams: MockHandle[Any]) -> None:
    teams.client.post(HOOK, json={"text": "hi"})
    teams.admin.add_fault(StatusFault(status=500))
    teams.reset()
    assert teams.admin.count() == 0
    assert teams.admin.faults() == []
    assert TeamsAdmin(teams.admin).messages() == []
    assert _answer(teams.client.post(HOOK, json={"text": "again"})) == (200, "1")
