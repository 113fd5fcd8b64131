"""The WASenderApi mock: send-message and its variants, errors, rate limits, admin API.

Each test runs in-process and against a real loopback server (the ``wasender``
fixture); tests that step a fake clock use an in-process service of their own.
"""

from __future__ import annotations

from typing import Any

import pytest

from mocks import AdminError, MockHandle, RateLimitFault, StatusFault
from mocks.wasender import (
    DEFAULT_API_KEY,
    PLANS,
    WasenderAdmin,
    create_service,
    validate_message,
)
from mocks.wasender.exceptions import WasenderApiError

AUTH = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}
TO = "+14155550123"


def send(mock: MockHandle[Any], body: Any, headers: dict[str, str] | None = None) -> Any:
    return mock.client.post(
        "/api/send-message", json=body, headers=AUTH if headers is None else headers
    )


def test_text_message_answers_as_documented(wasender: MockHandle[Any]) -> None:
    first = send(wasender, {"to": TO, "text": "New lead: Ada Lovelace"})
    assert first.status_code == 200
    body = first.json()
    assert body["success"] is True
    assert body["data"]["jid"] == TO
    assert body["data"]["status"] == "in_progress"
    assert isinstance(body["data"]["msgId"], int)
    second = send(wasender, {"to": TO, "text": "again"}).json()
    assert second["data"]["msgId"] == body["data"]["msgId"] + 1
    # every send carries the documented rate-limit headers (paid plan: 256 a minute)
    assert first.headers["X-RateLimit-Limit"] == "256"
    assert first.headers["X-RateLimit-Remaining"] == "255"
    assert int(first.headers["X-RateLimit-Reset"]) > 1_700_000_000  # a Unix timestamp
    messages = WasenderAdmin(wasender.admin).messages(to=TO)
    assert [m.text for m in messages] == ["New lead: Ada Lovelace", "again"]
    assert messages[0].jid == "14155550123@s.whatsapp.net"
    assert messages[0].type == "text"


@pytest.mark.parametrize(
    ("body", "kind", "stored"),
    [
        ({"imageUrl": "https://x.test/a.png", "text": "photo"}, "image", "media_url"),
        ({"videoUrl": "https://x.test/a.mp4"}, "video", "media_url"),
        (
            {"documentUrl": "https://x.test/a.pdf", "fileName": "lead.pdf"},
            "document",
            "file_name",
        ),
        ({"audioUrl": "https://x.test/a.mp3"}, "audio", "media_url"),
        ({"stickerUrl": "https://x.test/a.webp"}, "sticker", "media_url"),
        ({"contact": {"name": "Ada", "phone": "+442071234567"}}, "contact", "contact"),
        (
            {"location": {"latitude": "51.5", "longitude": -0.12, "name": "HQ"}},
            "location",
            "location",
        ),
        ({"poll": {"question": "Call?", "options": ["yes", "no"]}}, "poll", "poll"),
    ],
)
def test_each_message_type_is_inferred_or_named(
    wasender: MockHandle[Any], body: dict[str, Any], kind: str, stored: str
) -> None:
    assert send(wasender, {"to": TO, **body}).status_code == 200
    assert send(wasender, {"to": TO, "messageType": kind, **body}).status_code == 200
    inferred, named = WasenderAdmin(wasender.admin).messages(type=kind)
    assert getattr(inferred, stored) == getattr(named, stored) is not None
    info = wasender.client.get(f"/api/messages/{named.msg_id}/info", headers=AUTH).json()
    assert info["success"] is True
    assert info["data"]["msgId"] == named.msg_id
    assert info["data"]["key"]["fromMe"] is True
    assert info["data"]["remoteJid"] == "14155550123@s.whatsapp.net"
    assert next(iter(info["data"]["message"])) != "extendedTextMessage"  # not read as text


def test_groups_and_channels_are_recipients(wasender: MockHandle[Any]) -> None:
    for to in ("120363025246125486@g.us", "120363025246125487@newsletter", "14155550123"):
        assert send(wasender, {"to": to, "text": "hi"}).status_code == 200, to
    group = WasenderAdmin(wasender.admin).messages(to="120363025246125486@g.us")[0]
    assert group.jid == "120363025246125486@g.us"


