"""Slack incoming-webhook state and rules, no HTTP: configured webhooks and received messages.

With no webhook configured every ``/services/{team}/{bot}/{secret}`` URL is
accepted ("open" mode). Once webhooks are configured, a URL must name one:

- unknown team/bot pair: 404 ``no_service`` (disabled, removed or invalid hook)
- known pair, wrong secret: 403 ``invalid_token``
- webhook ``status="archived"``: 410 ``channel_is_archived``
- webhook ``status="prohibited"``: 403 ``action_prohibited``
- a payload with no ``text`` and no ``blocks`` or ``attachments``: 400 ``no_text``
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from mocks._core import MockBackend
from mocks.slack.exceptions import SlackWebhookError

__all__ = ["SlackBackend", "SlackMessage", "Webhook", "WebhookStatus"]

WebhookStatus = Literal["active", "archived", "prohibited"]

_ID_CHARS = string.ascii_uppercase + string.digits


class Webhook(BaseModel):
    """One incoming webhook: its URL is ``/services/{team}/{bot}/{secret}``."""

    team: str = Field(..., min_length=1, pattern=r"^[A-Za-z0-9]+$")
    bot: str = Field(..., min_length=1, pattern=r"^[A-Za-z0-9]+$")
    secret: str = Field(..., min_length=1, pattern=r"^[A-Za-z0-9]+$")
    channel: str = "#general"
    status: WebhookStatus = "active"

    @property
    def path(self) -> str:
        return f"/services/{self.team}/{self.bot}/{self.secret}"


class SlackMessage(BaseModel):
    """A message Slack accepted, as the channel would show it."""

    id: int
    team: str
    bot: str
    channel: str | None
    text: str | None
    blocks: list[Any] | None = None
    attachments: list[Any] | None = None
    payload: dict[str, Any]
    received_at: datetime


class SlackBackend(MockBackend):
    """Webhooks configured at construction come back on every :meth:`reset`."""

    def __init__(self, *, webhooks: Iterable[Webhook] = (), seed: int | None = None) -> None:
        super().__init__(seed=seed)
        self._configured = tuple(webhooks)
        self.webhooks: dict[tuple[str, str], Webhook] = {}
        self.messages: list[SlackMessage] = []
        self._load_configured()

    def _load_configured(self) -> None:
        self.webhooks = {(hook.team, hook.bot): hook for hook in self._configured}

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.messages.clear()
            self._load_configured()

    def add_webhook(
        self,
        *,
        team: str | None = None,
        bot: str | None = None,
        secret: str | None = None,
        channel: str = "#general",
        status: WebhookStatus = "active",
    ) -> Webhook:
        """Configure a webhook; missing ids come from the seeded RNG (``T...``/``B...``)."""
        with self.lock:
            hook = Webhook(
                team=team or "T" + self.ids.token(10, alphabet=_ID_CHARS),
                bot=bot or "B" + self.ids.token(10, alphabet=_ID_CHARS),
                secret=secret or self.ids.token(24),
                channel=channel,
                status=status,
            )
            self.webhooks[(hook.team, hook.bot)] = hook
            return hook

    def authorize(self, team: str, bot: str, secret: str) -> Webhook | None:
        """The webhook a URL names (``None`` in open mode); raises if Slack would refuse it."""
        with self.lock:
            if not self.webhooks:
                return None
            hook = self.webhooks.get((team, bot))
        if hook is None:
            raise SlackWebhookError(404, "no_service")
        if hook.secret != secret:
            raise SlackWebhookError(403, "invalid_token")
        if hook.status == "archived":
            raise SlackWebhookError(410, "channel_is_archived")
        if hook.status == "prohibited":
            raise SlackWebhookError(403, "action_prohibited")
        return hook

    def receive(
        self, team: str, bot: str, webhook: Webhook | None, payload: dict[str, Any]
    ) -> SlackMessage:
        """Store a message posted to an authorized webhook, or raise ``no_text``."""
        text = payload.get("text")
        blocks = payload.get("blocks")
        attachments = payload.get("attachments")
        if not text and not _non_empty_list(blocks) and not _non_empty_list(attachments):
            raise SlackWebhookError(400, "no_text")
        with self.lock:
            message = SlackMessage(
                id=len(self.messages) + 1,
                team=team,
                bot=bot,
                channel=webhook.channel if webhook is not None else payload.get("channel"),
                text=str(text) if text else None,
                blocks=blocks if isinstance(blocks, list) else None,
                attachments=attachments if isinstance(attachments, list) else None,
                payload=payload,
                received_at=datetime.now(UTC),
            )
            self.messages.append(message)
            return message

    def messages_for(self, team: str | None = None, bot: str | None = None) -> list[SlackMessage]:
        with self.lock:
            return [
                m
                for m in self.messages
                if (team is None or m.team == team) and (bot is None or m.bot == bot)
            ]

    def state(self) -> dict[str, Any]:
        return {
            "webhooks": [hook.model_dump(mode="json") for hook in self.webhooks.values()],
            "messages": [m.model_dump(mode="json") for m in self.messages],
        }


def _non_empty_list(value: Any) -> bool:
    return isinstance(value, list) and len(value) > 0
