"""Subset matching with matchers: what ``expect.data`` and checks compare with.

``expected`` is a subset of ``actual``: mappings may have extra keys, lists match
element by element, scalars compare equal. A mapping whose keys are all matcher
names is a matcher instead: ``{regex: "^A"}``, ``{contains: "x"}``,
``{icontains: "x"}``, ``{any: true}`` (present, any value), ``{absent: true}``,
``{len: 2}`` (or ``{len: {min: 1}}``), ``{one_of: [...]}``, ``{not: <expected>}``,
``{gt|gte|lt|lte: n}``, ``{startswith: "x"}``, ``{type: string}``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["MATCHERS", "is_matcher", "mismatches"]

_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "number": (int, float),
    "integer": int,
    "boolean": bool,
    "object": dict,
    "array": list,
    "null": type(None),
}
_MISSING = object()


def _regex(pattern: Any, actual: Any) -> str | None:
    if not isinstance(actual, str) or re.search(str(pattern), actual) is None:
        return f"expected text matching /{pattern}/, got {_show(actual)}"
    return None


def _contains(part: Any, actual: Any) -> str | None:
    if isinstance(actual, str) and isinstance(part, str) and part in actual:
        return None
    if isinstance(actual, list) and any(not mismatches(part, item) for item in actual):
        return None
    if isinstance(actual, dict) and not mismatches(part, actual):
        return None
    return f"expected something containing {_show(part)}, got {_show(actual)}"


def _icontains(part: Any, actual: Any) -> str | None:
    if isinstance(actual, str) and str(part).casefold() in actual.casefold():
        return None
    return f"expected text containing {_show(part)} (any case), got {_show(actual)}"


def _any(flag: Any, actual: Any) -> str | None:
    if flag and actual is _MISSING:
        return "expected a value, the field is missing"
    return None


def _absent(flag: Any, actual: Any) -> str | None:
    if flag and actual is not _MISSING:
        return f"expected no such field, got {_show(actual)}"
    return None


def _len(expected: Any, actual: Any) -> str | None:
    if not hasattr(actual, "__len__"):
        return f"expected something with a length, got {_show(actual)}"
    size = len(actual)
    if isinstance(expected, Mapping):
        low, high = expected.get("min", 0), expected.get("max", size)
        if low <= size <= high:
            return None
        return f"expected a length in [{low}, {high}], got {size}"
    return None if size == expected else f"expected length {expected}, got {size}"


def _one_of(options: Any, actual: Any) -> str | None:
    if any(not mismatches(option, actual) for option in options):
        return None
    return f"expected one of {_show(options)}, got {_show(actual)}"


def _not(expected: Any, actual: Any) -> str | None:
    if mismatches(expected, actual):
        return None
    return f"expected anything but {_show(expected)}, got {_show(actual)}"


def _compare(name: str, test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], str | None]:
    def check(bound: Any, actual: Any) -> str | None:
        ok = (
            isinstance(actual, int | float) and not isinstance(actual, bool) and test(actual, bound)
        )
        return None if ok else f"expected a number {name} {bound}, got {_show(actual)}"

    return check


def _startswith(prefix: Any, actual: Any) -> str | None:
    if isinstance(actual, str) and actual.startswith(str(prefix)):
        return None
    return f"expected text starting with {_show(prefix)}, got {_show(actual)}"


def _type(name: Any, actual: Any) -> str | None:
    kind = _TYPES.get(str(name))
    if kind is None:
        return f"unknown type {name!r}: use one of {', '.join(_TYPES)}"
    if isinstance(actual, kind) and not (name in ("number", "integer") and actual is True):
        return None
    return f"expected a {name}, got {_show(actual)}"


MATCHERS: dict[str, Callable[[Any, Any], str | None]] = {
    "regex": _regex,
    "contains": _contains,
    "icontains": _icontains,
    "any": _any,
    "absent": _absent,
    "len": _len,
    "one_of": _one_of,
    "not": _not,
    "gt": _compare(">", lambda a, b: a > b),
    "gte": _compare(">=", lambda a, b: a >= b),
    "lt": _compare("<", lambda a, b: a < b),
    "lte": _compare("<=", lambda a, b: a <= b),
    "startswith": _startswith,
    "type": _type,
}


def is_matcher(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value) and all(k in MATCHERS for k in value)


def mismatches(expected: Any, actual: Any, at: str = "") -> list[str]:
    """Every way ``actual`` fails ``expected``, each as ``"path: reason"``; empty if it matches."""
    where = at or "(top)"
    if is_matcher(expected):
        problems = []
        for name, argument in expected.items():
            if actual is _MISSING and name not in ("any", "absent"):
                problems.append(f"{where}: missing (expected {name} {_show(argument)})")
                continue
            problem = MATCHERS[name](argument, actual)
            if problem:
                problems.append(f"{where}: {problem}")
        return problems
    if actual is _MISSING:
        return [f"{where}: missing, expected {_show(expected)}"]
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            return [f"{where}: expected an object, got {_show(actual)}"]
        problems = []
        for key, value in expected.items():
            problems += mismatches(value, actual.get(key, _MISSING), f"{at}.{key}" if at else key)
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {_show(actual)}"]
        if len(expected) != len(actual):
            return [f"{where}: expected {len(expected)} items, got {len(actual)}: {_show(actual)}"]
        problems = []
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            problems += mismatches(want, got, f"{at}[{index}]")
        return problems
    if (expected == actual and type(expected) is type(actual)) or _same_number(expected, actual):
        return []
    return [f"{where}: expected {_show(expected)}, got {_show(actual)}"]


def _same_number(a: Any, b: Any) -> bool:
    numbers = (int, float)
    return (
        isinstance(a, numbers)
        and isinstance(b, numbers)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
        and a == b
    )


def _show(value: Any, limit: int = 120) -> str:
    if value is _MISSING:
        return "(missing)"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
