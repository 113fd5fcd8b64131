"""The stub endpoint's errors."""

from __future__ import annotations


class StubError(Exception):
    """The stub cannot serve this flow; the message says what to fix."""
