"""Each endpoint mistake, made on purpose by a wrapped stub, ends up in the transcript
with the right finding code, and the walker reports it back like WhatsApp does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness.stub import received_payloads
from harness.testing import Fault
from harness.walker import walk

Rewrite = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]


def _when(action: str, screen: str | None, change: Callable[[dict[str, Any]], None]) -> Rewrite:
    def rewrite(request: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        notification = "error" in (request.get("data") or {})
        if request.get("action") == action and request.get("screen") == screen and not notification:
            change(answer)
        return answer

    return rewrite


def _notifications(app: Any) -> list[dict[str, Any]]:
    return [p["data"] for p in received_payloads(app) if "error" in (p.get("data") or {})]


def _to_contact(answer: dict[str, Any]) -> None:
    answer.update(screen="CONTACT", data={})


def _extra_field(answer: dict[str, Any]) -> None:
    answer["data"]["surprise"] = 1


def _missing_field(answer: dict[str, Any]) -> None:
    del answer["data"]["insurances"]


def _mistyped_field(answer: dict[str, Any]) -> None:
    answer["data"]["insurances"] = "home, health"


def _unknown_screen(answer: dict[str, Any]) -> None:
    answer["screen"] = "NOWHERE"


NAV = "v6.2-navigation-list-dynamic"
MISTAKES = [
    ("transition outside routing_model", NAV, "data_exchange", "FIRST_SCREEN", _to_contact,
     "invalid-screen-transition", "invalid-screen-transition"),
    ("screen that does not exist", NAV, "data_exchange", "FIRST_SCREEN", _unknown_screen,
     "invalid-screen-transition", "invalid-screen-transition"),
    ("extra data field", NAV, "data_exchange", "FIRST_SCREEN", _extra_field,
     "payload-schema-error", "payload-schema-error"),
    ("mistyped data field", NAV, "INIT", None, _mistyped_field,
     "payload-schema-error", "payload-schema-error"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "flow", "action", "screen", "change", "code", "error"),
    MISTAKES,
    ids=[item[0] for item in MISTAKES],
)
def test_contract_mistakes_become_findings_and_notifications(
    stub_client: Any,
    corpus: Any,
    name: str,
    flow: str,
    action: str,
    screen: str | None,
    change: Callable[[dict[str, Any]], None],
    code: str,
    error: str,
) -> None:
    model = corpus(flow)
    with stub_client(model, rewrite=_when(action, screen, change)) as (client, app):
        transcript = walk(model, client, seed=0)
    assert not transcript.completed
    assert transcript.ending == "error"
    assert code in [finding.code for finding in transcript.errors]
    [notice] = _notifications(app)
    assert notice["error"] == error
    assert transcript.notifications[0].error == error
    assert transcript.notifications[0].outcome == "ok"  # the stub acknowledged it


def test_a_declared_field_left_out_is_a_warning_not_a_notification(
    stub_client: Any, corpus: Any
) -> None:
    model = corpus(NAV)
    with stub_client(model, rewrite=_when("INIT", None, _missing_field)) as (client, app):
        transcript = walk(model, client, seed=0)
    assert ("warning", "data-field-absent") in [(f.severity, f.code) for f in transcript.findings]
    assert transcript.errors == []
    assert _notifications(app) == []


def test_success_without_flow_token(stub_client: Any, corpus: Any) -> None:
    def drop_token(answer: dict[str, Any]) -> None:
        del answer["data"]["extension_message_response"]["params"]["flow_token"]

    model = corpus("v4.0-photo-picker")
    with stub_client(model, rewrite=_when("data_exchange", "FIRST", drop_token)) as (client, app):
        transcript = walk(model, client, seed=0)
    assert [finding.code for finding in transcript.errors] == ["missing-flow-token"]
    assert not transcript.completed
    [notice] = _notifications(app)
    assert notice["error"] == "payload-schema-error"
    assert "flow_token" in notice["error_message"]


def test_success_with_another_token_is_a_warning(stub_client: Any, corpus: Any) -> None:
    def swap_token(answer: dict[str, Any]) -> None:
        answer["data"]["extension_message_response"]["params"]["flow_token"] = "someone-else"

    model = corpus("v4.0-photo-picker")
    with stub_client(model, rewrite=_when("data_exchange", "FIRST", swap_token)) as (client, app):
        transcript = walk(model, client, seed=0)
    assert transcript.completed
    assert [(f.severity, f.code) for f in transcript.findings] == [
        ("warning", "flow-token-mismatch")
    ]
    assert _notifications(app) == []


@pytest.mark.parametrize(
    ("fault", "code", "error"),
    [
        (Fault.WRONG_IV, "response-decryption-error", "response-decryption-error"),
        (Fault.GARBAGE, "response-decryption-error", "response-decryption-error"),
        (Fault.STATUS_500, "unexpected-http-status-code", "unexpected_http_status_code"),
    ],
)
def test_wire_faults_are_reported(
    stub_client: Any, corpus: Any, fault: Fault, code: str, error: str
) -> None:
    model = corpus(NAV)
    with stub_client(model) as (client, app):
        app.inject(fault, times=1)
        transcript = walk(model, client, seed=0)
    assert [finding.code for finding in transcript.errors] == [code]
    assert transcript.steps[0].kind == "init"
    [notice] = _notifications(app)
    assert notice["error"] == error


def test_flow_token_refused_is_a_finding_without_notification(
    stub_client: Any, corpus: Any
) -> None:
    model = corpus(NAV)
    with stub_client(model) as (client, app):
        app.inject(Fault.STATUS_427, times=1, error_msg="expired")
        transcript = walk(model, client, seed=0)
    assert [finding.code for finding in transcript.errors] == ["flow-token-invalid"]
    assert _notifications(app) == []


def test_notifications_can_be_switched_off(stub_client: Any, corpus: Any) -> None:
    model = corpus(NAV)
    rewrite = _when("data_exchange", "FIRST_SCREEN", _to_contact)
    with stub_client(model, rewrite=rewrite) as (client, app):
        transcript = walk(model, client, seed=0, notify_errors=False)
    assert "invalid-screen-transition" in [f.code for f in transcript.errors]
    assert transcript.notifications == []
    assert _notifications(app) == []


def _reject_once() -> Rewrite:
    seen: list[int] = []

    def rewrite(request: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        if request.get("action") == "data_exchange" and request.get("screen") == "FIRST_SCREEN":
            seen.append(1)
            if len(seen) == 1:
                return {"screen": "FIRST_SCREEN", "data": {
                    "insurances": [{"id": "home", "main-content": {"title": "Home"},
                                    "on-click-action": {"name": "data_exchange",
                                                        "payload": {"selection": "home"}}}],
                    "error_message": "try again",
                }}  # fmt: skip
        return answer

    return rewrite


def test_error_message_is_recorded_and_retried(stub_client: Any, corpus: Any) -> None:
    model = corpus(NAV)
    with stub_client(model, rewrite=_reject_once()) as (client, _app):
        transcript = walk(model, client, seed=0)
    assert transcript.completed, transcript.format()
    assert transcript.findings == []
    assert [s.error_message for s in transcript.steps if s.error_message] == ["try again"]


def test_error_message_can_end_the_journey(stub_client: Any, corpus: Any) -> None:
    model = corpus(NAV)
    with stub_client(model, rewrite=_reject_once()) as (client, _app):
        transcript = walk(model, client, seed=0, on_error_message="end")
    assert transcript.ending == "rejected"
    assert "try again" in transcript.reason
