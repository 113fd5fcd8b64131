"""Errors of the Slack mock."""

from __future__ import annotations

from mocks._core.exceptions import MockError

__all__ = ["SlackWebhookError"]


class SlackWebhookError(MockError):
    """Slack refused an incoming-webhook call; ``code`` is the body Slack sends with ``status``."""

    def __init__(self, status: int, code: str) -> None:
        self.status = status
        self.code = code
        super().__init__(
            f"Slack would answer {status} {code}; see the error table in mocks/README.md"
        )