def test_validation_failure_is_the_documented_body(wasender: MockHandle[Any]) -> None:
    answer = send(wasender, {})
    assert answer.status_code == 422
    assert answer.json() == {
        "success": False,
        "message": "Validation failed",
        "errors": {
            "to": ["The to field is required."],
            "text": ["The text field is required when no media is present."],
        },
    }
    assert WasenderAdmin(wasender.admin).messages() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"to": "not-a-number", "text": "hi"}, "to"),
        ({"to": "+1234", "text": "hi"}, "to"),
        ({"to": TO, "text": "   "}, "text"),
        ({"to": TO, "messageType": "image"}, "imageUrl"),
        ({"to": TO, "imageUrl": "ftp://x.test/a.png"}, "imageUrl"),
        ({"to": TO, "messageType": "fax", "text": "hi"}, "messageType"),
        ({"to": TO, "location": {"latitude": 91, "longitude": 0}}, "location.latitude"),
        ({"to": TO, "contact": {"name": "Ada"}}, "contact.phone"),
        ({"to": TO, "poll": {"question": "?", "options": ["only"]}}, "poll.options"),
        ({"to": TO, "text": "hi", "replyTo": "x"}, "replyTo"),
    ],
)
def test_each_bad_field_is_named(
    wasender: MockHandle[Any], body: dict[str, Any], field: str
) -> None:
    answer = send(wasender, body)
    assert answer.status_code == 422
    assert field in answer.json()["errors"], answer.json()


def test_unreadable_and_form_bodies(wasender: MockHandle[Any]) -> None:
    broken = wasender.client.post(
        "/api/send-message",
        content=b"{not json",
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert broken.status_code == 422
    assert set(broken.json()["errors"]) == {"to", "text"}
    form = wasender.client.post(
        "/api/send-message", data={"to": TO, "text": "from a form"}, headers=AUTH
    )
    assert form.status_code == 200
    assert WasenderAdmin(wasender.admin).messages()[0].text == "from a form"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "API key is required"),
        ({"Authorization": "Bearer "}, "API key is required"),
        ({"Authorization": f"Basic {DEFAULT_API_KEY}"}, "API key is required"),
        ({"Authorization": "Bearer wrong-key"}, "Invalid API key"),
    ],
)
def test_authentication(wasender: MockHandle[Any], headers: dict[str, str], message: str) -> None:
    for answer in (
        send(wasender, {"to": TO, "text": "hi"}, headers=headers),
        wasender.client.get("/api/status", headers=headers),
        wasender.client.get("/api/messages/1/info", headers=headers),
    ):
        assert answer.status_code == 401
        assert answer.json() == {"success": False, "message": message}
    assert WasenderAdmin(wasender.admin).messages() == []


def test_trial_plan_sends_one_a_minute(wasender: MockHandle[Any]) -> None:
    WasenderAdmin(wasender.admin).set_session(plan="trial")
    assert send(wasender, {"to": TO, "text": "one"}).status_code == 200
    refused = send(wasender, {"to": TO, "text": "two"})
    assert refused.status_code == 429
    body = refused.json()
    assert body["message"] == "You are on a free trial. You can only send 1 message every 1 minute."
    assert 0 < body["retry_after"] <= 60
    assert refused.headers["Retry-After"] == str(body["retry_after"])
    assert refused.headers["X-RateLimit-Limit"] == "1"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert [m.text for m in WasenderAdmin(wasender.admin).messages()] == ["one"]
    assert wasender.admin.count(status=429) == 1


def test_sessions_have_their_own_limits(wasender: MockHandle[Any]) -> None:
    admin = WasenderAdmin(wasender.admin)
    other = admin.add_session(plan="protected")
    assert len(other.api_key) == 64  # as long as a real key, drawn from the seeded RNG
    admin.set_session(plan="trial")
    assert send(wasender, {"to": TO, "text": "trial"}).status_code == 200
    theirs = {"Authorization": f"Bearer {other.api_key}"}
    assert send(wasender, {"to": TO, "text": "protected"}, headers=theirs).status_code == 200
    refused = send(wasender, {"to": TO, "text": "again"}, headers=theirs)
    assert refused.status_code == 429
    assert "5 seconds" in refused.json()["message"]
    assert 0 < refused.json()["retry_after"] <= 5
    # one session's message is not another's
    mine = admin.messages()[0].msg_id
    assert wasender.client.get(f"/api/messages/{mine}/info", headers=theirs).status_code == 404


