"""Every rule code: documented with its Meta source, implemented, and shown both ways.

Each code has a negative case (a flow or answer that breaks the rule and gets the code)
and a positive case (the nearest flow or answer that keeps it and does not). The set of
documented codes (RULE_TABLE) equals the set the code base can report, in both directions.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.client import Exchange, FlowResult, Outcome
from harness.flowjson import RULE_TABLE, Finding, check_response, load_flow, validate
from harness.flowjson import _rule_table as _table
from harness.flowjson._loader import _SCHEMA_CODES
from harness.walker._verdicts import judge

Case = Callable[[Any], list[Finding]]
HARNESS = Path(__file__).parents[3] / "harness"


def _flow(make: Any, mutate: Callable[[dict[str, Any]], None] | None = None) -> list[Finding]:
    flow = make.endpoint_flow()
    if mutate is not None:
        mutate(flow)
    return list(validate(flow).findings)


def _children(flow: dict[str, Any], screen: int) -> list[Any]:
    children: list[Any] = flow["screens"][screen]["layout"]["children"]
    return children


def _answer(
    make: Any, answer: Any, *, from_screen: str | None = "START", **kw: Any
) -> list[Finding]:
    return check_response(load_flow(make.endpoint_flow()), from_screen, answer, **kw)


def _outcome(
    make: Any, outcome: Outcome, status: int | None, elapsed: float = 0.1
) -> list[Finding]:
    exchange = Exchange(url="http://endpoint.test/", request_headers={}, request_body=b"{}")
    payload = {"screen": "MIDDLE", "data": {"name": "Ada"}} if outcome is Outcome.OK else None
    result = FlowResult(outcome, status, payload, None, elapsed, 3.0, exchange, (exchange,))
    flow = load_flow(make.endpoint_flow())
    return judge(flow, result, from_screen="START", action="data_exchange", flow_token="t").findings


def _rename_end(name: str) -> Callable[[dict[str, Any]], None]:
    def mutate(flow: dict[str, Any]) -> None:
        flow["screens"][2]["id"] = name
        flow["routing_model"] = {"START": ["MIDDLE"], "MIDDLE": [name], name: []}

    return mutate


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(flow: dict[str, Any]) -> None:
        target = flow
        for key in path[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return mutate


_DELETE = object()
FOOTER = (1, "on-click-action")
SUCCESS_OK = {
    "screen": "SUCCESS",
    "data": {"extension_message_response": {"params": {"flow_token": "t"}}},
}


def _two_terms(make: Any, terms_children: list[Any]) -> list[Finding]:
    """START -> END (terminal) -> TERMS, like Meta's templates."""
    flow = make.endpoint_flow()
    flow["routing_model"] = {"START": ["MIDDLE"], "MIDDLE": ["END"], "END": ["TERMS"], "TERMS": []}
    flow["screens"].append(make.screen("TERMS", *terms_children))
    optin = {"type": "OptIn", "name": "terms", "label": "I agree",
             "on-click-action": {"name": "navigate", "next": {"type": "screen", "name": "TERMS"},
                                 "payload": {}}}  # fmt: skip
    _children(flow, 2).insert(0, optin)
    return list(validate(flow).findings)


def _options(count: int) -> Callable[[dict[str, Any]], None]:
    def mutate(flow: dict[str, Any]) -> None:
        options = [{"id": str(i), "title": str(i)} for i in range(count)]
        radio = {
            "type": "RadioButtonsGroup",
            "name": "pick",
            "label": "Pick",
            "data-source": options,
        }
        _children(flow, 0).insert(1, radio)

    return mutate


def _texts(count: int) -> Callable[[dict[str, Any]], None]:
    def mutate(flow: dict[str, Any]) -> None:
        _children(flow, 1)[1:1] = [{"type": "TextBody", "text": f"l{i}"} for i in range(count)]

    return mutate


def _pickers(
    *kinds: str, payload: Any = None, action: str = "data_exchange"
) -> Callable[..., None]:
    def mutate(flow: dict[str, Any]) -> None:
        children = _children(flow, 0)
        for index, kind in enumerate(kinds):
            children.insert(1 + index, {"type": kind, "name": f"p{index}", "label": "File"})
        footer = children[-1]["on-click-action"]
        footer["name"] = action
        if action == "navigate":
            footer["next"] = {"type": "screen", "name": "MIDDLE"}
        if payload is not None:
            footer["payload"] = payload

    return mutate


