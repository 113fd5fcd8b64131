"""Slack's state and rules, no HTTP: webhooks, the workspace (tokens, channels), messages.

Incoming webhooks: with no webhook configured every
``/services/{team}/{bot}/{secret}`` URL is accepted ("open" mode). Once
webhooks are configured, a URL must name one:

- unknown team/bot pair: 404 ``no_service`` (disabled, removed or invalid hook)
- known pair, wrong secret: 403 ``invalid_token``
- webhook ``status="archived"``: 410 ``channel_is_archived``
- webhook ``status="prohibited"``: 403 ``action_prohibited``
- a payload with no ``text`` and no ``blocks`` or ``attachments``: 400 ``no_text``

The Web API (``mocks.slack._web_api``) posts into the same message list, so
one listing shows what reached Slack either way (``via``).
"""

from __future__ import annotations

import string
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from mocks._core import MockBackend
from mocks.slack._content import Content, has_content
from mocks.slack._workspace import (
    DEFAULT_CHANNELS,
    DEFAULT_TOKENS,
    MAX_TEXT_CHARS,
    ApiToken,
    Channel,
    TokenKind,
)
from mocks.slack.exceptions import SlackWebhookError

__all__ = ["SlackBackend", "SlackMessage", "Via", "Webhook", "WebhookStatus"]

WebhookStatus = Literal["active", "archived", "prohibited"]
Via = Literal["webhook", "web_api"]

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
    """A message Slack accepted, as the channel would show it, whichever way it came.

    ``via`` says how: ``webhook`` (``team``/``bot`` from the URL, ``channel`` the
    webhook's or the payload's) or ``web_api`` (``team``, ``bot`` and ``user``
    from the token; ``bot`` is ``None`` for a user token; ``channel`` is
    ``#name``). ``channel_id`` is set when the channel is one the workspace
    knows. ``payload`` is the call's body (Web API: its arguments, token left
    out); ``edited_at`` is set by ``chat.update``.
    """

    id: int
    via: Via = "webhook"
    team: str
    bot: str | None
    user: str | None = None
    channel: str | None
    channel_id: str | None = None
    ts: str
    thread_ts: str | None = None
    text: str | None
    blocks: list[Any] | None = None
    attachments: list[Any] | None = None
    payload: dict[str, Any]
    received_at: datetime
    edited_at: datetime | None = None


