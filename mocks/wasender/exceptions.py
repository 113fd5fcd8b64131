"""Errors of the WASenderApi mock."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mocks._core.exceptions import MockError

__all__ = ["WasenderApiError"]


class WasenderApiError(MockError):
    """WASenderApi would refuse the call: ``status`` with ``body`` (and ``headers``).

    ``body`` is the JSON object WASenderApi sends, e.g. ``{"success": false,
    "message": "Validation failed", "errors": {"to": ["The to field is required."]}}``.
    """

    def __init__(
        self, status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> None:
        self.status = status
        self.body = dict(body)
        self.headers = dict(headers or {})
        super().__init__(
            f"WASenderApi would answer {status}: {self.body.get('message')}; "
            "see the WASenderApi section of mocks/README.md"
        )

    @classmethod
    def refusal(cls, status: int, message: str, **extra: Any) -> WasenderApiError:
        """The common ``{"success": false, "message": ...}`` shape."""
        return cls(status, {"success": False, "message": message, **extra})
