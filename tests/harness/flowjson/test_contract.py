"""The response contract: transitions, payload schema, SUCCESS and error_message."""

from __future__ import annotations

from typing import Any

import pytest

from harness.flowjson import Flow, check_response, load_flow

INSURANCES = [{"id": "home", "main-content": {"title": "Home", "metadata": "Safe"}}]


def valid_answer(target: str) -> dict[str, Any]:
    data = {"insurances": INSURANCES} if target == "FIRST_SCREEN" else {}
    return {"screen": target, "data": data}


@pytest.fixture
def flow(make: Any) -> Flow:
    return load_flow(make.corpus("v6.2-navigation-list-dynamic.json"))


def found(findings: list[Any]) -> list[tuple[str, str, str]]:
    return [(item.severity, item.code, item.pointer) for item in findings]


@pytest.mark.parametrize(
    ("action", "from_screen", "target"),
    [
        ("data_exchange", "FIRST_SCREEN", "SECOND_SCREEN"),
        ("data_exchange", "SECOND_SCREEN", "CONTACT"),
        ("BACK", "CONTACT", "SECOND_SCREEN"),
        ("BACK", "CONTACT", "FIRST_SCREEN"),
        ("BACK", "SECOND_SCREEN", "SECOND_SCREEN"),
    ],
)
def test_allowed_transitions(flow: Flow, action: Any, from_screen: str, target: str) -> None:
    assert check_response(flow, from_screen, valid_answer(target), action=action) == []


@pytest.mark.parametrize(
    ("action", "from_screen", "target"),
    [
        ("data_exchange", "FIRST_SCREEN", "CONTACT"),
        ("data_exchange", "CONTACT", "FIRST_SCREEN"),
        ("data_exchange", "SECOND_SCREEN", "THIRD_SCREEN"),
        ("BACK", "SECOND_SCREEN", "CONTACT"),
        ("INIT", None, "SECOND_SCREEN"),
        ("data_exchange", "FIRST_SCREEN", "NOWHERE"),
    ],
)
def test_forbidden_transitions(flow: Flow, action: Any, from_screen: Any, target: str) -> None:
    findings = check_response(flow, from_screen, valid_answer(target), action=action)
    assert found(findings) == [("error", "invalid-screen-transition", "/screen")]


def test_init_answers_the_entry_screen(flow: Flow) -> None:
    answer = {"screen": "FIRST_SCREEN", "data": {"insurances": INSURANCES}}
    assert check_response(flow, None, answer) == []


def test_the_same_screen_with_an_error_message_is_allowed(flow: Flow) -> None:
    answer = {"screen": "FIRST_SCREEN", "data": {"insurances": INSURANCES, "error_message": "no"}}
    assert check_response(flow, "FIRST_SCREEN", answer) == []


@pytest.mark.parametrize(
    ("data", "pointer"),
    [
        ({"insurances": INSURANCES, "bonus": 1}, "/data/bonus"),
        ({"insurances": "home"}, "/data/insurances"),
        ({"insurances": [{"id": 7}]}, "/data/insurances/0/id"),
    ],
)
def test_payload_schema_errors(flow: Flow, data: dict[str, Any], pointer: str) -> None:
    findings = check_response(flow, None, {"screen": "FIRST_SCREEN", "data": data})
    assert found(findings) == [("error", "payload-schema-error", pointer)]


@pytest.mark.parametrize(
    ("answer", "pointer"),
    [
        (["FIRST_SCREEN"], ""),
        ({"data": {}}, "/screen"),
        ({"screen": "CONTACT", "data": 3}, "/data"),
    ],
)
def test_malformed_answers(flow: Flow, answer: Any, pointer: str) -> None:
    assert found(check_response(flow, "SECOND_SCREEN", answer)) == [
        ("error", "payload-schema-error", pointer)
    ]


def test_a_declared_field_left_out_is_only_a_warning(flow: Flow) -> None:
    """Meta's Flow JSON reference: omit a property to send "no value"."""
    findings = check_response(flow, None, {"screen": "FIRST_SCREEN", "data": {}})
    assert found(findings) == [("warning", "data-field-absent", "/data/insurances")]


def test_null_is_a_payload_schema_error(flow: Flow) -> None:
    """Meta's Flow JSON reference: "providing a null value will cause validation to fail"."""
    findings = check_response(flow, None, {"screen": "FIRST_SCREEN", "data": {"insurances": None}})
    assert found(findings) == [("error", "payload-schema-error", "/data/insurances")]


def test_error_message_must_be_a_string(flow: Flow) -> None:
    answer = {"screen": "SECOND_SCREEN", "data": {"error_message": 42}}
    assert found(check_response(flow, "SECOND_SCREEN", answer)) == [
        ("error", "invalid-error-message", "/data/error_message")
    ]


def success(params: dict[str, Any]) -> dict[str, Any]:
    return {"screen": "SUCCESS", "data": {"extension_message_response": {"params": params}}}


def test_success_with_the_token_is_accepted(flow: Flow) -> None:
    answer = success({"flow_token": "tok-1", "lead": "x"})
    assert check_response(flow, "CONTACT", answer, flow_token="tok-1") == []


@pytest.mark.parametrize(
    "answer",
    [success({"lead": "x"}), success({"flow_token": ""}), {"screen": "SUCCESS", "data": {}}],
)
def test_success_without_a_token(flow: Flow, answer: dict[str, Any]) -> None:
    assert found(check_response(flow, "CONTACT", answer)) == [
        ("error", "missing-flow-token", "/data/extension_message_response/params/flow_token")
    ]


def test_success_with_another_token_is_a_warning(flow: Flow) -> None:
    findings = check_response(flow, "CONTACT", success({"flow_token": "b"}), flow_token="a")
    assert found(findings) == [
        ("warning", "flow-token-mismatch", "/data/extension_message_response/params/flow_token")
    ]


def test_an_unknown_from_screen_is_a_caller_error(flow: Flow) -> None:
    with pytest.raises(ValueError, match="FIRST_SCREEN"):
        check_response(flow, "ELSEWHERE", {"screen": "CONTACT", "data": {}})


def test_flows_without_routing_model_use_navigate_routes(make: Any) -> None:
    flow = load_flow(make.corpus("v2.1-register-for-an-event.json"))
    data = {"firstName": "A", "lastName": "B", "email": "a@b.c"}
    assert check_response(flow, "SIGN_UP", {"screen": "SURVEY", "data": data}) == []
