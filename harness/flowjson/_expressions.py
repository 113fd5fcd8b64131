"""Binding strings and backtick expressions (Flow JSON 6.0+): parse and evaluate.

Grammar (loosest first)::

    sequence   := or_expr+                 juxtaposed values concatenate as text
    or_expr    := and_expr ("||" and_expr)*
    and_expr   := equality ("&&" equality)*
    equality   := comparison (("==" | "!=") comparison)*
    comparison := additive (("<" | "<=" | ">" | ">=") additive)*
    additive   := term (("+" | "-") term)*
    term       := unary (("*" | "/" | "%") unary)*
    unary      := ("!" | "-") unary | primary
    primary    := NUMBER | 'STRING' | true | false | ${binding} | "(" sequence ")"

Values follow the client's loose rules: an empty field reads as ``None`` and
equals ``''``; numeric strings (what a number TextInput holds) take part in
arithmetic and comparisons as numbers; ``+`` concatenates when an operand is
text that is not a number.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.flowjson._bindings import Binding, is_expression, is_single_binding, parse_binding
from harness.flowjson._errors import ExpressionError

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<binding>\$\{[^}]*\})
      | (?P<number>\d+(?:\.\d+)?)
      | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<word>[A-Za-z_]\w*)
      | (?P<op>==|!=|<=|>=|&&|\|\||[<>!+\-*/%()])""",
    re.VERBOSE,
)
_BINARY_LEVELS: tuple[tuple[str, ...], ...] = (
    ("||",),
    ("&&",),
    ("==", "!="),
    ("<", "<=", ">", ">="),
    ("+", "-"),
    ("*", "/", "%"),
)
Screens = Mapping[str, Mapping[str, Mapping[str, Any]]]


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


@dataclass(frozen=True)
class Literal:
    value: Any
    position: int


@dataclass(frozen=True)
class Reference:
    binding: Binding
    position: int


@dataclass(frozen=True)
class Unary:
    operator: str
    operand: Node
    position: int


@dataclass(frozen=True)
class BinaryOp:
    operator: str
    left: Node
    right: Node
    position: int


@dataclass(frozen=True)
class Concat:
    parts: tuple[Node, ...]
    position: int


Node = Literal | Reference | Unary | BinaryOp | Concat


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its source, syntax tree and the bindings it reads."""

    source: str
    root: Node
    bindings: tuple[Binding, ...]

    def evaluate(
        self,
        *,
        form: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        screens: Screens | None = None,
    ) -> Any:
        return _Evaluator(self.source, form or {}, data or {}, screens or {}).run(self.root)


def parse(source: str) -> Expression:
    """Parse an expression, with or without its enclosing backticks.

    Raises :class:`ExpressionError` with the offending position.
    """
    text, offset = source, 0
    if is_expression(source):
        offset = source.index("`") + 1
        text = source[: source.rindex("`")]
    parser = _Parser(source, _tokenize(source, text, offset), end=len(text))
    root = parser.sequence()
    parser.expect_end()
    return Expression(source=source, root=root, bindings=tuple(parser.bindings))


def evaluate(
    expression: str | Expression,
    *,
    form: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    screens: Screens | None = None,
) -> Any:
    """Evaluate an expression (or a lone binding) against form, data and other screens' values."""
    parsed = parse(expression) if isinstance(expression, str) else expression
    return parsed.evaluate(form=form, data=data, screens=screens)


def resolve(
    value: Any,
    *,
    form: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    screens: Screens | None = None,
) -> Any:
    """What a property or payload value shows at run time, recursing into lists and objects.

    A lone ``${...}`` keeps its value's type (a list stays a list), a backtick
    expression is evaluated, anything else is returned unchanged.
    """
    if is_single_binding(value):
        return parse_binding(value).lookup(form=form or {}, data=data or {}, screens=screens)
    if is_expression(value):
        return evaluate(value, form=form, data=data, screens=screens)
    if isinstance(value, Mapping):
        return {
            key: resolve(item, form=form, data=data, screens=screens) for key, item in value.items()
        }
    if isinstance(value, list):
        return [resolve(item, form=form, data=data, screens=screens) for item in value]
    return value


