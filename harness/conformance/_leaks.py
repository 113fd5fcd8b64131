"""Spotting stack traces and exception dumps in an endpoint's answer body."""

from __future__ import annotations

import re

# Each pattern is a tell-tale of a runtime's stack trace or of an exception dump.
_TRACE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a Python traceback", re.compile(r"Traceback \(most recent call last\)")),
    ("a Python stack frame", re.compile(r'File "[^"\n]+", line \d+')),
    ("an exception name", re.compile(r"\b\w*Exception\b")),
    ("a Go panic", re.compile(r"\bpanic: |goroutine \d+ \[")),
    ("a Node.js stack frame", re.compile(r"^\s+at .+:\d+:\d+\)?$", re.MULTILINE)),
    ("a Java/.NET stack frame", re.compile(r"^\s+at [\w.$<>]+\(.*\)", re.MULTILINE)),
)
_SCAN_LIMIT = 200_000  # a trace shows near the start; no need to scan megabytes


def leaked_trace(body: bytes | None) -> str | None:
    """What kind of stack trace or exception dump ``body`` shows, or None."""
    if not body:
        return None
    text = body[:_SCAN_LIMIT].decode("utf-8", errors="replace")
    for what, pattern in _TRACE_PATTERNS:
        if pattern.search(text):
            return what
    return None


def excerpt(body: bytes | None, limit: int = 160) -> str:
    """The start of a body, printable, for reports."""
    if not body:
        return "(empty)"
    text = body[:limit].decode("utf-8", errors="replace")
    text = " ".join(text.split())
    return repr(text + ("..." if len(body) > limit else ""))
