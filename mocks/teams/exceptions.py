"""Errors of the Microsoft Teams mock."""

from __future__ import annotations

from typing import Any

from mocks._core.exceptions import MockError

__all__ = ["TeamsWebhookError"]


class TeamsWebhookError(MockError):
    """Teams refused a webhook call: ``status`` with ``body`` (text, or JSON when a dict)."""

    def __init__(self, status: int, body: str | dict[str, Any]) -> None:
        self.status = status
        self.body = body
        super().__init__(
            f"Teams would answer {status}: {body!r}; see the Teams section of mocks/README.md"
        )