def _chips(version: str) -> Callable[[dict[str, Any]], None]:
    def mutate(flow: dict[str, Any]) -> None:
        flow["version"] = version
        chips = {"type": "ChipsSelector", "name": "tags", "label": "Tags",
                 "data-source": [{"id": "a", "title": "A"}]}  # fmt: skip
        _children(flow, 0).insert(1, chips)

    return mutate


def _screens_terminal(flag: bool) -> Callable[[dict[str, Any]], None]:
    def mutate(flow: dict[str, Any]) -> None:
        flow["screens"][2]["terminal"] = flag
        if not flag:
            _children(flow, 2)[0]["on-click-action"]["name"] = "data_exchange"

    return mutate


def _dead_end(leaf: Any) -> Callable[[Any], list[Finding]]:
    def case(make: Any) -> list[Finding]:
        flow = make.endpoint_flow()
        flow["screens"].append(make.screen("LEAF", *leaf(make)))
        flow["routing_model"]["MIDDLE"] = ["END", "LEAF"]
        flow["routing_model"]["LEAF"] = []
        return list(validate(flow).findings)

    return case


# code -> (negative: breaks the rule, positive: the nearest case that keeps it)
CASES: dict[str, tuple[Case, Case]] = {
    "invalid-json": (lambda m: list(validate("{ not json").findings), lambda m: _flow(m)),
    "missing-property": (
        lambda m: _flow(m, _set(("screens", 1, "layout"), _DELETE)),
        lambda m: _flow(m, _set(("screens", 1, "title"), _DELETE)),
    ),
    "wrong-type": (
        lambda m: _flow(m, _set(("screens", 1, "terminal"), "yes")),
        lambda m: _flow(m, _set(("screens", 1, "terminal"), False)),
    ),
    "invalid-value": (
        lambda m: _flow(m, _set(("screens", 1, "layout", "children", *FOOTER, "name"), "jump")),
        lambda m: _flow(
            m, _set(("screens", 1, "layout", "children", *FOOTER, "name"), "data_exchange")
        ),
    ),
    "invalid-structure": (
        lambda m: list(validate({"version": "7.3", "screens": []}).findings),
        lambda m: _flow(m),
    ),
    "unsupported-version": (
        lambda m: _flow(m, _set(("version",), "8.0")),
        lambda m: _flow(m, _set(("version",), "7.1")),
    ),
    "unknown-component": (
        lambda m: _flow(m, lambda f: _children(f, 1).insert(0, {"type": "Hologram"})),
        lambda m: _flow(
            m, lambda f: _children(f, 1).insert(0, {"type": "TextCaption", "text": "x"})
        ),
    ),
    "unknown-property": (
        lambda m: _flow(m, _set(("screens", 1, "layout", "children", 0, "colour"), "red")),
        lambda m: _flow(m, _set(("screens", 1, "layout", "children", 0, "visible"), True)),
    ),
    "duplicate-screen-id": (
        lambda m: _flow(m, _set(("screens", 1, "id"), "START")),
        lambda m: _flow(m),
    ),
    "reserved-screen-id": (
        lambda m: _flow(m, _rename_end("SUCCESS")),
        lambda m: _flow(m, _rename_end("DONE")),
    ),
    "missing-routing-model": (
        lambda m: _flow(m, _set(("routing_model",), _DELETE)),
        lambda m: _flow(
            m,
            lambda f: (
                _set(("routing_model",), _DELETE)(f),
                _set(("data_api_version",), _DELETE)(f),
            ),
        ),
    ),
    "routing-unknown-screen": (
        lambda m: _flow(m, _set(("routing_model", "END"), ["NOWHERE"])),
        lambda m: _flow(m, _set(("routing_model", "END"), [])),
    ),
    "screen-not-in-routing-model": (
        lambda m: _flow(m, lambda f: f["screens"].append(m.plain_screen("EXTRA", terminal=True))),
        lambda m: _flow(
            m,
            lambda f: (
                f["screens"].append(m.plain_screen("EXTRA", terminal=True)),
                _set(("routing_model", "MIDDLE"), ["END", "EXTRA"])(f),
                _set(("routing_model", "EXTRA"), [])(f),
            ),
        ),
    ),
    "routing-self-loop": (
        lambda m: _flow(m, _set(("routing_model", "MIDDLE"), ["END", "MIDDLE"])),
        lambda m: _flow(m, _set(("routing_model", "MIDDLE"), ["END"])),
    ),
    "routing-back-edge": (
        lambda m: _flow(m, _set(("routing_model", "MIDDLE"), ["END", "START"])),
        lambda m: _flow(m, _set(("routing_model", "START"), ["MIDDLE", "END"])),
    ),
    "routing-cycle": (
        lambda m: _flow(
            m,
            lambda f: (
                f["screens"].extend([m.plain_screen("A"), m.plain_screen("B")]),
                _set(
                    ("routing_model",),
                    {
                        "START": ["MIDDLE"],
                        "MIDDLE": ["A", "END"],
                        "A": ["B"],
                        "B": ["MIDDLE"],
                        "END": [],
                    },
                )(f),
            ),
        ),
        lambda m: _flow(
            m,
            lambda f: (
                f["screens"].extend([m.plain_screen("A"), m.plain_screen("B")]),
                _set(
                    ("routing_model",),
                    {
                        "START": ["MIDDLE"],
                        "MIDDLE": ["A", "END"],
                        "A": ["B"],
                        "B": ["END"],
                        "END": [],
                    },
                )(f),
            ),
        ),
    ),
    "multiple-entry-screens": (
        lambda m: _flow(
            m,
            lambda f: (
                f["screens"].append(m.plain_screen("OTHER")),
                _set(("routing_model", "OTHER"), ["END"])(f),
            ),
        ),
        lambda m: _flow(
            m,
            lambda f: (
                f["screens"].append(m.plain_screen("OTHER")),
                _set(("routing_model", "OTHER"), ["END"])(f),
                _set(("routing_model", "START"), ["MIDDLE", "OTHER"])(f),
            ),
        ),
    ),
    "no-reachable-terminal": (
        lambda m: _flow(m, _screens_terminal(False)),
        lambda m: _flow(m, _screens_terminal(True)),
    ),
    "route-not-terminal": (
        _dead_end(
            lambda m: [
                {"type": "TextInput", "name": "x", "label": "X"},
                {
                    "type": "Footer",
                    "label": "Go",
                    "on-click-action": {"name": "update_data", "payload": {}},
                },
            ]
        ),
        _dead_end(lambda m: [{"type": "TextBody", "text": "Our terms"}]),
    ),
    "too-many-branches": (
        lambda m: _flow(
            m,
            lambda f: (
                f["screens"].extend(m.plain_screen(f"B{i}", terminal=True) for i in range(10)),
                _set(("routing_model", "START"), ["MIDDLE", *(f"B{i}" for i in range(10))])(f),
            ),
        ),
        lambda m: _flow(
            m,
            lambda f: (
                f["screens"].extend(m.plain_screen(f"B{i}", terminal=True) for i in range(9)),
                _set(("routing_model", "START"), ["MIDDLE", *(f"B{i}" for i in range(9))])(f),
            ),
        ),
    ),
    "terminal-without-footer": (
        lambda m: _flow(
            m, _set(("screens", 2, "layout", "children"), [{"type": "TextBody", "text": "Bye"}])
        ),
        lambda m: _flow(
            m, lambda f: _children(f, 2).insert(0, {"type": "TextBody", "text": "Bye"})
        ),
    ),
    "multiple-footers": (
        lambda m: _flow(m, lambda f: _children(f, 0).append(m.footer())),
        lambda m: _flow(
            m,
            lambda f: _children(f, 0).append(
                {
                    "type": "EmbeddedLink",
                    "text": "More",
                    "on-click-action": {"name": "data_exchange", "payload": {}},
                }
            ),
        ),
    ),
    "complete-not-terminal": (
        lambda m: _flow(m, _set(("screens", 1, "layout", "children", *FOOTER, "name"), "complete")),
        lambda m: _flow(
            m, _set(("screens", 2, "layout", "children", 0, "on-click-action", "name"), "complete")
        ),
    ),
    "complete-outside-footer": (
        lambda m: _flow(
            m,
            lambda f: _children(f, 2).insert(
                0, {"type": "EmbeddedLink", "text": "Done", "on-click-action": {"name": "complete"}}
            ),
        ),
        lambda m: _flow(
            m,
            lambda f: _children(f, 2).insert(
                0,
                {
                    "type": "EmbeddedLink",
                    "text": "Done",
                    "on-click-action": {"name": "data_exchange"},
                },
            ),
        ),
    ),
    "navigate-on-terminal-footer": (
        lambda m: _flow(
            m,
            lambda f: (
                f["screens"].append(m.plain_screen("AFTER", terminal=True)),
                _set(("routing_model", "END"), ["AFTER"])(f),
                _set(("screens", 2, "layout", "children"), [m.footer("navigate", next="AFTER")])(f),
            ),
        ),
        lambda m: _flow(
            m,
            lambda f: (
                f["screens"].append(m.plain_screen("AFTER", terminal=True)),
                _set(("routing_model", "END"), ["AFTER"])(f),
                _children(f, 2).insert(
                    0,
                    {
                        "type": "EmbeddedLink",
                        "text": "After",
                        "on-click-action": {
                            "name": "navigate",
                            "payload": {},
                            "next": {"type": "screen", "name": "AFTER"},
                        },
                    },
                ),
            ),
        ),
    ),
    "navigate-unknown-screen": (
        lambda m: _flow(
            m, lambda f: _children(f, 1).__setitem__(1, m.footer("navigate", next="NOPE"))
        ),
        lambda m: _flow(
            m, lambda f: _children(f, 1).__setitem__(1, m.footer("navigate", next="END"))
        ),
    ),
    "navigate-not-in-routing-model": (
        lambda m: _flow(
            m, lambda f: _children(f, 0).__setitem__(1, m.footer("navigate", next="END"))
        ),
        lambda m: _flow(
            m,
            lambda f: _children(f, 0).__setitem__(
                1, m.footer("navigate", next="MIDDLE", payload={"name": "x"})
            ),
        ),
    ),
    "invalid-binding": (
        lambda m: _flow(m, _set(("screens", 1, "layout", "children", 0, "text"), "${data.}")),
        lambda m: _flow(m, _set(("screens", 1, "layout", "children", 0, "text"), "${data.name}")),
    ),
    "unresolved-form-binding": (
        lambda m: _flow(
            m, _set(("screens", 0, "layout", "children", *FOOTER, "payload", "x"), "${form.nope}")
        ),
        lambda m: _flow(
            m, _set(("screens", 0, "layout", "children", *FOOTER, "payload", "x"), "${form.name}")
        ),
    ),
    "unresolved-data-binding": (
        lambda m: _flow(m, _set(("screens", 1, "layout", "children", 0, "text"), "${data.nope}")),
        lambda m: _flow(
            m, _set(("screens", 1, "layout", "children", 0, "text"), "Hi ${data.name}")
        ),
    ),
    "unresolved-screen-binding": (
        lambda m: _flow(
            m,
            _set(
                ("screens", 2, "layout", "children", 0, "on-click-action", "payload", "v"),
                "${screen.NOPE.form.name}",
            ),
        ),
        lambda m: _flow(
            m,
            _set(
                ("screens", 2, "layout", "children", 0, "on-click-action", "payload", "v"),
                "${screen.START.form.name}",
            ),
        ),
    ),
    "expression-syntax": (
        lambda m: _flow(
            m, _set(("screens", 1, "layout", "children", 0, "text"), "`${data.name} +`")
        ),
        lambda m: _flow(
            m, _set(("screens", 1, "layout", "children", 0, "text"), "`'Hi ' ${data.name}`")
        ),
    ),
    "feature-above-version": (lambda m: _flow(m, _chips("6.2")), lambda m: _flow(m, _chips("6.3"))),
    "missing-example": (
        lambda m: _flow(m, _set(("screens", 1, "data", "name", "__example__"), _DELETE)),
        lambda m: _flow(m, _set(("screens", 1, "data", "name", "__example__"), "Grace")),
    ),
    "null-example": (
        lambda m: _flow(m, _set(("screens", 1, "data", "name", "__example__"), None)),
        lambda m: _flow(m, _set(("screens", 1, "data", "name", "__example__"), "")),
    ),
    "example-type-mismatch": (
        lambda m: _flow(m, _set(("screens", 1, "data", "name", "__example__"), 5)),
        lambda m: _flow(m, _set(("screens", 1, "data", "name", "__example__"), "5")),
    ),
    "invalid-data-declaration": (
        lambda m: _flow(m, _set(("screens", 1, "data", "name", "minLength"), "two")),
        lambda m: _flow(m, _set(("screens", 1, "data", "name", "minLength"), 2)),
    ),
    "too-many-components": (lambda m: _flow(m, _texts(49)), lambda m: _flow(m, _texts(48))),
    "option-count-out-of-range": (
        lambda m: _flow(m, _options(21)),
        lambda m: _flow(m, _options(20)),
    ),
    "invalid-input-type": (
        lambda m: _flow(m, _set(("screens", 0, "layout", "children", 0, "input-type"), "url")),
        lambda m: _flow(m, _set(("screens", 0, "layout", "children", 0, "input-type"), "email")),
    ),
    "multiple-media-pickers": (
        lambda m: _flow(m, _pickers("PhotoPicker", "DocumentPicker")),
        lambda m: _flow(m, _pickers("PhotoPicker")),
    ),
    "picker-value-nested": (
        lambda m: _flow(m, _pickers("PhotoPicker", payload={"files": {"p": "${form.p0}"}})),
        lambda m: _flow(m, _pickers("PhotoPicker", payload={"p": "${form.p0}"})),
    ),
    "picker-value-misplaced": (
        lambda m: _flow(
            m, _pickers("PhotoPicker", payload={"p": "${form.p0}", "name": "x"}, action="navigate")
        ),
        lambda m: _flow(m, _pickers("PhotoPicker", payload={"p": "${form.p0}"})),
    ),
    "invalid-screen-transition": (
        lambda m: _answer(m, {"screen": "END", "data": {}}),
        lambda m: _answer(m, {"screen": "MIDDLE", "data": {"name": "Ada"}}),
    ),
    "payload-schema-error": (
        lambda m: _answer(m, {"screen": "MIDDLE", "data": {"name": 5}}),
        lambda m: _answer(m, {"screen": "MIDDLE", "data": {"name": "5"}}),
    ),
    "data-field-absent": (
        lambda m: _answer(m, {"screen": "MIDDLE", "data": {}}),
        lambda m: _answer(m, {"screen": "MIDDLE", "data": {"name": ""}}),
    ),
    "missing-flow-token": (
        lambda m: _answer(
            m, {"screen": "SUCCESS", "data": {"extension_message_response": {"params": {}}}}
        ),
        lambda m: _answer(m, SUCCESS_OK),
    ),
    "flow-token-mismatch": (
        lambda m: _answer(m, SUCCESS_OK, flow_token="other"),
        lambda m: _answer(m, SUCCESS_OK, flow_token="t"),
    ),
    "invalid-error-message": (
        lambda m: _answer(m, {"screen": "START", "data": {"error_message": 5}}),
        lambda m: _answer(m, {"screen": "START", "data": {"error_message": "Try again"}}),
    ),
    "response-decryption-error": (
        lambda m: _outcome(m, Outcome.RESPONSE_DECRYPTION_ERROR, 200),
        lambda m: _outcome(m, Outcome.OK, 200),
    ),
    "unexpected-http-status-code": (
        lambda m: _outcome(m, Outcome.UNEXPECTED_HTTP_STATUS_CODE, 500),
        lambda m: _outcome(m, Outcome.OK, 200),
    ),
    "timeout-error": (
        lambda m: _outcome(m, Outcome.TIMEOUT_ERROR, None),
        lambda m: _outcome(m, Outcome.OK, 200),
    ),
    "no-http-response-error": (
        lambda m: _outcome(m, Outcome.NO_HTTP_RESPONSE_ERROR, None),
        lambda m: _outcome(m, Outcome.OK, 200),
    ),
    "business-decryption-error": (
        lambda m: _outcome(m, Outcome.BUSINESS_DECRYPTION_ERROR, 421),
        lambda m: _outcome(m, Outcome.OK, 200),
    ),
    "flow-token-invalid": (
        lambda m: _outcome(m, Outcome.FLOW_TOKEN_INVALID, 427),
        lambda m: _outcome(m, Outcome.OK, 200),
    ),
    "signature-rejected": (
        lambda m: _outcome(m, Outcome.SIGNATURE_REJECTED, 432),
        lambda m: _outcome(m, Outcome.OK, 200),
    ),
    "over-budget": (
        lambda m: _outcome(m, Outcome.OK, 200, elapsed=3.5),
        lambda m: _outcome(m, Outcome.OK, 200, elapsed=2.5),
    ),
}


