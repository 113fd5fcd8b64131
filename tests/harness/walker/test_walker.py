"""Walker behaviour: fixed inputs, opening modes, dead ends, limits, transcripts, async."""

from __future__ import annotations

import json
from typing import Any

import pytest

from harness.client import AsyncFlowClient
from harness.stub import create_stub_app, received_payloads
from harness.walker import (
    InputError,
    RandomChooser,
    ScriptedChooser,
    Transcript,
    awalk,
    walk,
)


def test_fixed_inputs_reach_the_completion(corpus: Any, stub_client: Any) -> None:
    flow = corpus("v2.1-register-for-an-event")
    inputs = {
        "SIGN_UP": {"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.org"},
        "SURVEY": {"source": "2"},
    }
    with stub_client(flow) as (client, _app):
        transcript = walk(flow, client, inputs=inputs, seed=7)
    assert transcript.completion == {
        "source": "2", "firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.org",
    }  # fmt: skip
    assert transcript.screens == ["SIGN_UP", "SURVEY"]
    assert transcript.steps[0].inputs == inputs["SIGN_UP"]


def test_none_leaves_an_optional_field_empty(corpus: Any, stub_client: Any) -> None:
    flow = corpus("v2.1-support-request")
    with stub_client(flow) as (client, _app):
        transcript = walk(flow, client, inputs={"DETAILS": {"description": None}}, seed=1)
        omitted = walk(
            flow, client, inputs={"DETAILS": {"description": None}}, seed=1, empty_inputs="omit"
        )
    assert transcript.completed
    assert transcript.completion["description"] == ""  # type: ignore[index]
    assert transcript.completion["name"]  # type: ignore[index]
    assert omitted.completed
    assert "description" not in omitted.completion  # type: ignore[operator]


def test_a_navigation_list_item_can_be_fixed(corpus: Any, stub_client: Any) -> None:
    flow = corpus("v6.2-navigation-list")
    with stub_client(flow) as (client, _app):
        for seed in range(5):
            transcript = walk(flow, client, inputs={"FIRST_SCREEN": {"insurances": "dream"}},
                              seed=seed)  # fmt: skip
            assert transcript.screens == ["FIRST_SCREEN", "FIFTH_SCREEN", "CONTACT"]


def test_the_dead_navigation_item_is_never_taken(corpus: Any, stub_client: Any) -> None:
    flow = corpus("v6.2-navigation-list")
    visited: set[str] = set()
    with stub_client(flow) as (client, _app):
        for seed in range(40):
            transcript = walk(flow, client, seed=seed)
            assert transcript.completed
            visited.update(transcript.screens)
    assert "FOURTH_SCREEN" not in visited
    assert {"SECOND_SCREEN", "FIFTH_SCREEN"} <= visited


def test_a_dead_end_screen_is_left_with_back(corpus: Any, stub_client: Any) -> None:
    flow = corpus("v4.0-forward-refs")
    chooser = ScriptedChooser([0])  # ways in layout order: the EmbeddedLink first
    with stub_client(flow) as (client, _app):
        transcript = walk(flow, client, chooser=chooser)
    kinds = [(step.kind, step.screen) for step in transcript.steps]
    assert kinds == [
        ("navigate", "SELECT_SERVICES"),
        ("back", "SELECT_INSURANCE"),
        ("complete", "SELECT_SERVICES"),
    ]
    chosen = transcript.steps[1].inputs["insurance"]
    assert transcript.completion == {"selected_insurance_type": chosen}  # a global binding


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"NOPE": {}}, "screens are"),
        ({"SIGN_UP": {"nope": 1}}, "inputs are"),
    ],
)
def test_bad_fixed_inputs_say_what_exists(
    corpus: Any, stub_client: Any, inputs: Any, message: str
) -> None:
    flow = corpus("v2.1-register-for-an-event")
    with stub_client(flow) as (client, _app), pytest.raises(InputError, match=message):
        walk(flow, client, inputs=inputs)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_steps": 0}, "max_steps"),
        ({"max_retries": -1}, "max_retries"),
        ({"on_error_message": "ignore"}, "on_error_message"),
        ({"seed": 1, "chooser": RandomChooser(1)}, "not both"),
        ({"chooser": "random"}, "Chooser"),
    ],
)
def test_bad_options_are_refused(
    corpus: Any, stub_client: Any, options: dict[str, Any], message: str
) -> None:
    flow = corpus("v6.2-regex")
    with stub_client(flow) as (client, _app), pytest.raises(InputError, match=message):
        walk(flow, client, **options)


