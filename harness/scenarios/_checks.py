"""Checks on the world around the endpoint: CRM contacts, notifications, alerts, streams.

A check names one collection, optionally narrowed by a subset (``contacts:
{phone: "+33..."}``), then says what must hold: ``count`` (a number or
``{min, max}``), ``some`` (one item matches), ``every``, ``none``. With none of
these, at least one item must be there.
"""

from __future__ import annotations

import json
from typing import Any

from harness.scenarios._environment import Environment
from harness.scenarios._matchers import mismatches

__all__ = ["STREAMS", "CheckOutcome", "collect", "evaluate_check"]

STREAMS = ("dead_letter", "parked", "completions", "attachments")


class CheckOutcome:
    def __init__(self, failures: list[str], matched: dict[str, Any] | None, size: int, what: str):
        self.failures = failures
        self.matched = matched
        """The first item meeting ``some`` (or the first item): what ``capture`` reads."""
        self.size = size
        self.what = what


async def collect(env: Environment, check: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The collection a check names, narrowed by its selector."""
    if "requests" in check:
        args = dict(check["requests"])
        mock = args.pop("mock")
        return f"{mock} requests {_short(args)}", await env.requests(mock, **args)
    if "notifications" in check:
        channel = check["notifications"]["channel"]
        return f"{channel} notifications", await env.notifications(channel)
    if "sql" in check:
        table, where = check["sql"]["table"], check["sql"].get("where") or {}
        label = f"{table} rows" + (f" where {_short(where)}" if where else "")
        return label, await env.sql_rows(table, where)
    kind = next(k for k in ("contacts", "alerts", *STREAMS) if k in check)
    where = check[kind] or {}
    if kind == "contacts":
        items = await env.contacts()
    elif kind == "alerts":
        items = await env.alerts()
    else:
        items = await env.stream(kind)
    label = kind.replace("_", " ") + (f" where {_short(where)}" if where else "")
    return label, [item for item in items if not mismatches(where, item)]


async def evaluate_check(env: Environment, check: dict[str, Any]) -> CheckOutcome:
    what, items = await collect(env, check)
    failures: list[str] = []
    count = check.get("count")
    if count is None and not any(k in check for k in ("some", "every", "none")):
        count = {"min": 1}
    if count is not None:
        low, high = (
            (count, count)
            if isinstance(count, int)
            else (
                count.get("min", 0),
                count.get("max", len(items)),
            )
        )
        if not low <= len(items) <= high:
            want = str(low) if low == high else f"between {low} and {high}"
            failures.append(f"{what}: expected {want}, found {len(items)}{_listing(items)}")
    matched = items[0] if items else None
    if "some" in check:
        hits = [item for item in items if not mismatches(check["some"], item)]
        if hits:
            matched = hits[0]
        else:
            closest = min((mismatches(check["some"], item) for item in items), key=len, default=[])
            reason = f"; closest: {'; '.join(closest[:3])}" if closest else ""
            failures.append(f"{what}: none of {len(items)} matches {_short(check['some'])}{reason}")
    if "every" in check:
        if not items:
            failures.append(f"{what}: expected every item to match, but there are none")
        for index, item in enumerate(items):
            problems = mismatches(check["every"], item)
            if problems:
                failures.append(f"{what}[{index}]: {'; '.join(problems[:3])}")
    if "none" in check:
        for index, item in enumerate(items):
            if not mismatches(check["none"], item):
                failures.append(f"{what}[{index}] should not match {_short(check['none'])}")
    return CheckOutcome(failures, matched, len(items), what)


def _short(value: Any, limit: int = 100) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _listing(items: list[dict[str, Any]]) -> str:
    if not items:
        return ""
    shown = [_short(_summary(item), 160) for item in items[:3]]
    more = f" (+{len(items) - 3} more)" if len(items) > 3 else ""
    return ": " + ", ".join(shown) + more


def _summary(item: dict[str, Any]) -> dict[str, Any]:
    keep = ("id", "phone", "email", "firstname", "lastname", "text", "reason", "method", "path")
    small = {k: item[k] for k in keep if k in item}
    return small or item