def test_every_code_has_a_negative_and_a_positive_case() -> None:
    assert set(CASES) == set(RULE_TABLE)


@pytest.mark.parametrize("code", sorted(CASES))
def test_negative_case_reports_the_code(make: Any, code: str) -> None:
    found = [item for item in CASES[code][0](make) if item.code == code]
    assert found, f"{code}: the negative case did not report it"
    assert {item.severity for item in found} <= {RULE_TABLE[code].severity, "warning"}


@pytest.mark.parametrize("code", sorted(CASES))
def test_positive_case_does_not_report_the_code(make: Any, code: str) -> None:
    assert code not in [item.code for item in CASES[code][1](make)]


def test_only_rules_with_a_meta_source_are_errors() -> None:
    for code, rule in RULE_TABLE.items():
        if rule.severity == "error":
            assert rule.source, code
            assert rule.source.startswith("Meta"), code
        assert rule.summary, code


def test_a_sourceless_rule_cannot_report_an_error() -> None:
    with pytest.raises(ValueError, match="Meta source"):
        Finding("error", "route-not-terminal", "", "x")


def _implemented_codes() -> set[str]:
    """Finding codes the harness can report: literals passed to error()/warning()/add()/
    Finding(), the JSON Schema codes, and the kebab-cased outcomes the walker reports."""
    codes: set[str] = set()
    for path in HARNESS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = (
                node.func.body if isinstance(node.func, ast.IfExp) else node.func
            )  # (a if x else b)(...)
            name = getattr(func, "id", getattr(func, "attr", ""))
            position = {"error": 0, "warning": 0, "add": 0, "Finding": 1}.get(name)
            if position is None or len(node.args) <= position:
                continue
            arg = node.args[position]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and "-" in arg.value:
                codes.add(arg.value)
    codes |= set(_SCHEMA_CODES.values()) | {"invalid-structure"}
    codes |= {str(o).replace("_", "-") for o in Outcome if o is not Outcome.OK}
    return codes