def test_the_same_seed_replays_the_same_journey(corpus: Any, stub_client: Any) -> None:
    flow = corpus("v6.2-navigation-list-dynamic")
    with stub_client(flow) as (client, _app):
        first, again, other = (walk(flow, client, seed=s) for s in (5, 5, 6))
    assert [s.inputs for s in first.steps] == [s.inputs for s in again.steps]
    assert [s.inputs for s in first.steps] != [s.inputs for s in other.steps]


def test_max_steps_stops_a_journey(corpus: Any, stub_client: Any) -> None:
    flow = corpus("v2.1-costumer-engagement")
    with stub_client(flow) as (client, _app):
        transcript = walk(flow, client, seed=0, max_steps=2)
    assert transcript.ending == "max-steps"
    assert not transcript.completed
    assert len(transcript.steps) == 2


def test_navigate_flows_open_locally_and_init_can_be_forced(corpus: Any, stub_client: Any) -> None:
    flow = corpus("v4.0-if")
    with stub_client(flow) as (client, app):
        local = walk(flow, client, seed=0)
        assert received_payloads(app) == []
        assert local.steps[0].kind == "complete"
        forced = walk(flow, client, seed=0, init=True, flow_token="tok-1")
    assert forced.steps[0].kind == "init"
    assert received_payloads(app)[0]["flow_token"] == "tok-1"


def test_entry_data_can_be_given(corpus: Any, stub_client: Any) -> None:
    flow = corpus("v6.0-update-data")
    data = {
        "countries": [{"id": "9", "title": "Nowhere"}],
        "states": [], "pincode": [], "state_visibility": False, "pincode_visibility": False,
    }  # fmt: skip
    with stub_client(flow) as (client, _app):
        transcript = walk(flow, client, data=data, seed=2)
    assert transcript.steps[-1].inputs.get("select_country") in (None, "9")


def test_transcripts_format_and_serialise(corpus: Any, stub_client: Any) -> None:
    flow = corpus("v6.2-navigation-list-dynamic")
    with stub_client(flow) as (client, _app):
        transcript = walk(flow, client, seed=1)
    text = transcript.format()
    assert "completed" in text
    assert "FIRST_SCREEN" in text
    assert "/screens/" in text
    as_dict = json.loads(transcript.to_json())
    assert as_dict["completed"] is True
    assert as_dict["screens"] == transcript.screens
    assert as_dict["steps"][0]["kind"] == "init"
    assert isinstance(transcript, Transcript)


@pytest.mark.anyio
async def test_the_async_walker(
    corpus: Any, private_key: Any, public_pem: bytes, app_secret: str
) -> None:
    flow = corpus("v6.2-navigation-list-dynamic")
    app = create_stub_app(flow, private_key, app_secret)
    async with AsyncFlowClient(app, public_key=public_pem, app_secret=app_secret) as client:
        transcript = await awalk(flow, client, seed=4)
    assert transcript.completed
    assert transcript.findings == []
    assert [p["action"] for p in received_payloads(app)][:2] == ["INIT", "data_exchange"]


def test_the_wrong_client_kind_is_refused(corpus: Any) -> None:
    with pytest.raises(InputError, match="FlowClient"):
        walk(corpus("v6.2-regex"), "http://example.com")  # type: ignore[arg-type]
