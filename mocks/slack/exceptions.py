"""Errors of the Slack mock."""

from __future__ import annotations

from typing import Any

from mocks._core.exceptions import MockError

__all__ = ["SlackWebApiError", "SlackWebhookError"]


class SlackWebhookError(MockError):
    """Slack refused an incoming-webhook call; ``code`` is the body Slack sends with ``status``."""

    def __init__(self, status: int, code: str) -> None:
        self.status = status
        self.code = code
        super().__init__(
            f"Slack would answer {status} {code}; see the error table in mocks/README.md"
        )


class SlackWebApiError(MockError):
    """Slack refused a Web API call: ``{"ok": false, "error": code}``, HTTP ``status``
    (200, as Slack answers almost every refusal), with ``messages`` in
    ``response_metadata`` and any ``extra`` top-level fields."""

    def __init__(
        self,
        code: str,
        *messages: str,
        status: int = 200,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.code = code
        self.messages = list(messages)
        self.status = status
        self.extra = dict(extra or {})
        super().__init__(
            f"Slack would answer {code!r}; see the Web API error table in mocks/README.md"
        )

    @property
    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.code, **self.extra}
        if self.messages:
            body["response_metadata"] = {"messages": self.messages}
        return body
