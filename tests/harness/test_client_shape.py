"""Answers WhatsApp rejects whatever the flow: the client flags them (``problems``)."""

from __future__ import annotations

from typing import Any

import pytest

from harness.client._shape import answer_problems

TOKEN = {"extension_message_response": {"params": {"flow_token": "t"}}}
EXCHANGE = {"version": "3.0", "action": "data_exchange", "screen": "A", "data": {}}


@pytest.mark.parametrize(
    ("request_", "answer", "expected"),
    [
        ({"action": "ping"}, {"data": {"status": "active"}}, 0),
        ({"action": "ping"}, {"version": "3.0", "data": {"status": "active"}}, 0),
        ({"action": "ping"}, {"data": {"status": "down"}}, 1),
        ({"action": "ping"}, {"status": "active"}, 1),
        (EXCHANGE, {"screen": "SUCCESS", "data": TOKEN}, 0),
        (EXCHANGE, {"version": "3.0", "screen": "SUCCESS", "data": TOKEN}, 0),
        (EXCHANGE, {"screen": "SUCCESS", "data": {"extension_message_response": {}}}, 1),
        (EXCHANGE, {"screen": "SUCCESS", "data": {}}, 1),
        (EXCHANGE, {"data": {"x": 1}}, 1),
        (EXCHANGE, {"screen": "B", "data": "nope"}, 1),
        (EXCHANGE, {"screen": "A", "data": {"error_message": 3}}, 1),
        (EXCHANGE, {"screen": "A", "data": {"error_message": "Try again"}}, 0),
        ({**EXCHANGE, "data": {"error": "x"}}, {"data": {"acknowledged": True}}, 0),
    ],
)
def test_answer_shapes(request_: dict[str, Any], answer: dict[str, Any], expected: int) -> None:
    assert len(answer_problems(request_, answer)) == expected


def test_a_success_without_flow_token_is_not_acceptable() -> None:
    from harness.client import Exchange, FlowResult, Outcome

    answer = {"screen": "SUCCESS", "data": {}}
    exchange = Exchange("http://x/", {}, b"", request_payload=EXCHANGE)
    problems = answer_problems(EXCHANGE, answer)
    result = FlowResult(
        Outcome.OK, 200, answer, None, 0.1, 3.0, exchange, (exchange,), problems=problems
    )
    assert result.ok
    assert not result.acceptable
    assert "flow_token" in result.explain()