def to_text(value: Any) -> str:
    """How the client prints a value inside concatenated text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _tokenize(source: str, text: str, offset: int) -> list[_Token]:
    tokens: list[_Token] = []
    position = offset
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ExpressionError(
                f"unexpected character {text[position]!r}", expression=source, position=position
            )
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append(_Token(kind, match.group(0), position))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, source: str, tokens: list[_Token], *, end: int) -> None:
        self.source = source
        self.end = end  # where the expression stops: errors "at the end" point here
        self.tokens = tokens
        self.index = 0
        self.bindings: list[Binding] = []

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def error(self, message: str, token: _Token | None) -> ExpressionError:
        position = token.position if token else self.end
        return ExpressionError(message, expression=self.source, position=position)

    def expect_end(self) -> None:
        token = self.peek()
        if token is not None:
            raise self.error(f"unexpected {token.text!r}", token)

    def sequence(self) -> Node:
        parts = [self.binary(0)]
        while (token := self.peek()) is not None and token.text != ")":
            parts.append(self.binary(0))
        return parts[0] if len(parts) == 1 else Concat(tuple(parts), parts[0].position)

    def binary(self, level: int) -> Node:
        if level == len(_BINARY_LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while (token := self.peek()) is not None and token.kind == "op":
            if token.text not in _BINARY_LEVELS[level]:
                break
            self.index += 1
            left = BinaryOp(token.text, left, self.binary(level + 1), token.position)
        return left

    def unary(self) -> Node:
        token = self.peek()
        if token is not None and token.text in ("!", "-"):
            self.index += 1
            return Unary(token.text, self.unary(), token.position)
        return self.primary()

    def primary(self) -> Node:
        token = self.peek()
        if token is None:
            raise self.error("expression ends too early: expected a value", None)
        self.index += 1
        if token.kind == "number":
            number = float(token.text)
            value: Any = int(number) if "." not in token.text else number
            return Literal(value, token.position)
        if token.kind == "string":
            return Literal(_unquote(token.text), token.position)
        if token.kind == "word" and token.text in ("true", "false"):
            return Literal(token.text == "true", token.position)
        if token.kind == "binding":
            try:
                binding = parse_binding(token.text)
            except ExpressionError as error:
                raise self.error(error.message, token) from None
            self.bindings.append(binding)
            return Reference(binding, token.position)
        if token.text == "(":
            inner = self.sequence()
            closing = self.peek()
            if closing is None or closing.text != ")":
                raise self.error("missing ')'", closing)
            self.index += 1
            return inner
        raise self.error(f"expected a value, found {token.text!r}", token)


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _tidy(number: float | int) -> float | int:
    return int(number) if isinstance(number, float) and number.is_integer() else number


class _Evaluator:
    def __init__(
        self, source: str, form: Mapping[str, Any], data: Mapping[str, Any], screens: Screens
    ) -> None:
        self.source, self.form, self.data, self.screens = source, form, data, screens

    def fail(self, message: str, node: Node) -> ExpressionError:
        return ExpressionError(message, expression=self.source, position=node.position)

    def run(self, node: Node) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Reference):
            return node.binding.lookup(form=self.form, data=self.data, screens=self.screens)
        if isinstance(node, Concat):
            return "".join(to_text(self.run(part)) for part in node.parts)
        if isinstance(node, Unary):
            operand = self.run(node.operand)
            if node.operator == "!":
                return not operand
            return _tidy(-self.numeric(operand, node))
        return self.binary(node)

    def numeric(self, value: Any, node: Node) -> float | int:
        number = _number(value)
        if number is None:
            raise self.fail(f"{to_text(value)!r} is not a number", node)
        return number

    def binary(self, node: BinaryOp) -> Any:
        operator = node.operator
        left = self.run(node.left)
        if operator == "&&":
            return bool(left) and bool(self.run(node.right))
        if operator == "||":
            return bool(left) or bool(self.run(node.right))
        right = self.run(node.right)
        if operator in ("==", "!="):
            return _loosely_equal(left, right) == (operator == "==")
        if operator in ("<", "<=", ">", ">="):
            return self.compare(operator, left, right, node)
        textual = isinstance(left, str) or isinstance(right, str)
        if operator == "+" and textual and (_number(left) is None or _number(right) is None):
            return to_text(left) + to_text(right)
        a, b = self.numeric(left, node), self.numeric(right, node)
        if operator in ("/", "%") and b == 0:
            raise self.fail("division by zero", node)
        results = {"+": a + b, "-": a - b, "*": a * b}
        if operator in results:
            return _tidy(results[operator])
        return _tidy(a / b if operator == "/" else math.fmod(a, b))

    def compare(self, operator: str, left: Any, right: Any, node: BinaryOp) -> bool:
        a, b = _number(left), _number(right)
        if a is None or b is None:
            if not (isinstance(left, str) and isinstance(right, str)):
                raise self.fail(f"cannot compare {to_text(left)!r} with {to_text(right)!r}", node)
            a, b = left, right  # type: ignore[assignment]
        checks = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}  # type: ignore[operator]
        return checks[operator]


def _loosely_equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return (left in (None, "")) and (right in (None, ""))
    if isinstance(left, bool) or isinstance(right, bool):
        return left == right
    a, b = _number(left), _number(right)
    if a is not None and b is not None and not (isinstance(left, str) and isinstance(right, str)):
        return a == b
    return bool(left == right)
