"""``POST /crm/v3/objects/contacts/search``: HubSpot's filter groups, sorts, query and paging.

Filters in a group are ANDed, groups are ORed. String comparisons ignore case;
ordering operators compare numbers (and dates, as epoch milliseconds) when
both sides are numeric, else text. Limits as HubSpot's: 5 groups, 6 filters
a group, 18 in all, ``limit`` up to 200, paging up to 10,000 results.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from mocks.crm.exceptions import HubSpotApiError
from mocks.crm.hubspot._backend import DEFAULT_PROPERTIES, Contact

__all__ = ["OPERATORS", "search"]

MAX_GROUPS, MAX_GROUP_FILTERS, MAX_FILTERS, MAX_LIMIT, MAX_OFFSET = 5, 6, 18, 200, 10_000
_ALWAYS = ("createdate", "hs_object_id", "lastmodifieddate")
_QUERY_PROPERTIES = ("firstname", "lastname", "email", "phone", "mobilephone", "company")


def _bad(message: str) -> HubSpotApiError:
    return HubSpotApiError(400, "VALIDATION_ERROR", message)


def _number(value: Any) -> float | None:
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000
    except ValueError:
        return None


def _compare(have: str, want: Any) -> int:
    a, b = _number(have), _number(want)
    if a is not None and b is not None:
        return (a > b) - (a < b)
    x, y = have.lower(), str(want).lower()
    return (x > y) - (x < y)


def _contains_token(have: str, token: Any) -> bool:
    pattern = str(token).lower()
    candidates = [have.lower(), *re.split(r"[\s,;]+", have.lower())]
    if "*" in pattern:
        return any(fnmatch.fnmatchcase(c, pattern) for c in candidates)
    return pattern in candidates


def _values(flt: dict[str, Any]) -> list[str]:
    values = flt.get("values")
    if not isinstance(values, list):
        raise _bad(f"Operator {flt.get('operator')} needs a 'values' list")
    return [str(v).lower() for v in values]


def _filter(flt: Any) -> Callable[[dict[str, str]], bool]:
    if not isinstance(flt, dict) or not isinstance(flt.get("propertyName"), str):
        raise _bad(f"Each filter needs a 'propertyName' and an 'operator', got {flt!r}")
    name, op, want = flt["propertyName"], str(flt.get("operator", "EQ")).upper(), flt.get("value")
    needs_value = op not in ("HAS_PROPERTY", "NOT_HAS_PROPERTY", "IN", "NOT_IN")
    if op not in OPERATORS:
        raise _bad(f"Unknown operator {op!r}; use one of {sorted(OPERATORS)}")
    if needs_value and want is None:
        raise _bad(f"Operator {op} on {name!r} needs a 'value'")
    if op in ("IN", "NOT_IN"):
        values = _values(flt)
        return lambda p: (
            (p.get(name, "").lower() in values) == (op == "IN")
            and (op == "NOT_IN" or bool(p.get(name)))
        )
    if op == "BETWEEN" and flt.get("highValue") is None:
        raise _bad(f"Operator BETWEEN on {name!r} needs 'value' and 'highValue'")
    test = OPERATORS[op]
    return lambda p: test(p.get(name) or None, flt)


def _has(have: str | None) -> bool:
    return have is not None and have != ""


OPERATORS: dict[str, Callable[[str | None, dict[str, Any]], bool]] = {
    "EQ": lambda h, f: _has(h) and str(h).lower() == str(f["value"]).lower(),
    "NEQ": lambda h, f: not _has(h) or str(h).lower() != str(f["value"]).lower(),
    "LT": lambda h, f: _has(h) and _compare(str(h), f["value"]) < 0,
    "LTE": lambda h, f: _has(h) and _compare(str(h), f["value"]) <= 0,
    "GT": lambda h, f: _has(h) and _compare(str(h), f["value"]) > 0,
    "GTE": lambda h, f: _has(h) and _compare(str(h), f["value"]) >= 0,
    "BETWEEN": lambda h, f: (
        _has(h) and _compare(str(h), f["value"]) >= 0 and _compare(str(h), f["highValue"]) <= 0
    ),
    "IN": lambda h, f: False,  # handled with its values list in _filter
    "NOT_IN": lambda h, f: False,
    "HAS_PROPERTY": lambda h, f: _has(h),
    "NOT_HAS_PROPERTY": lambda h, f: not _has(h),
    "CONTAINS_TOKEN": lambda h, f: _has(h) and _contains_token(str(h), f["value"]),
    "NOT_CONTAINS_TOKEN": lambda h, f: not _has(h) or not _contains_token(str(h), f["value"]),
}
"""Each search operator: (the record's value or None, the filter) -> matches."""


def _groups(body: dict[str, Any]) -> list[list[Callable[[dict[str, str]], bool]]]:
    groups = body.get("filterGroups") or []
    if not isinstance(groups, list) or len(groups) > MAX_GROUPS:
        raise _bad(f"'filterGroups' must be a list of at most {MAX_GROUPS} groups")
    built, total = [], 0
    for group in groups:
        filters = group.get("filters") if isinstance(group, dict) else None
        if not isinstance(filters, list) or len(filters) > MAX_GROUP_FILTERS:
            raise _bad(f"Each filter group needs 'filters': a list of at most {MAX_GROUP_FILTERS}")
        total += len(filters)
        built.append([_filter(f) for f in filters])
    if total > MAX_FILTERS:
        raise _bad(f"A search may have at most {MAX_FILTERS} filters in all, got {total}")
    return built


def _sort_key(contact: Contact, sorts: Sequence[tuple[str, bool]]) -> tuple[Any, ...]:
    key: list[Any] = []
    for name, descending in sorts:
        value = contact.properties.get(name)
        number = _number(value) if value else None
        # Numbers before text, so one sort never compares a float with a str.
        rank = (0, number, "") if number is not None else (1, 0.0, (value or "").lower())
        missing = not value
        if descending:
            key.append((missing, _Reversed(rank)))
        else:
            key.append((missing, rank))
    return (*key, int(contact.id))


class _Reversed:
    """Wraps a sort value so it orders backwards (for DESCENDING sorts)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: _Reversed) -> bool:
        return bool(self.value > other.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and self.value == other.value

    __hash__ = None  # type: ignore[assignment]


def _sorts(body: dict[str, Any]) -> list[tuple[str, bool]]:
    sorts = []
    for item in body.get("sorts") or []:
        if isinstance(item, str):
            sorts.append((item.lstrip("-"), item.startswith("-")))
        elif isinstance(item, dict) and isinstance(item.get("propertyName"), str):
            sorts.append((item["propertyName"], str(item.get("direction")).upper() == "DESCENDING"))
        else:
            raise _bad(f"A sort is a property name or {{propertyName, direction}}, got {item!r}")
    return sorts or [("createdate", False)]


def _window(body: dict[str, Any]) -> tuple[int, int]:
    try:
        limit = int(body.get("limit", 10))
        offset = int(body.get("after", 0) or 0)
    except (TypeError, ValueError) as exc:
        raise _bad("'limit' and 'after' must be integers") from exc
    if not 0 <= limit <= MAX_LIMIT:
        raise _bad(f"'limit' must be between 0 and {MAX_LIMIT}, got {limit}")
    if not 0 <= offset <= MAX_OFFSET:
        raise _bad(f"Paging is capped at {MAX_OFFSET} results; 'after' was {offset}")
    return limit, offset


def search(contacts: list[Contact], body: Any) -> dict[str, Any]:
    """HubSpot's search answer: ``{"total", "results", "paging"?}``."""
    if not isinstance(body, dict):
        raise _bad("Invalid input JSON: the search request must be an object")
    groups, sorts = _groups(body), _sorts(body)
    limit, offset = _window(body)
    names = body.get("properties") or list(DEFAULT_PROPERTIES)
    if not isinstance(names, list):
        raise _bad("'properties' must be a list of property names")
    query = str(body.get("query") or "").strip().lower()

    def wanted(contact: Contact) -> bool:
        props = contact.properties
        if groups and not any(all(test(props) for test in group) for group in groups):
            return False
        return not query or any(query in props.get(n, "").lower() for n in _QUERY_PROPERTIES)

    found = sorted((c for c in contacts if wanted(c)), key=lambda c: _sort_key(c, sorts))
    page = found[offset : offset + limit]
    answer: dict[str, Any] = {
        "total": len(found),
        "results": [c.to_json(dict.fromkeys([*_ALWAYS, *names])) for c in page],
    }
    if offset + limit < len(found):
        answer["paging"] = {"next": {"after": str(offset + limit)}}
    return answer
