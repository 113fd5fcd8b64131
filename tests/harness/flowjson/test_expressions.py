"""Bindings and backtick expressions: parsing, evaluation, error positions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.flowjson import ExpressionError, evaluate, parse, parse_binding, resolve, to_text

FORM = {"name": "Ada", "age": "36", "empty": ""}
DATA = {"count": 10, "other": 20, "flag": True, "items": [{"id": "a"}], "user": {"city": "Oslo"}}
SCREENS = {"FIRST": {"form": {"pick": "basic"}, "data": {"limit": 3}}}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 / 4", 2.5),
        ("20 / 10", 2),
        ("7 % 3", 1),
        ("-3 + 1", -2),
        ("!true", False),
        ("1 < 2 && 2 <= 2", True),
        ("1 > 2 || 3 >= 4", False),
        ("'a' 'b'", "ab"),
        ("'it\\'s'", "it's"),
        ("`'Hello ' ${form.name}`", "Hello Ada"),
        ("`${form.name} ' is ' ${form.age}`", "Ada is 36"),
        ("` 'sum ' (${data.count} + ${data.other})`", "sum 30"),
        ("` 'ratio ' (${data.count} / ${data.other})`", "ratio 0.5"),
        ("`(${form.age} == 36)`", True),
        ("${form.age} + 1", 37),
        ("${form.name} + '!'", "Ada!"),
        ("(${data.flag} && (${form.name} == 'Ada'))", True),
        ("${form.missing} == ''", True),
        ("${form.empty} != ''", False),
        ("${screen.FIRST.form.pick} == 'basic'", True),
        ("${screen.FIRST.data.limit} * 2", 6),
        ("${data.user.city}", "Oslo"),
        ("${data.items}", [{"id": "a"}]),
        ("'b' > 'a'", True),
    ],
)
def test_evaluate(source: str, expected: object) -> None:
    assert evaluate(source, form=FORM, data=DATA, screens=SCREENS) == expected


@pytest.mark.parametrize(
    ("source", "position"),
    [
        ("1 +", 3),
        ("(1", 2),
        ("1 # 2", 2),
        ("`1 + `", 5),
        (")", 0),
        ("'open", 0),
        ("${nope.x} == 1", 0),
        ("1 (2", 4),
        ("1 * * 2", 4),
    ],
)
def test_parse_errors_name_the_position(source: str, position: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    assert caught.value.position == position
    assert caught.value.expression == source
    assert str(position) in str(caught.value)


@pytest.mark.parametrize("source", ["1 / 0", "5 % 0", "'a' * 2", "${data.items} < 1", "-'x'"])
def test_evaluation_errors_are_expression_errors(source: str) -> None:
    with pytest.raises(ExpressionError):
        evaluate(source, form=FORM, data=DATA)


def test_parse_lists_the_bindings_it_reads() -> None:
    parsed = parse("`${form.a} ' ' ${data.b} ${screen.S.form.c}`")
    assert [(b.scope, b.name, b.screen) for b in parsed.bindings] == [
        ("form", "a", None),
        ("data", "b", None),
        ("form", "c", "S"),
    ]


@pytest.mark.parametrize("text", ["${form}", "${screen.X.form}", "${other.x}", "${form..x}"])
def test_malformed_bindings_are_rejected(text: str) -> None:
    with pytest.raises(ExpressionError):
        parse_binding(text)


def test_resolve_keeps_types_and_recurses() -> None:
    payload = {
        "items": "${data.items}",
        "nested": {"greeting": "`'Hi ' ${form.name}`", "fixed": 3},
        "list": ["${form.age}", "plain"],
    }
    assert resolve(payload, form=FORM, data=DATA) == {
        "items": [{"id": "a"}],
        "nested": {"greeting": "Hi Ada", "fixed": 3},
        "list": ["36", "plain"],
    }


@pytest.mark.parametrize(
    ("value", "text"), [(None, ""), (True, "true"), (2.0, "2"), (0.25, "0.25"), ([1], "[1]")]
)
def test_to_text(value: object, text: str) -> None:
    assert to_text(value) == text


small = st.integers(min_value=-10_000, max_value=10_000)
words = st.text(alphabet=st.characters(exclude_characters="'\\`", codec="utf-8"), max_size=20)


@given(small, small)
def test_arithmetic_matches_python(a: int, b: int) -> None:
    assert evaluate(f"{a} + {b} * 2 - {b}") == a + b * 2 - b
    if b:
        assert evaluate(f"{a} % {b}") == pytest.approx(a - b * int(a / b))


@given(small, small)
def test_comparisons_match_python(a: int, b: int) -> None:
    assert evaluate(f"{a} < {b}") == (a < b)
    assert evaluate(f"{a} >= {b}") == (a >= b)
    assert evaluate(f"({a} == {b}) || ({a} != {b})") is True


@given(words, words)
def test_juxtaposed_strings_concatenate(left: str, right: str) -> None:
    assert evaluate(f"`'{left}' '{right}'`") == left + right


@given(words)
def test_form_values_come_back_unchanged(value: str) -> None:
    assert evaluate("${form.field}", form={"field": value}) == value
