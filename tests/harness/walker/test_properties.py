"""Property: whatever journey hypothesis draws, every value the walker types is valid.

The checker here is independent of the walker's value code: it reads the raw
component properties and checks the values with plain regexes, date arithmetic,
email-validator and phonenumbers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.flowjson import Component, Flow
from harness.strategies import HypothesisChooser, component_values, journeys
from harness.walker import walk

FLOWS = [
    "v6.2-regex",
    "v2.1-support-request",
    "v2.1-load-re-engagement",
    "v2.1-communication-preferences",
    "v6.3-chips-selector",
    "v4.0-date-picker-dates-str",
    "v5.0-date-picker-dates-obj",
    "v6.1-calendar-picker-single-mode",
    "v6.1-calendar-picker-range-mode",
    "v6.2-navigation-list",
]
SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _day(value: Any) -> dt.date:
    text = str(value)
    if text.isdigit():
        return dt.datetime.fromtimestamp(int(text) / 1000, tz=dt.UTC).date()
    return dt.date.fromisoformat(text)


def _check_day(props: Mapping[str, Any], value: Any) -> dt.date:
    day = _day(value)
    if "min-date" in props:
        assert day >= _day(props["min-date"]), value
    if "max-date" in props:
        assert day <= _day(props["max-date"]), value
    assert day not in {_day(item) for item in props.get("unavailable-dates", [])}, value
    if "include-days" in props:
        assert WEEKDAYS[day.weekday()] in props["include-days"], value
    return day


def check_value(component: Component, value: Any, version: str) -> None:
    """Fail unless ``value`` satisfies the component's literal constraints."""
    props = component.properties
    kind = component.type
    if kind in ("TextInput", "TextArea"):
        assert isinstance(value, str), value
        assert value.strip(), value
        low, high = (
            props.get("min-chars", 0),
            props.get("max-chars", props.get("max-length", 10**6)),
        )
        assert low <= len(value) <= high, value
        if "pattern" in props:
            assert re.fullmatch(props["pattern"], value, re.ASCII), (props["pattern"], value)
        kind_of_input = props.get("input-type", "text")
        if kind_of_input == "email" and "pattern" not in props:
            try:
                validate_email(value, check_deliverability=False)
            except EmailNotValidError as exc:
                raise AssertionError(f"{value!r}: {exc}") from exc
        if kind_of_input == "phone" and "pattern" not in props:
            assert phonenumbers.is_valid_number(phonenumbers.parse(value)), value
        if kind_of_input in ("number", "passcode") and "pattern" not in props:
            assert value.isdigit(), value
    elif kind in ("Dropdown", "RadioButtonsGroup"):
        assert value in [item["id"] for item in props["data-source"]], value
    elif kind in ("CheckboxGroup", "ChipsSelector"):
        ids = [item["id"] for item in props["data-source"]]
        assert set(value) <= set(ids), value
        assert len(set(value)) == len(value), value
        assert props.get("min-selected-items", 1) <= len(value), value
        assert len(value) <= props.get("max-selected-items", len(ids)), value
    elif kind == "DatePicker":
        epoch = tuple(int(part) for part in version.split(".")) < (5, 0)
        assert str(value).isdigit() == epoch, value
        _check_day(props, value)
    elif kind == "CalendarPicker" and props.get("mode") == "range":
        start = _check_day(props, value["start-date"])
        end = _check_day(props, value["end-date"])
        length = (end - start).days + 1
        assert props.get("min-days", 1) <= length <= props.get("max-days", 10**6), value
    elif kind == "CalendarPicker":
        _check_day(props, value)
    elif kind == "OptIn":
        assert isinstance(value, bool), value
        assert value or not props.get("required"), value


def check_transcript(flow: Flow, transcript: Any) -> int:
    checked = 0
    for step in transcript.steps:
        if step.screen is None:
            continue
        screen = flow.screen(step.screen)
        for name, value in step.inputs.items():
            component = screen.input(name)
            assert component is not None, f"{step.screen} has no input {name!r}"
            if value in ("", []):  # left empty: only an optional input may be
                assert component.properties.get("required") is not True, (name, value)
                continue
            check_value(component, value, flow.version)
            checked += 1
        required = [c.name for c in screen.inputs() if c.properties.get("required") is True]
        if step.kind in ("complete", "navigate") and step.trigger == "Footer":
            assert set(required) <= set(step.inputs), (required, step.inputs)
    return checked


@pytest.mark.parametrize("name", FLOWS)
def test_journeys_type_only_valid_values(name: str, corpus: Any, stub_client: Any) -> None:
    flow = corpus(name)
    checked: list[int] = []
    with stub_client(flow) as (client, _app):

        @SETTINGS
        @given(chooser=journeys(flow))
        def run(chooser: Any) -> None:
            transcript = walk(flow, client, chooser=chooser)
            assert transcript.completed, transcript.format()
            assert transcript.findings == []
            checked.append(check_transcript(flow, transcript))
            assert "FOURTH_SCREEN" not in transcript.screens  # the dead NavigationList item

        run()
    assert sum(checked) > 0 or name == "v6.2-navigation-list"


def test_step_by_step_draws_explore_the_navigation_list(corpus: Any, stub_client: Any) -> None:
    flow = corpus("v6.2-navigation-list")
    seen: set[str] = set()
    with stub_client(flow) as (client, _app):

        @SETTINGS
        @given(data=st.data())
        def run(data: Any) -> None:
            transcript = walk(flow, client, chooser=HypothesisChooser(data))
            assert transcript.completed, transcript.format()
            check_transcript(flow, transcript)
            seen.update(transcript.screens)

        run()
    assert "FOURTH_SCREEN" not in seen
    assert {"FIRST_SCREEN", "CONTACT"} <= seen


CONSTRAINED = [
    {"type": "TextInput", "name": "a", "input-type": "text", "min-chars": 3, "max-chars": 5},
    {"type": "TextInput", "name": "b", "input-type": "email", "max-chars": 40},
    {"type": "TextInput", "name": "c", "input-type": "phone"},
    {"type": "TextInput", "name": "d", "input-type": "passcode", "min-chars": 6, "max-chars": 6},
    {"type": "TextInput", "name": "e", "input-type": "password", "min-chars": 10},
    {"type": "TextInput", "name": "f", "pattern": "[A-Z]{2}-\\d{3}"},
    {"type": "TextInput", "name": "g", "input-type": "number", "max-chars": 3},
    {"type": "TextArea", "name": "h", "max-length": 5},
    {"type": "CheckboxGroup", "name": "i", "min-selected-items": 2, "max-selected-items": 3,
     "data-source": [{"id": str(n), "title": str(n)} for n in range(5)]},
    {"type": "DatePicker", "name": "j", "min-date": "2025-02-26", "max-date": "2025-03-03",
     "unavailable-dates": ["2025-03-01"]},
    {"type": "CalendarPicker", "name": "k", "mode": "range", "min-date": "2025-01-01",
     "max-date": "2025-01-20", "min-days": 3, "max-days": 4, "include-days": ["Mon", "Tue", "Wed"]},
]  # fmt: skip


@pytest.mark.parametrize("raw", CONSTRAINED, ids=[item["name"] for item in CONSTRAINED])
def test_component_values_respect_constraints(raw: dict[str, Any]) -> None:
    properties = {key: value for key, value in raw.items() if key != "type"}
    component = Component(raw["type"], f"/test/{raw['name']}", properties)

    @settings(max_examples=25, deadline=None)
    @given(value=component_values(component, version="6.2"))
    def run(value: Any) -> None:
        check_value(component, value, "6.2")

    run()
