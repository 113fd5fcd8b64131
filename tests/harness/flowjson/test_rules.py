"""One rule broken at a time: each broken flow gives exactly the expected finding and pointer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness.flowjson import RULE_TABLE, RULES, validate

Flow = dict[str, Any]
FOOTER_ACTION = "/layout/children/1/on-click-action"


def test_the_base_flow_is_clean(make: Any) -> None:
    assert validate(make.endpoint_flow()).findings == ()


def _cycle(flow: Flow, make: Any) -> None:
    flow["routing_model"] = {
        "START": ["A"], "A": ["B"], "B": ["C", "END"], "C": ["A"], "END": []
    }  # fmt: skip
    flow["screens"][1:2] = [make.plain_screen(name) for name in "ABC"]


def _back_edge(flow: Flow, make: Any) -> None:
    flow["routing_model"]["MIDDLE"] = ["END", "START"]


def _self_loop(flow: Flow, make: Any) -> None:
    flow["routing_model"]["MIDDLE"] = ["END", "MIDDLE"]


def _two_entries(flow: Flow, make: Any) -> None:
    flow["screens"].append(make.plain_screen("OTHER"))
    flow["routing_model"]["OTHER"] = ["END"]


def _eleven_branches(flow: Flow, make: Any) -> None:
    extra = [f"B{i}" for i in range(10)]
    flow["screens"] += [make.plain_screen(name, terminal=True) for name in extra]
    flow["routing_model"]["START"] = ["MIDDLE", *extra]


def _dangling_form(flow: Flow, make: Any) -> None:
    flow["screens"][0]["layout"]["children"][1]["on-click-action"]["payload"]["x"] = "${form.nope}"


def _undeclared_data(flow: Flow, make: Any) -> None:
    flow["screens"][1]["layout"]["children"][0]["text"] = "${data.nope}"


def _missing_screen_ref(flow: Flow, make: Any) -> None:
    payload = flow["screens"][2]["layout"]["children"][0]["on-click-action"]["payload"]
    payload["v"] = "${screen.NOPE.form.name}"


def _no_example(flow: Flow, make: Any) -> None:
    del flow["screens"][1]["data"]["name"]["__example__"]


def _mistyped_example(flow: Flow, make: Any) -> None:
    flow["screens"][1]["data"]["name"]["__example__"] = 5


def _null_example(flow: Flow, make: Any) -> None:
    flow["screens"][1]["data"]["name"]["__example__"] = None


def _complete_not_terminal(flow: Flow, make: Any) -> None:
    flow["screens"][1]["layout"]["children"][1]["on-click-action"]["name"] = "complete"


def _navigate_on_terminal(flow: Flow, make: Any) -> None:
    flow["screens"][2]["terminal"] = True
    flow["screens"][2]["layout"]["children"].append(make.footer("navigate", next="MIDDLE"))
    del flow["screens"][2]["layout"]["children"][0]
    flow["routing_model"]["END"] = []
    flow["screens"].append(make.plain_screen("AFTER", terminal=True))
    flow["routing_model"]["END"] = ["AFTER"]
    flow["screens"][2]["layout"]["children"][0]["on-click-action"]["next"]["name"] = "AFTER"


def _navigate_missing(flow: Flow, make: Any) -> None:
    flow["screens"][1]["layout"]["children"][1] = make.footer("navigate", next="NOPE")


def _terminal_without_footer(flow: Flow, make: Any) -> None:
    flow["screens"][2]["layout"]["children"] = [{"type": "TextBody", "text": "Bye"}]


def _two_footers(flow: Flow, make: Any) -> None:
    flow["screens"][0]["layout"]["children"].append(make.footer())


def _fifty_one_components(flow: Flow, make: Any) -> None:
    texts = [{"type": "TextBody", "text": f"line {i}"} for i in range(49)]
    flow["screens"][1]["layout"]["children"][1:1] = texts


def _wrong_input_type(flow: Flow, make: Any) -> None:
    flow["screens"][0]["layout"]["children"][0]["input-type"] = "url"


def _two_pickers(flow: Flow, make: Any) -> None:
    pickers = [
        {"type": "PhotoPicker", "name": "photo", "label": "Photo"},
        {"type": "DocumentPicker", "name": "doc", "label": "Document"},
    ]
    flow["screens"][0]["layout"]["children"][1:1] = pickers


def _nested_picker(flow: Flow, make: Any) -> None:
    children = flow["screens"][0]["layout"]["children"]
    children.insert(1, {"type": "PhotoPicker", "name": "photo", "label": "Photo"})
    children[2]["on-click-action"]["payload"]["files"] = {"photo": "${form.photo}"}


def _picker_in_navigate(flow: Flow, make: Any) -> None:
    children = flow["screens"][0]["layout"]["children"]
    children.insert(1, {"type": "PhotoPicker", "name": "photo", "label": "Photo"})
    children[2] = make.footer("navigate", next="MIDDLE", payload={"photo": "${form.photo}"})


def _too_new(flow: Flow, make: Any) -> None:
    flow["version"] = "6.2"
    chips = {"type": "ChipsSelector", "name": "tags", "label": "Tags",
             "data-source": [{"id": "a", "title": "A"}]}  # fmt: skip
    flow["screens"][0]["layout"]["children"].insert(1, chips)


def _bad_expression(flow: Flow, make: Any) -> None:
    flow["screens"][1]["layout"]["children"][0]["text"] = "`${data.name} +`"


def _success_id(flow: Flow, make: Any) -> None:
    flow["screens"][2]["id"] = "SUCCESS"
    flow["routing_model"] = {"START": ["MIDDLE"], "MIDDLE": ["SUCCESS"], "SUCCESS": []}


def _no_routing_model(flow: Flow, make: Any) -> None:
    del flow["routing_model"]


def _route_not_in_model(flow: Flow, make: Any) -> None:
    flow["screens"][0]["layout"]["children"][1] = make.footer("navigate", next="END")


def _complete_in_embedded_link(flow: Flow, make: Any) -> None:
    link = {"type": "EmbeddedLink", "text": "Done", "on-click-action": {"name": "complete"}}
    flow["screens"][2]["layout"]["children"].insert(0, link)


def _too_many_options(flow: Flow, make: Any) -> None:
    options = [{"id": str(i), "title": str(i)} for i in range(21)]
    radio = {"type": "RadioButtonsGroup", "name": "pick", "label": "Pick", "data-source": options}
    flow["screens"][0]["layout"]["children"].insert(1, radio)


def _expression_too_new(flow: Flow, make: Any) -> None:
    flow["version"] = "5.1"
    flow["screens"][1]["layout"]["children"][0]["text"] = "`'Hi ' ${data.name}`"


def _global_ref_too_new(flow: Flow, make: Any) -> None:
    flow["version"] = "3.1"
    payload = flow["screens"][2]["layout"]["children"][0]["on-click-action"]["payload"]
    payload["v"] = "${screen.START.form.name}"


def _unsupported_version(flow: Flow, make: Any) -> None:
    flow["version"] = "8.0"


def _missing_layout(flow: Flow, make: Any) -> None:
    del flow["screens"][1]["layout"]


def _bad_action_name(flow: Flow, make: Any) -> None:
    flow["screens"][1]["layout"]["children"][1]["on-click-action"]["name"] = "jump"


def _screen_outside_model(flow: Flow, make: Any) -> None:
    flow["screens"].append(make.plain_screen("EXTRA", terminal=True))


S0, S1, S2 = "/screens/0", "/screens/1", "/screens/2"
VARIANTS: list[tuple[str, Callable[[Flow, Any], None], str, str]] = [
    ("cycle", _cycle, "routing-cycle", "/routing_model/A"),
    ("back edge", _back_edge, "routing-back-edge", "/routing_model/MIDDLE/1"),
    ("self loop", _self_loop, "routing-self-loop", "/routing_model/MIDDLE/1"),
    ("two entry screens", _two_entries, "multiple-entry-screens", "/routing_model"),
    ("11 branches", _eleven_branches, "too-many-branches", "/routing_model/START"),
    ("dangling form binding", _dangling_form, "unresolved-form-binding",
     f"{S0}{FOOTER_ACTION}/payload/x"),
    ("undeclared data binding", _undeclared_data, "unresolved-data-binding",
     f"{S1}/layout/children/0/text"),
    ("screen ref to a missing screen", _missing_screen_ref, "unresolved-screen-binding",
     f"{S2}/layout/children/0/on-click-action/payload/v"),
    ("missing example", _no_example, "missing-example", f"{S1}/data/name"),
    ("mistyped example", _mistyped_example, "example-type-mismatch",
     f"{S1}/data/name/__example__"),
    ("null example", _null_example, "null-example", f"{S1}/data/name/__example__"),
    ("complete on a non-terminal screen", _complete_not_terminal, "complete-not-terminal",
     f"{S1}{FOOTER_ACTION}"),
    ("navigate on a terminal footer", _navigate_on_terminal, "navigate-on-terminal-footer",
     f"{S2}/layout/children/0/on-click-action"),
    ("navigate to a missing screen", _navigate_missing, "navigate-unknown-screen",
     f"{S1}{FOOTER_ACTION}/next/name"),
    ("terminal screen without footer", _terminal_without_footer, "terminal-without-footer", S2),
    ("two footers", _two_footers, "multiple-footers", f"{S0}/layout/children/2"),
    ("51 components", _fifty_one_components, "too-many-components", f"{S1}/layout"),
    ("wrong input type", _wrong_input_type, "invalid-input-type",
     f"{S0}/layout/children/0/input-type"),
    ("two media pickers", _two_pickers, "multiple-media-pickers", f"{S0}/layout/children/2"),
    ("picker value nested in a payload", _nested_picker, "picker-value-nested",
     f"{S0}/layout/children/2/on-click-action/payload/files/photo"),
    ("picker value in a navigate payload", _picker_in_navigate, "picker-value-misplaced",
     f"{S0}/layout/children/2/on-click-action/payload/photo"),
    ("feature above the declared version", _too_new, "feature-above-version",
     f"{S0}/layout/children/1"),
    ("bad backtick expression", _bad_expression, "expression-syntax",
     f"{S1}/layout/children/0/text"),
    ("SUCCESS as a screen id", _success_id, "reserved-screen-id", f"{S2}/id"),
    ("endpoint flow without routing model", _no_routing_model, "missing-routing-model", ""),
    ("navigate outside the routing model", _route_not_in_model, "navigate-not-in-routing-model",
     f"{S0}{FOOTER_ACTION}/next/name"),
    ("complete outside a footer", _complete_in_embedded_link, "complete-outside-footer",
     f"{S2}/layout/children/0/on-click-action"),
    ("21 radio options", _too_many_options, "option-count-out-of-range",
     f"{S0}/layout/children/1/data-source"),
    ("backticks before 6.0", _expression_too_new, "feature-above-version",
     f"{S1}/layout/children/0/text"),
    ("global binding before 4.0", _global_ref_too_new, "feature-above-version",
     f"{S2}/layout/children/0/on-click-action/payload/v"),
    ("unsendable version", _unsupported_version, "unsupported-version", "/version"),
    ("screen without layout", _missing_layout, "missing-property", S1),
    ("unknown action name", _bad_action_name, "invalid-value", f"{S1}{FOOTER_ACTION}/name"),
    ("screen outside the routing model", _screen_outside_model, "screen-not-in-routing-model",
     "/screens/3"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "code", "pointer"),
    [pytest.param(mutate, code, pointer, id=name) for name, mutate, code, pointer in VARIANTS],
)
def test_one_broken_rule_gives_one_finding(
    make: Any, mutate: Callable[[Flow, Any], None], code: str, pointer: str
) -> None:
    flow = make.endpoint_flow()
    mutate(flow, make)
    report = validate(flow)
    assert [(item.code, item.pointer) for item in report.findings] == [(code, pointer)]
    assert report.findings[0].message
    assert report.findings[0].severity == RULE_TABLE[code].severity
    assert report.ok == (RULE_TABLE[code].severity == "warning")


def test_every_variant_code_is_a_documented_rule() -> None:
    assert {code for _, _, code, _ in VARIANTS} <= set(RULES)


def test_broken_json_reports_its_line(tmp_path: Any) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "version": "7.3",\n  "screens": [,]\n}\n', encoding="utf-8")
    report = validate(path)
    assert [item.code for item in report.findings] == ["invalid-json"]
    assert "line 3" in report.findings[0].message
    assert report.file == str(path)


def test_every_problem_is_reported_at_once(make: Any) -> None:
    flow = make.endpoint_flow()
    _dangling_form(flow, make)
    _null_example(flow, make)
    _wrong_input_type(flow, make)
    codes = validate(flow).codes
    assert sorted(codes) == ["invalid-input-type", "null-example", "unresolved-form-binding"]


def test_unknown_components_and_properties_are_warnings(make: Any) -> None:
    flow = make.endpoint_flow()
    flow["screens"][1]["layout"]["children"].insert(0, {"type": "Hologram", "size": 3})
    flow["screens"][1]["layout"]["children"][1]["colour"] = "red"
    report = validate(flow)
    assert report.ok
    assert [(item.code, item.pointer) for item in report.warnings] == [
        ("unknown-component", f"{S1}/layout/children/0"),
        ("unknown-property", f"{S1}/layout/children/1/colour"),
    ]


def test_footers_in_both_branches_of_an_if_are_one_footer(make: Any) -> None:
    flow = make.endpoint_flow()
    branchy = {
        "type": "If",
        "condition": "${screen.START.form.name} == 'x'",
        "then": [make.footer("complete")],
        "else": [make.footer("complete")],
    }
    flow["screens"][2]["layout"]["children"] = [branchy]
    assert validate(flow).findings == ()


def test_meta_template_shape_terms_screen_after_a_terminal_screen_is_valid(make: Any) -> None:
    """Meta's templates route from a terminal screen to a read-only terms screen (opened by
    an OptIn, left with back): no error, no warning."""
    flow = make.endpoint_flow()
    flow["routing_model"]["END"] = ["TERMS"]
    flow["routing_model"]["TERMS"] = []
    flow["screens"].append(make.screen("TERMS", {"type": "TextBody", "text": "Our terms"}))
    optin = {"type": "OptIn", "name": "terms", "label": "I agree", "required": True,
             "on-click-action": {"name": "navigate", "payload": {},
                                 "next": {"type": "screen", "name": "TERMS"}}}  # fmt: skip
    flow["screens"][2]["layout"]["children"].insert(0, optin)
    assert validate(flow).findings == ()


def test_navigate_only_flows_get_routing_warnings_not_errors(make: Any) -> None:
    flow = {
        "version": "7.3",
        "screens": [
            make.screen("A", make.footer("navigate", next="B")),
            make.screen("B", make.footer("navigate", next="A")),
        ],
    }
    report = validate(flow)
    assert report.ok
    assert "routing-back-edge" in report.codes
