"""The typed model: loading, pointers, helpers the walker relies on, and load errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.flowjson import FlowFileError, FlowJSONError, load_flow


def test_load_accepts_path_text_and_dict(corpus_dir: Path) -> None:
    path = corpus_dir / "v4.0-global-fields.json"
    text = path.read_text(encoding="utf-8")
    flows = [load_flow(path), load_flow(str(path)), load_flow(text), load_flow(json.loads(text))]
    assert {flow.screen_ids for flow in flows} == {("SCREEN_ONE", "SCREEN_TWO")}
    assert flows[0].file == str(path)
    assert flows[2].file is None


def test_flow_fields(corpus_dir: Path) -> None:
    flow = load_flow(corpus_dir / "v6.2-navigation-list-dynamic.json")
    assert flow.version == "6.2"
    assert flow.version_info == (6, 2)
    assert flow.data_api_version == "3.0"
    assert flow.uses_endpoint
    assert flow.entry_screen is not None
    assert flow.entry_screen.id == "FIRST_SCREEN"
    assert flow.routes_from("FIRST_SCREEN") == ("SECOND_SCREEN", "THIRD_SCREEN")
    assert flow.routes_from("CONTACT") == ()
    first = flow.screen("FIRST_SCREEN")
    assert first.pointer == "/screens/0"
    assert first.data["insurances"].schema["type"] == "array"
    assert first.data["insurances"].has_example
    assert first.footer() is None
    contact = flow.screen("CONTACT")
    assert contact.terminal
    assert [item.name for item in contact.inputs()] == ["name", "phone"]
    footer = contact.footer()
    assert footer is not None
    assert footer.pointer == "/screens/3/layout/children/1/children/2"
    assert footer.actions[0].name == "complete"
    assert footer.actions[0].payload == {"phone": "${form.phone}", "name": "${form.name}"}


def test_without_routing_model_routes_come_from_navigate_actions(corpus_dir: Path) -> None:
    flow = load_flow(corpus_dir / "v2.1-costumer-engagement.json")
    assert flow.routing_model is None
    assert not flow.uses_endpoint
    assert flow.routes_from("QUESTION_ONE") == ("QUESTION_TWO",)
    assert flow.entry_screen is not None
    assert flow.entry_screen.id == "QUESTION_ONE"


def test_navigation_list_item_actions_are_found(corpus_dir: Path) -> None:
    flow = load_flow(corpus_dir / "v6.2-navigation-list.json")
    actions = flow.screen("FIRST_SCREEN").actions()
    assert [action.next for action in actions] == [
        "SECOND_SCREEN", "SECOND_SCREEN", "FOURTH_SCREEN", "FIFTH_SCREEN", "FIFTH_SCREEN",
    ]  # fmt: skip
    assert actions[0].pointer == "/screens/0/layout/children/0/list-items/0/on-click-action"


def test_switch_and_if_branches_keep_pointers_and_conditions(corpus_dir: Path) -> None:
    flow = load_flow(corpus_dir / "v4.0-forward-refs.json")
    components = list(flow.screen("SELECT_SERVICES").walk())
    basic = next(c for c in components if c.properties.get("text", "").endswith("basic insurance"))
    assert basic.pointer == "/screens/1/layout/children/1/then/0/cases/basic/0"
    assert [(c.kind, c.branch) for c in basic.conditions] == [("if", "then"), ("switch", "basic")]
    screens = {"SELECT_INSURANCE": {"form": {"insurance": "basic"}}}
    assert all(condition.holds(screens=screens) for condition in basic.conditions)
    other = {"SELECT_INSURANCE": {"form": {"insurance": "full"}}}
    assert not all(condition.holds(screens=other) for condition in basic.conditions)


def test_inputs_inside_branches_carry_their_conditions(make: Any) -> None:
    flow = make.endpoint_flow()
    flow["screens"][0]["layout"]["children"].insert(
        1,
        {
            "type": "Switch",
            "value": "${form.name}",
            "cases": {
                "vip": [{"type": "TextInput", "name": "code", "label": "Code"}],
                "default": [{"type": "OptIn", "name": "news", "label": "News"}],
            },
        },
    )
    screen = load_flow(flow).screen("START")
    assert [item.name for item in screen.inputs()] == ["name", "code", "news"]
    code, news = screen.inputs()[1:]
    assert code.conditions[0].holds(form={"name": "vip"})
    assert not code.conditions[0].holds(form={"name": "bob"})
    assert news.conditions[0].holds(form={"name": "bob"})
    assert not news.conditions[0].holds(form={"name": "vip"})


def test_if_condition_decides_its_branch(corpus_dir: Path) -> None:
    flow = load_flow(corpus_dir / "v4.0-if.json")
    if_component = next(c for c in flow.screen("SCREEN").walk() if c.type == "If")
    then_text, else_text = (branch[0] for _, branch in if_component.branches)
    cat = {"form": {"animal": "cat"}, "data": {"value": True}}
    assert then_text.conditions[0].holds(**cat)
    assert not else_text.conditions[0].holds(**cat)
    assert else_text.conditions[0].holds(form={"animal": "dog"}, data={"value": True})


def test_unknown_components_and_properties_are_kept(make: Any) -> None:
    flow = make.endpoint_flow()
    flow["screens"][1]["layout"]["children"].insert(0, {"type": "Hologram", "size": 3})
    flow["screens"][1]["shiny"] = True
    screen = load_flow(flow).screen("MIDDLE")
    assert screen.layout[0].type == "Hologram"
    assert screen.layout[0].properties == {"size": 3}
    assert screen.extra == {"shiny": True}


def test_unknown_screen_lookup_names_the_screens(make: Any) -> None:
    with pytest.raises(KeyError, match="START, MIDDLE, END"):
        load_flow(make.endpoint_flow()).screen("NOPE")


def test_broken_json_gives_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "flow.json"
    path.write_text('{\n  "version": "7.3",\n  "screens": [}\n', encoding="utf-8")
    with pytest.raises(FlowJSONError) as caught:
        load_flow(path)
    assert (caught.value.file, caught.value.line) == (str(path), 3)
    assert caught.value.column is not None
    assert f"{path}:3:" in str(caught.value)


def test_wrong_structure_lists_every_problem(make: Any) -> None:
    flow = make.endpoint_flow()
    del flow["screens"][1]["layout"]
    flow["screens"][2]["terminal"] = "yes"
    with pytest.raises(FlowJSONError) as caught:
        load_flow(flow, file="mine.json")
    error = caught.value
    assert error.file == "mine.json"
    assert error.pointer == "/screens/1"
    assert len(error.problems) == 2
    assert "'layout' is a required property" in error.expected


def test_a_missing_file_is_a_file_error(tmp_path: Path) -> None:
    with pytest.raises(FlowFileError, match="readable"):
        load_flow(tmp_path / "absent.json")


def test_bindings_are_found_with_pointers(corpus_dir: Path) -> None:
    flow = load_flow(corpus_dir / "v4.0-global-fields.json")
    bindings = flow.screen("SCREEN_TWO").bindings()
    assert [(b.screen, b.scope, b.name) for b in bindings] == [
        ("SCREEN_ONE", "form", "field1"),
        ("SCREEN_ONE", "data", "field2"),
    ]
    assert bindings[0].pointer == "/screens/1/layout/children/0/on-click-action/payload/field1"