def test_a_session_that_is_not_connected_cannot_send(wasender: MockHandle[Any]) -> None:
    admin = WasenderAdmin(wasender.admin)
    assert wasender.client.get("/api/status", headers=AUTH).json() == {"status": "connected"}
    admin.set_session(status="need_scan")
    assert wasender.client.get("/api/status", headers=AUTH).json() == {"status": "need_scan"}
    refused = send(wasender, {"to": TO, "text": "hi"})
    assert refused.status_code == 400
    assert refused.json()["success"] is False
    assert "need_scan" in refused.json()["message"]
    with pytest.raises(AdminError) as unknown:
        admin.set_session("no-such-key", plan="trial")
    assert unknown.value.status == 404


def test_throttle_fault_answers_like_wasender(wasender: MockHandle[Any]) -> None:
    WasenderAdmin(wasender.admin).throttle(retry_after=7, times=1)
    refused = send(wasender, {"to": TO, "text": "hi"})
    assert refused.status_code == 429
    assert refused.json() == {
        "message": PLANS["paid"].message,
        "retry_after": 7,
    }
    assert refused.headers["Retry-After"] == "7"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert send(wasender, {"to": TO, "text": "hi"}).status_code == 200  # times=1
    # a fault's own body and status win
    wasender.admin.add_fault(StatusFault(status=503, body={"success": False, "message": "down"}))
    assert send(wasender, {"to": TO, "text": "hi"}).json() == {"success": False, "message": "down"}
    wasender.admin.clear_faults()
    wasender.admin.add_fault(RateLimitFault(retry_after=2, body={"message": "custom"}))
    assert send(wasender, {"to": TO, "text": "hi"}).json() == {"message": "custom"}


def test_unknown_paths_and_message_ids(wasender: MockHandle[Any]) -> None:
    unknown = wasender.client.post("/api/send-messages", json={}, headers=AUTH)
    assert unknown.status_code == 404
    assert unknown.json() == {"success": False, "message": "Not Found"}
    assert wasender.admin.unmatched()[0].path == "/api/send-messages"
    for msg_id in ("1", "abc"):
        missing = wasender.client.get(f"/api/messages/{msg_id}/info", headers=AUTH)
        assert missing.status_code == 404
        assert missing.json() == {"success": False, "message": "Message not found"}


def test_reset_replays_the_same_ids(wasender: MockHandle[Any]) -> None:
    admin = WasenderAdmin(wasender.admin)
    admin.add_session(api_key="extra")
    first = send(wasender, {"to": TO, "text": "hi"}).json()["data"]["msgId"]
    wasender.reset()
    assert [s.api_key for s in admin.sessions()] == [DEFAULT_API_KEY]
    assert send(wasender, {"to": TO, "text": "hi"}).json()["data"]["msgId"] == first


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_windows_slide_with_the_clock() -> None:
    clock = FakeClock()
    with MockHandle.in_process(create_service(plan="protected", clock=clock)) as mock:
        assert send(mock, {"to": TO, "text": "a"}).status_code == 200
        clock.now += 4
        refused = send(mock, {"to": TO, "text": "b"})
        assert refused.json()["retry_after"] == 1
        assert refused.headers["X-RateLimit-Reset"] == str(1_800_000_005)
        clock.now += 1
        assert send(mock, {"to": TO, "text": "c"}).status_code == 200


def test_trial_daily_cap() -> None:
    clock = FakeClock()
    with MockHandle.in_process(create_service(plan="trial", clock=clock)) as mock:
        clock.now = 1_800_028_800.0  # 16:00 UTC
        for _ in range(50):
            assert send(mock, {"to": TO, "text": "x"}).status_code == 200
            clock.now += 60
        capped = send(mock, {"to": TO, "text": "x"})
        assert capped.status_code == 429
        assert "daily limit" in capped.json()["message"]
        assert capped.json()["retry_after"] == 1_800_057_600 - int(clock.now)  # to midnight
        clock.now = 1_800_057_600.0 + 60  # the next UTC day
        assert send(mock, {"to": TO, "text": "x"}).status_code == 200


def test_unlimited_plan_sends_no_rate_headers() -> None:
    with MockHandle.in_process(create_service(plan="unlimited")) as mock:
        for _ in range(300):
            answer = send(mock, {"to": TO, "text": "x"})
        assert answer.status_code == 200
        assert "X-RateLimit-Limit" not in answer.headers


def test_validate_message_is_usable_alone() -> None:
    message = validate_message({"to": TO, "documentUrl": "https://x.test/a.pdf", "text": "cv"})
    assert (message.type, message.text) == ("document", "cv")
    with pytest.raises(WasenderApiError) as refused:
        validate_message(["not", "an", "object"])
    assert refused.value.status == 422
    assert "to" in refused.value.body["errors"]
