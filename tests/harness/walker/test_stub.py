"""The stub endpoint: protocol plumbing and answers that pass the contract for every flow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.client import Outcome
from harness.flowjson import check_response, load_flow
from harness.stub import STUB_FLOW_TOKEN, StubAnswers, StubError, example_data

CORPUS = sorted((Path(__file__).parents[2] / "data" / "flows").glob("*.json"))


def test_the_whole_corpus_is_parametrized() -> None:
    # An empty glob would silently turn the per-flow tests below into a skip.
    assert len(CORPUS) == 28


def test_ping_error_notification_and_signature(corpus: Any, stub_client: Any) -> None:
    with stub_client(corpus("v4.0-photo-picker")) as (client, _app):
        assert client.ping().payload == {"data": {"status": "active"}}
        ack = client.error_notification("t", "payload-schema-error", "bad", key="error_key")
        assert ack.payload == {"data": {"acknowledged": True}}
        unsigned = client.send({"version": "3.0", "action": "ping"}, signature="missing")
        assert unsigned.status == 432
        assert unsigned.outcome is Outcome.SIGNATURE_REJECTED


def test_init_back_and_data_exchange(corpus: Any, stub_client: Any) -> None:
    flow = corpus("v6.2-navigation-list-dynamic")
    with stub_client(flow) as (client, _app):
        opened = client.init("tok").payload
        assert opened["screen"] == "FIRST_SCREEN"
        assert opened["data"]["insurances"][0]["id"] == "home"
        moved = client.data_exchange("FIRST_SCREEN", {"selection": "home"}, "tok").payload
        assert moved == {"screen": "SECOND_SCREEN", "data": {}}
        closed = client.data_exchange("CONTACT", {"name": "Ann"}, "tok").payload
        params = closed["data"]["extension_message_response"]["params"]
        assert params == {"name": "Ann", "flow_token": "tok"}
        assert client.back("SECOND_SCREEN", "tok").payload["screen"] == "SECOND_SCREEN"
        tokenless = client.data_exchange("CONTACT", {}, None).payload
        assert tokenless["data"]["extension_message_response"]["params"]["flow_token"] == (
            STUB_FLOW_TOKEN
        )


def test_unknown_actions_and_screens_get_a_clear_error(corpus: Any) -> None:
    answers = StubAnswers(corpus("v6.2-navigation-list-dynamic"))
    assert "unknown action 'navigate'" in answers({"action": "navigate"})["data"]["error"]
    assert "unknown screen 'NOPE'" in answers({"action": "BACK", "screen": "NOPE"})["data"]["error"]


@pytest.mark.parametrize("path", CORPUS, ids=[path.stem for path in CORPUS])
def test_every_answer_passes_the_contract(path: Path) -> None:
    flow = load_flow(path)
    answers = StubAnswers(flow)
    init = answers({"action": "INIT", "flow_token": "t"})
    assert check_response(flow, None, init, flow_token="t", action="INIT") == [], path.name
    for screen in flow.screens:
        for action in ("data_exchange", "BACK"):
            answer = answers({"action": action, "screen": screen.id, "data": {}, "flow_token": "t"})
            findings = check_response(flow, screen.id, answer, flow_token="t", action=action)
            assert findings == [], f"{path.name}{screen.pointer}: {action} -> {answer}"


def test_example_data_fills_declarations_without_examples(corpus: Any) -> None:
    flow = load_flow(
        {
            "version": "7.0",
            "screens": [
                {
                    "id": "A",
                    "terminal": True,
                    "data": {"n": {"type": "number"}, "items": {"type": "array", "items": {}}},
                    "layout": {"type": "SingleColumnLayout", "children": []},
                }
            ],
        }
    )
    assert example_data(flow.screen("A")) == {"n": 0, "items": []}


def test_a_flow_without_entry_screen_is_refused() -> None:
    flow = load_flow(
        {
            "version": "7.0",
            "data_api_version": "3.0",
            "routing_model": {"A": ["B"], "B": ["A"]},
            "screens": [
                {"id": "A", "layout": {"type": "SingleColumnLayout", "children": []}},
                {"id": "B", "layout": {"type": "SingleColumnLayout", "children": []}},
            ],
        }
    )
    with pytest.raises(StubError, match="no entry screen"):
        StubAnswers(flow)
