"""Subset matching and matchers."""

from __future__ import annotations

import pytest

from harness.scenarios import mismatches
from harness.scenarios._context import Variables
from harness.scenarios.exceptions import ScenarioRuntimeError

ACTUAL = {"screen": "CONFIRM", "data": {"name": "Zoé", "tags": ["a", "b"], "n": 3, "ok": True}}


@pytest.mark.parametrize(
    "expected",
    [
        {"screen": "CONFIRM"},
        {"data": {"name": {"regex": "^Zo"}}},
        {"data": {"name": {"contains": "o"}, "n": {"gte": 3, "lt": 4}}},
        {"data": {"tags": {"len": 2}}},
        {"data": {"tags": {"contains": "b"}}},
        {"data": {"tags": ["a", "b"]}},
        {"data": {"missing": {"absent": True}, "ok": {"any": True}}},
        {"screen": {"one_of": ["LEAD", "CONFIRM"]}},
        {"screen": {"not": "LEAD"}},
        {"data": {"name": {"icontains": "ZOÉ"}, "n": {"type": "integer"}}},
        {"data": {"n": 3.0}},
    ],
)
def test_matching(expected: dict) -> None:
    assert mismatches(expected, ACTUAL) == []


@pytest.mark.parametrize(
    ("expected", "needle"),
    [
        ({"screen": "LEAD"}, "screen: expected 'LEAD', got 'CONFIRM'"),
        ({"data": {"name": {"regex": "^A"}}}, "data.name: expected text matching /^A/"),
        ({"data": {"tags": {"len": 3}}}, "data.tags: expected length 3, got 2"),
        ({"data": {"nope": {"any": True}}}, "data.nope: expected a value, the field is missing"),
        ({"data": {"ok": {"absent": True}}}, "data.ok: expected no such field"),
        ({"data": {"tags": ["a"]}}, "data.tags: expected 1 items, got 2"),
        ({"data": {"ok": 1}}, "data.ok: expected 1, got True"),
        ({"data": {"n": {"gt": 5}}}, "expected a number > 5, got 3"),
        ({"data": []}, "data: expected a list"),
    ],
)
def test_mismatches_say_where_and_why(expected: dict, needle: str) -> None:
    problems = mismatches(expected, ACTUAL)
    assert any(needle in p for p in problems), problems


def test_interpolation_keeps_types_and_formats_text() -> None:
    variables = Variables({"ana": {"name": "Ana", "age": 30}, "items": [1, 2]})
    filled = variables.fill({"who": "${ana.name}", "age": "${ana.age}", "t": "hi ${ana.name}!"})
    assert filled == {"who": "Ana", "age": 30, "t": "hi Ana!"}
    assert variables.fill("${items.1}") == 2
    assert variables.fill("$${literal}") == "${literal}"


def test_unknown_variable_lists_what_exists() -> None:
    with pytest.raises(ScenarioRuntimeError, match=r"'ana.nmae' not found \(available: name"):
        Variables({"ana": {"name": "Ana"}}).fill("${ana.nmae}")
