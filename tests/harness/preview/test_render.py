"""Previews: every corpus screen and component is on the page, examples are bound,
conditions show as such, unknown components are kept, and nothing reaches the network."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harness.flowjson import Flow, load_flow
from harness.preview import STYLES, preview_html, render_screen, render_step

from .conftest import CORPUS, LEAD_FLOW, Elements


def _flow(screens: list[dict], version: str = "6.3") -> Flow:
    return load_flow({"version": version, "screens": screens})


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_every_screen_and_component_of_a_corpus_flow_is_on_the_page(path: Path) -> None:
    flow = load_flow(path)
    page = preview_html(flow)
    parsed = Elements(page)
    screens = [attrs["data-screen"] for attrs in parsed.with_attr("data-screen")]
    assert screens == list(flow.screen_ids)
    rendered = {attrs["data-pointer"] for attrs in parsed.with_attr("data-pointer")}
    expected = {component.pointer for screen in flow.screens for component in screen.walk()}
    assert expected <= rendered
    assert "Unknown component" not in page  # the corpus only uses known components
    text = parsed.joined_text()
    for screen in flow.screens:
        if isinstance(screen.title, str) and "${" not in screen.title:
            assert screen.title in text


@pytest.mark.parametrize("path", [*CORPUS, LEAD_FLOW], ids=lambda p: p.name)
def test_a_preview_page_fetches_nothing(path: Path) -> None:
    page = preview_html(load_flow(path))
    assert "<script" not in page
    assert "<link" not in page
    assert "@import" not in page
    assert "url(" not in page
    for src in re.findall(r'src="([^"]*)"', page):
        assert src.startswith("data:image/"), src


def test_example_data_is_bound_in() -> None:
    flow = load_flow(LEAD_FLOW)
    text = Elements(preview_html(flow)).joined_text()
    assert "Jane Doe, jane@example.com" in text  # CONFIRM's ${data.summary} example


def test_labels_options_helper_text_and_footer_are_shown() -> None:
    flow = _flow(
        [
            {
                "id": "FORM",
                "title": "Sign up",
                "terminal": True,
                "layout": {
                    "type": "SingleColumnLayout",
                    "children": [
                        {"type": "TextInput", "name": "email", "label": "Email",
                         "input-type": "email", "helper-text": "We never share it"},
                        {"type": "RadioButtonsGroup", "name": "plan", "label": "Plan",
                         "required": True,
                         "data-source": [{"id": "a", "title": "Basic", "description": "Free"},
                                         {"id": "b", "title": "Pro"}]},
                        {"type": "Footer", "label": "Join", "left-caption": "Step 1",
                         "right-caption": "of 2",
                         "on-click-action": {"name": "complete", "payload": {}}},
                    ],
                },
            }
        ]
    )  # fmt: skip
    text = Elements(preview_html(flow)).joined_text()
    for expected in ("Sign up", "Email (optional)", "We never share it", "Plan", "Basic",
                     "Free", "Pro", "Join", "Step 1", "of 2"):  # fmt: skip
        assert expected in text, expected


def test_if_and_switch_show_both_branches_and_which_one_holds() -> None:
    flow = _flow(
        [
            {
                "id": "S",
                "terminal": True,
                "data": {"vip": {"type": "boolean", "__example__": True},
                         "tier": {"type": "string", "__example__": "gold"}},
                "layout": {
                    "type": "SingleColumnLayout",
                    "children": [
                        {"type": "If", "condition": "${data.vip}",
                         "then": [{"type": "TextBody", "text": "Welcome back"}],
                         "else": [{"type": "TextBody", "text": "Hello stranger"}]},
                        {"type": "Switch", "value": "${data.tier}",
                         "cases": {"gold": [{"type": "TextBody", "text": "Gold perks"}],
                                   "silver": [{"type": "TextBody", "text": "Silver perks"}]}},
                        {"type": "TextBody", "text": "Secret", "visible": "${data.vip}"},
                        {"type": "Footer", "label": "OK",
                         "on-click-action": {"name": "complete", "payload": {}}},
                    ],
                },
            }
        ]
    )  # fmt: skip
    parsed = Elements(preview_html(flow))
    branches = {attrs["data-branch"]: attrs["class"] for attrs in parsed.with_attr("data-branch")}
    assert branches == {
        "then": "branch on",
        "else": "branch off",
        "gold": "branch on",
        "silver": "branch off",
    }
    text = parsed.joined_text()
    for expected in ("Welcome back", "Hello stranger", "Gold perks", "Silver perks",
                     "If ${data.vip}", "visible when ${data.vip} (shown)"):  # fmt: skip
        assert expected in text, expected


def test_an_unknown_component_is_shown_not_dropped() -> None:
    flow = _flow(
        [
            {
                "id": "S",
                "terminal": True,
                "layout": {
                    "type": "SingleColumnLayout",
                    "children": [
                        {"type": "HologramPicker", "name": "holo", "label": "Pick one"},
                        {"type": "Footer", "label": "OK",
                         "on-click-action": {"name": "complete", "payload": {}}},
                    ],
                },
            }
        ],
        version="9.9",
    )  # fmt: skip
    page = preview_html(flow)
    parsed = Elements(page)
    types = [attrs["data-type"] for attrs in parsed.with_attr("data-type")]
    assert "HologramPicker" in types
    assert "Unknown component: HologramPicker" in parsed.joined_text()
    assert "Pick one" in parsed.joined_text()


def test_text_is_escaped_and_markdown_stays_safe() -> None:
    flow = _flow(
        [
            {
                "id": "S",
                "title": "<b>title</b>",
                "terminal": True,
                "data": {"name": {"type": "string", "__example__": "<script>x()</script>"}},
                "layout": {
                    "type": "SingleColumnLayout",
                    "children": [
                        {"type": "TextBody", "markdown": True,
                         "text": "**bold** [site](javascript:alert(1)) ![x](https://e.com/a.png)"},
                        {"type": "TextBody", "text": "Hi ${data.name}"},
                        {"type": "Footer", "label": "OK",
                         "on-click-action": {"name": "complete", "payload": {}}},
                    ],
                },
            }
        ]
    )  # fmt: skip
    page = preview_html(flow)
    assert "<script" not in page
    assert "&lt;script&gt;x()&lt;/script&gt;" in page
    assert "&lt;b&gt;title&lt;/b&gt;" in page
    assert "<strong>bold</strong>" in page
    assert "href=" not in page  # links are shown, never followed
    assert "https://e.com/a.png" not in re.findall(r'src="([^"]*)"', page)


def test_form_bindings_are_placeholders_in_a_preview_and_values_in_a_journey() -> None:
    flow = _flow(
        [
            {
                "id": "S",
                "terminal": True,
                "layout": {
                    "type": "SingleColumnLayout",
                    "children": [
                        {"type": "TextInput", "name": "city", "label": "City"},
                        {"type": "TextBody", "text": "You live in ${form.city}"},
                        {"type": "Footer", "label": "OK",
                         "on-click-action": {"name": "complete", "payload": {}}},
                    ],
                },
            }
        ]
    )  # fmt: skip
    assert "${form.city}" in Elements(render_screen(flow, "S")).joined_text()
    card = Elements(render_screen(flow, "S", form={"city": "Lyon"}, placeholders=False))
    assert "You live in Lyon" in card.joined_text()


def test_render_step_puts_the_answer_and_findings_beside_the_screen() -> None:
    from harness.flowjson import Finding

    flow = load_flow(LEAD_FLOW)
    finding = Finding("error", "payload-schema-error", "data.summary is missing", "/data")
    fragment = render_step(
        flow,
        "LEAD",
        heading="2. LEAD: data_exchange",
        form={"first_name": "Ana"},
        facts=[("answer", "200 ok")],
        answer={"screen": "CONFIRM", "data": {}},
        findings=[finding],
    )
    parsed = Elements(fragment)
    assert [a["data-screen"] for a in parsed.with_attr("data-screen")] == ["LEAD"]
    text = parsed.joined_text()
    assert "Ana" in text
    assert "payload-schema-error" in text
    assert '"CONFIRM"' in text
    assert json.dumps(finding.message) not in STYLES