class SlackBackend(MockBackend):
    """Webhooks, channels, tokens and limits given at construction come back on every
    :meth:`reset`; messages and anything added later are forgotten."""

    def __init__(
        self,
        *,
        webhooks: Iterable[Webhook] = (),
        channels: Iterable[Channel] = DEFAULT_CHANNELS,
        tokens: Iterable[ApiToken] = DEFAULT_TOKENS,
        max_text_chars: int = MAX_TEXT_CHARS,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed=seed)
        self._configured = (tuple(webhooks), tuple(channels), tuple(tokens), max_text_chars)
        self.webhooks: dict[tuple[str, str], Webhook] = {}
        self.channels: dict[str, Channel] = {}
        self.tokens: dict[str, ApiToken] = {}
        self.max_text_chars = max_text_chars
        self.messages: list[SlackMessage] = []
        self._last_ts = 0
        self._load_configured()

    def _load_configured(self) -> None:
        webhooks, channels, tokens, self.max_text_chars = self._configured
        self.webhooks = {(hook.team, hook.bot): hook for hook in webhooks}
        self.channels = {channel.id: channel for channel in channels}
        self.tokens = {token.token: token for token in tokens}

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.messages.clear()
            self._last_ts = 0
            self._load_configured()

    # Incoming webhooks -----------------------------------------------------------
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
        if not has_content(text, blocks, attachments):
            raise SlackWebhookError(400, "no_text")
        channel = webhook.channel if webhook is not None else payload.get("channel")
        with self.lock:
            known = self.channel_for(channel) if isinstance(channel, str) else None
            return self._store(
                via="webhook",
                team=team,
                bot=bot,
                channel=channel if isinstance(channel, str) else None,
                channel_id=known.id if known is not None else None,
                text=str(text) if text else None,
                blocks=blocks if isinstance(blocks, list) else None,
                attachments=attachments if isinstance(attachments, list) else None,
                payload=payload,
            )

    # The workspace ---------------------------------------------------------------
    def add_channel(
        self,
        name: str,
        *,
        id: str | None = None,
        is_private: bool = False,
        is_archived: bool = False,
        is_member: bool = True,
        topic: str = "",
        purpose: str = "",
    ) -> Channel:
        """Add (or replace, by id or name) a channel; a missing id comes from the seeded RNG
        (``C...``, ``G...`` for a private one)."""
        with self.lock:
            same_name = self.channel_for(name)
            prefix = "G" if is_private else "C"
            channel = Channel(
                id=id
                or (same_name.id if same_name else prefix + self.ids.token(10, alphabet=_ID_CHARS)),
                name=name,
                is_private=is_private,
                is_archived=is_archived,
                is_member=is_member,
                topic=topic,
                purpose=purpose,
                created=int(time.time()),
            )
            if same_name is not None:
                del self.channels[same_name.id]
            self.channels[channel.id] = channel
            return channel

    def add_token(self, kind: TokenKind, *, user: str | None = None) -> ApiToken:
        """Issue a token of the workspace (``xoxb-`` bot, ``xoxp-`` user), ids and secret
        from the seeded RNG."""
        with self.lock:
            digits = string.digits
            user_id = "U" + self.ids.token(10, alphabet=_ID_CHARS)
            numbers = f"{self.ids.token(12, alphabet=digits)}-{self.ids.token(13, alphabet=digits)}"
            if kind == "bot":
                token = ApiToken(
                    token=f"xoxb-{numbers}-{self.ids.token(24)}",
                    kind="bot",
                    user_id=user_id,
                    user=user or "bot",
                    bot_id="B" + self.ids.token(10, alphabet=_ID_CHARS),
                    app_id="A" + self.ids.token(10, alphabet=_ID_CHARS),
                )
            else:
                team_part = self.ids.token(13, alphabet=digits)
                token = ApiToken(
                    token=f"xoxp-{numbers}-{team_part}-{self.ids.hex(32)}",
                    kind="user",
                    user_id=user_id,
                    user=user or "user",
                )
            self.tokens[token.token] = token
            return token

    def token_for(self, token: str) -> ApiToken | None:
        with self.lock:
            return self.tokens.get(token)

    def channel_for(self, ref: str) -> Channel | None:
        """The channel an id (``C0123``) or a name (``#leads``, ``leads``) names."""
        with self.lock:
            if ref in self.channels:
                return self.channels[ref]
            name = ref.removeprefix("#").lower()
            return next((c for c in self.channels.values() if c.name == name), None)

    # Messages --------------------------------------------------------------------
    def post(
        self,
        token: ApiToken,
        channel: Channel,
        content: Content,
        *,
        thread_ts: str | None,
        payload: dict[str, Any],
    ) -> SlackMessage:
        """Store a message the Web API accepted (its checks done by the caller)."""
        with self.lock:
            return self._store(
                via="web_api",
                team=token.team_id,
                bot=token.bot_id,
                user=token.user_id,
                channel="#" + channel.name,
                channel_id=channel.id,
                thread_ts=thread_ts,
                text=content.text or None,
                blocks=content.blocks or None,
                attachments=content.attachments or None,
                payload=payload,
            )

    def message_at(self, channel_id: str, ts: str) -> SlackMessage | None:
        with self.lock:
            found = (m for m in self.messages if m.channel_id == channel_id and m.ts == ts)
            return next(found, None)

    def edit(self, message: SlackMessage, content: Content) -> SlackMessage:
        """Replace what ``content`` gives (an empty list removes blocks or attachments);
        what it leaves out stays, as ``chat.update`` does."""
        changes: dict[str, Any] = {"edited_at": datetime.now(UTC)}
        if content.text is not None:
            changes["text"] = content.text or None
        if content.blocks is not None:
            changes["blocks"] = content.blocks or None
        if content.attachments is not None:
            changes["attachments"] = content.attachments or None
        with self.lock:
            # by id: a concurrent update may have replaced the object the caller holds
            index = next(i for i, m in enumerate(self.messages) if m.id == message.id)
            edited = self.messages[index].model_copy(update=changes)
            self.messages[index] = edited
            return edited

    def _store(self, **fields: Any) -> SlackMessage:
        message = SlackMessage(
            id=len(self.messages) + 1,
            ts=self._next_ts(),
            received_at=datetime.now(UTC),
            **fields,
        )
        self.messages.append(message)
        return message

    def _next_ts(self) -> str:
        # Slack's message ids: Unix time with microseconds, unique and rising in a channel.
        micros = max(time.time_ns() // 1000, self._last_ts + 1)
        self._last_ts = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def messages_for(
        self,
        team: str | None = None,
        bot: str | None = None,
        *,
        channel: str | None = None,
        via: Via | None = None,
    ) -> list[SlackMessage]:
        """Messages by team, bot, ``via`` and ``channel`` (an id, ``#name`` or ``name``)."""
        with self.lock:
            return [
                m
                for m in self.messages
                if (team is None or m.team == team)
                and (bot is None or m.bot == bot)
                and (via is None or m.via == via)
                and (channel is None or _in_channel(m, channel))
            ]

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "webhooks": [hook.model_dump(mode="json") for hook in self.webhooks.values()],
                "channels": [c.model_dump(mode="json") for c in self.channels.values()],
                "tokens": [t.model_dump(mode="json") for t in self.tokens.values()],
                "max_text_chars": self.max_text_chars,
                "messages": [m.model_dump(mode="json") for m in self.messages],
            }


def _in_channel(message: SlackMessage, channel: str) -> bool:
    if channel == message.channel_id:
        return True
    wanted = channel.removeprefix("#").lower()
    return message.channel is not None and message.channel.removeprefix("#").lower() == wanted
