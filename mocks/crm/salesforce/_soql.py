"""A documented subset of SOQL, parsed and run over records, no HTTP.

Supported::

    SELECT field, field ... | COUNT()
    FROM Lead | ContentVersion
    [WHERE condition]
    [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], ...]
    [LIMIT n] [OFFSET n]

A condition is comparisons (``=``, ``!=``, ``<>``, ``<``, ``<=``, ``>``,
``>=``, ``LIKE`` with ``%`` and ``_``, ``IN (...)``, ``NOT IN (...)``) joined by
``AND``/``OR`` (mixing them needs parentheses, as in SOQL), ``NOT`` and
parentheses. Values: ``'quoted'`` strings (``\\'`` escapes), numbers,
``TRUE``/``FALSE``, ``NULL``, dates and datetimes. Text compares ignore case,
as Salesforce's do. Anything else (sub-queries, relationship fields, functions,
GROUP BY, date literals like ``TODAY``) is a :class:`SoqlError` with Salesforce's
``MALFORMED_QUERY`` code; an unknown object or field gets ``INVALID_TYPE`` or
``INVALID_FIELD``, as Salesforce answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

__all__ = ["Query", "SoqlError", "Table", "parse"]

_TOKEN = re.compile(
    r"""
    \s*(?:
      (?P<string>'(?:[^'\\]|\\.)*')
    | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
    | (?P<date>\d{4}-\d{2}-\d{2})
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<op><=|>=|!=|<>|=|<|>)
    | (?P<punct>[(),])
    | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    | (?P<other>\S)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {
    "SELECT", "FROM", "WHERE", "ORDER", "BY", "LIMIT", "OFFSET", "AND", "OR", "NOT", "IN",
    "LIKE", "ASC", "DESC", "NULLS", "FIRST", "LAST", "NULL", "TRUE", "FALSE", "COUNT",
}  # fmt: skip