def test_documented_codes_equal_implemented_codes() -> None:
    implemented = _implemented_codes()
    assert implemented - set(RULE_TABLE) == set(), "implemented but not documented"
    assert set(RULE_TABLE) - implemented == set(), "documented but never reported"


def test_every_error_cites_a_meta_page_and_the_section_that_states_it() -> None:
    pages = (_table.FLOW_JSON, _table.COMPONENTS, _table.MEDIA, _table.ENDPOINT, _table.ERRORS,
             _table.VERSIONS)  # fmt: skip
    for code, rule in RULE_TABLE.items():
        if rule.severity != "error":
            continue
        assert rule.source is not None
        cited = [page for page in pages if page in rule.source]
        assert cited, f"{code}: no Meta page in {rule.source!r}"
        assert len(rule.source) > len(cited[0]) + 10, f"{code}: the page, but no section"


def _dropdown(count: int, *, images: bool) -> Callable[[dict[str, Any]], None]:
    def mutate(flow: dict[str, Any]) -> None:
        image = {"image": "iVBORw0KGgo="} if images else {}
        options = [{"id": str(i), "title": str(i), **image} for i in range(count)]
        dropdown = {"type": "Dropdown", "name": "pick", "label": "Pick", "data-source": options}
        _children(flow, 0).insert(1, dropdown)

    return mutate


@pytest.mark.parametrize(
    ("count", "images", "reported"),
    [(200, False, False), (201, False, True), (100, True, False), (101, True, True)],
)
def test_a_dropdown_with_images_holds_at_most_100_options(
    make: Any, count: int, images: bool, reported: bool
) -> None:
    codes = [item.code for item in _flow(make, _dropdown(count, images=images))]
    assert ("option-count-out-of-range" in codes) is reported