class SoqlError(Exception):
    """A query Salesforce would refuse: ``code`` is its ``errorCode``."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    column: int

    @property
    def upper(self) -> str:
        return self.text.upper()


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            break
        kind = match.lastgroup or "other"
        tokens.append(_Token(kind, match.group(kind), match.start(kind) + 1))
        position = match.end()
    return tokens


Record = Mapping[str, Any]
Predicate = Callable[[Record], bool]
FieldResolver = Callable[[str], str]
"""Maps a field name as written to its API name, or raises ``INVALID_FIELD``."""


@dataclass(frozen=True)
class Table:
    """A queryable object: its API name and how its field names resolve."""

    name: str
    resolve: FieldResolver


@dataclass
class Query:
    """A parsed query: run it with :meth:`run` over records keyed by API field names."""

    object: str
    fields: list[str]
    count_only: bool = False
    where: Predicate | None = None
    order: list[tuple[str, bool, bool]] = field(default_factory=list)
    limit: int | None = None
    offset: int = 0

    def run(self, records: Sequence[Record]) -> list[Record]:
        found = [r for r in records if self.where is None or self.where(r)]
        for name, descending, nulls_last in reversed(self.order):
            present = [r for r in found if _value(r, name) is not None]
            missing = [r for r in found if _value(r, name) is None]

            def key(record: Record, name: str = name) -> tuple[int, Any]:
                return _sort_key(_value(record, name))

            present.sort(key=key, reverse=descending)
            found = present + missing if nulls_last else missing + present
        found = found[self.offset :]
        return found if self.limit is None else found[: self.limit]


def _value(record: Record, name: str) -> Any:
    value = record.get(name)
    return None if value == "" else value


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int | float):
        return (0, value)
    return (1, str(value).lower())


class _Parser:
    def __init__(self, text: str, objects: Mapping[str, Table]) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.position = 0
        self.objects = objects
        self.resolve: FieldResolver = lambda name: name

    # -- token helpers -------------------------------------------------------------------
    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def malformed(self, token: _Token | None, detail: str | None = None) -> SoqlError:
        column = token.column if token is not None else len(self.text.rstrip()) + 1
        found = f"unexpected token: '{token.text}'" if token is not None else "unexpected end"
        caret = " " * (column - 1) + "^"
        return SoqlError(
            "MALFORMED_QUERY",
            f"\n{self.text}\n{caret}\nERROR at Row:1:Column:{column}\n{detail or found}",
        )

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise self.malformed(None)
        self.position += 1
        return token

    def keyword(self, *words: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "word" and token.upper in words:
            self.position += 1
            return True
        return False

    def expect(self, word: str) -> None:
        token = self.peek()
        if not self.keyword(word):
            raise self.malformed(token)

    def punct(self, char: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "punct" and token.text == char:
            self.position += 1
            return True
        return False

    def field_name(self) -> str:
        token = self.take()
        if token.kind != "word" or token.upper in _KEYWORDS:
            raise self.malformed(token)
        if "." in token.text:
            raise self.malformed(token, "relationship fields are not supported by the mock")
        if self.punct("("):
            raise self.malformed(token, f"function {token.text}() is not supported by the mock")
        return self.resolve(token.text)

    # -- grammar -------------------------------------------------------------------------
    def query(self) -> Query:
        self.expect("SELECT")
        fields, count_only = self.select_list()
        self.expect("FROM")
        target = self.take()
        table = self.objects.get(target.text.lower()) if target.kind == "word" else None
        if table is None:
            if target.kind != "word" or target.upper in _KEYWORDS:
                raise self.malformed(target)
            raise SoqlError(
                "INVALID_TYPE",
                f"\n{self.text}\nERROR at Row:1:Column:{target.column}\nsObject type "
                f"'{target.text}' is not supported. If you are attempting to use a custom "
                "object, be sure to append the '__c' after the entity name.",
            )
        self.resolve = table.resolve
        query = Query(table.name, [table.resolve(f) for f in fields], count_only=count_only)
        if self.keyword("WHERE"):
            query.where = self.condition()
        if self.keyword("ORDER"):
            self.expect("BY")
            query.order = self.order_list()
        if self.keyword("LIMIT"):
            query.limit = self.integer()
        if self.keyword("OFFSET"):
            query.offset = self.integer()
        token = self.peek()
        if token is not None:
            raise self.malformed(token)
        return query

    def select_list(self) -> tuple[list[str], bool]:
        if self.keyword("COUNT"):
            if not (self.punct("(") and self.punct(")")):
                raise self.malformed(self.peek(), "only COUNT() is supported by the mock")
            return [], True
        names: list[str] = []
        while True:
            token = self.take()
            if token.kind != "word" or token.upper in _KEYWORDS:
                raise self.malformed(token)
            if self.punct("("):
                raise self.malformed(token, "sub-queries and functions are not supported")
            if "." in token.text:
                raise self.malformed(token, "relationship fields are not supported by the mock")
            names.append(token.text)  # resolved once FROM names the object
            if not self.punct(","):
                return names, False

    def integer(self) -> int:
        token = self.take()
        if token.kind != "number" or not token.text.isdigit():
            raise self.malformed(token)
        return int(token.text)

    def order_list(self) -> list[tuple[str, bool, bool]]:
        order = []
        while True:
            name = self.field_name()
            descending = self.keyword("DESC")
            if not descending:
                self.keyword("ASC")
            nulls_last = descending  # Salesforce: NULLS FIRST ascending, LAST descending
            if self.keyword("NULLS"):
                token = self.take()
                if token.upper not in ("FIRST", "LAST"):
                    raise self.malformed(token)
                nulls_last = token.upper == "LAST"
            order.append((name, descending, nulls_last))
            if not self.punct(","):
                return order

    def condition(self) -> Predicate:
        first = self.factor()
        token = self.peek()
        if token is None or token.kind != "word" or token.upper not in ("AND", "OR"):
            return first
        joiner = token.upper
        parts = [first]
        while self.keyword(joiner):
            parts.append(self.factor())
        other = self.peek()
        if other is not None and other.kind == "word" and other.upper in ("AND", "OR"):
            raise self.malformed(other)  # SOQL needs parentheses to mix AND and OR
        if joiner == "AND":
            return lambda r: all(p(r) for p in parts)
        return lambda r: any(p(r) for p in parts)

    def factor(self) -> Predicate:
        if self.keyword("NOT"):
            inner = self.factor()
            return lambda r: not inner(r)
        if self.punct("("):
            inner = self.condition()
            if not self.punct(")"):
                raise self.malformed(self.peek())
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        name = self.field_name()
        if self.keyword("LIKE"):
            pattern = self.value()
            if not isinstance(pattern, str):
                raise self.malformed(self.tokens[self.position - 1])
            regex = _like(pattern)
            return lambda r: _value(r, name) is not None and bool(regex.match(str(r[name])))
        negate = self.keyword("NOT")
        if self.keyword("IN"):
            values = self.value_list()
            return lambda r: any(_equal(_value(r, name), v) for v in values) != negate
        if negate:
            raise self.malformed(self.peek())
        token = self.take()
        if token.kind != "op":
            raise self.malformed(token)
        want = self.value()
        test = _OPERATORS[token.text]
        return lambda r: test(_value(r, name), want)

    def value_list(self) -> list[Any]:
        if not self.punct("("):
            raise self.malformed(self.peek())
        values = [self.value()]
        while self.punct(","):
            values.append(self.value())
        if not self.punct(")"):
            raise self.malformed(self.peek())
        return values

    def value(self) -> Any:
        token = self.take()
        if token.kind == "string":
            return re.sub(r"\\(.)", r"\1", token.text[1:-1])
        if token.kind == "number":
            return float(token.text) if "." in token.text else int(token.text)
        if token.kind == "date":
            return date.fromisoformat(token.text)
        if token.kind == "datetime":
            return datetime.fromisoformat(token.text.replace("Z", "+00:00"))
        if token.kind == "word" and token.upper in ("TRUE", "FALSE"):
            return token.upper == "TRUE"
        if token.kind == "word" and token.upper == "NULL":
            return None
        raise self.malformed(token)


def _like(pattern: str) -> re.Pattern[str]:
    parts = [".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern]
    return re.compile("^" + "".join(parts) + "$", re.IGNORECASE | re.DOTALL)


def _comparable(have: Any, want: Any) -> tuple[Any, Any] | None:
    """Both sides as one comparable type, or None when they cannot be compared."""
    if isinstance(want, bool) or isinstance(have, bool):
        return (str(have).lower(), str(want).lower())
    if isinstance(want, int | float):
        try:
            return (float(have), float(want))
        except (TypeError, ValueError):
            return None
    if isinstance(want, datetime | date):
        try:
            parsed = datetime.fromisoformat(str(have).replace("+0000", "+00:00"))
        except ValueError:
            return None
        if isinstance(want, datetime):
            return (parsed, want)
        return (parsed.date(), want)
    return (str(have).lower(), str(want).lower())


def _equal(have: Any, want: Any) -> bool:
    if want is None or have is None:
        return have is None and want is None
    pair = _comparable(have, want)
    return pair is not None and pair[0] == pair[1]


def _ordered(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def compare(have: Any, want: Any) -> bool:
        if have is None or want is None:
            return False
        pair = _comparable(have, want)
        return pair is not None and test(pair[0], pair[1])

    return compare


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": _equal,
    "!=": lambda h, w: not _equal(h, w),
    "<>": lambda h, w: not _equal(h, w),
    "<": _ordered(lambda a, b: a < b),
    "<=": _ordered(lambda a, b: a <= b),
    ">": _ordered(lambda a, b: a > b),
    ">=": _ordered(lambda a, b: a >= b),
}


def parse(text: str, objects: Mapping[str, Table]) -> Query:
    """Parse ``text``; ``objects`` maps each queryable object's lower-case name to it."""
    if not text.strip():
        raise SoqlError("MALFORMED_QUERY", "empty query: give q=SELECT ... FROM ...")
    return _Parser(text.strip(), objects).query()
