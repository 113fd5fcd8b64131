"""Slack's Web API methods a notifier uses, as rules over the backend's state (no HTTP).

``WebApi(backend).call(method, token, args)`` answers what Slack would: a dict
with ``"ok": true``, or :class:`SlackWebApiError` carrying Slack's error code.
``args`` are the call's arguments however they arrived (query string, form,
JSON), the token already taken out of them. What each method checks, in order,
is listed in mocks/README.md ("Slack Web API").
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from mocks.slack._backend import SlackBackend, SlackMessage
from mocks.slack._content import Content, read_content
from mocks.slack._workspace import TEAM_NAME, TEAM_URL, ApiToken, Channel
from mocks.slack.exceptions import SlackWebApiError

__all__ = ["METHODS", "WebApi", "api_channel", "api_message"]

METHODS = ("auth.test", "chat.postMessage", "chat.update", "conversations.list")
"""The Web API methods the mock serves, under ``/api/``."""

_CONVERSATION_TYPES = {"public_channel", "private_channel", "mpim", "im"}
_MAX_LIMIT = 1000
_DEFAULT_LIMIT = 100
_TRUE = {"1", "true", "yes"}


class WebApi:
    """The methods of :data:`METHODS` over one backend."""

    def __init__(self, backend: SlackBackend) -> None:
        self.backend = backend
        self._methods: dict[str, Callable[[ApiToken, dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self.auth_test,
            "chat.postMessage": self.post_message,
            "chat.update": self.update_message,
            "conversations.list": self.conversations_list,
        }

    def call(self, method: str, token: str | None, args: dict[str, Any]) -> dict[str, Any]:
        """Run ``method`` for the caller ``token`` names, or raise Slack's refusal."""
        return self._methods[method](self.authenticate(token), args)

    def authenticate(self, token: str | None) -> ApiToken:
        if not token:
            raise SlackWebApiError("not_authed")
        caller = self.backend.token_for(token)
        if caller is None:
            raise SlackWebApiError("invalid_auth")
        return caller

    def auth_test(self, caller: ApiToken, args: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "ok": True,
            "url": TEAM_URL,
            "team": TEAM_NAME,
            "user": caller.user,
            "team_id": caller.team_id,
            "user_id": caller.user_id,
        }
        if caller.bot_id is not None:
            answer["bot_id"] = caller.bot_id
        answer["is_enterprise_install"] = False
        return answer

    def post_message(self, caller: ApiToken, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        if channel.is_archived:
            raise SlackWebApiError("is_archived")
        if not channel.is_member:
            raise SlackWebApiError("not_in_channel")
        content = self._content(args)
        if not content.present():
            raise SlackWebApiError("no_text")
        message = self.backend.post(
            caller,
            channel,
            content,
            thread_ts=_timestamp(args, "thread_ts"),
            payload=dict(args),
        )
        return {
            "ok": True,
            "channel": channel.id,
            "ts": message.ts,
            "message": api_message(message, caller),
        }

    def update_message(self, caller: ApiToken, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(args)
        ts = _timestamp(args, "ts")
        if ts is None:
            raise SlackWebApiError("invalid_arguments", "[ERROR] missing required field: ts")
        message = self.backend.message_at(channel.id, ts)
        if message is None:
            raise SlackWebApiError("message_not_found")
        if message.user != caller.user_id:
            raise SlackWebApiError("cant_update_message")
        if channel.is_archived:
            raise SlackWebApiError("is_inactive")
        content = self._content(args)
        if not content.present():
            raise SlackWebApiError("no_text")
        edited = self.backend.edit(message, content)
        return {
            "ok": True,
            "channel": channel.id,
            "ts": edited.ts,
            "text": edited.text or "",
            "message": api_message(edited, caller),
        }

    def conversations_list(self, caller: ApiToken, args: dict[str, Any]) -> dict[str, Any]:
        types = _types(args.get("types"))
        limit = _limit(args.get("limit"))
        exclude_archived = str(args.get("exclude_archived", "")).lower() in _TRUE
        with self.backend.lock:
            channels = [
                channel
                for channel in self.backend.channels.values()
                if ("private_channel" if channel.is_private else "public_channel") in types
                and not (exclude_archived and channel.is_archived)
                and (channel.is_member or not channel.is_private)
            ]
            members = len(self.backend.tokens)
        start = _cursor_start(args.get("cursor"), channels)
        page = channels[start : start + limit]
        rest = channels[start + limit :]
        return {
            "ok": True,
            "channels": [api_channel(channel, members) for channel in page],
            "response_metadata": {"next_cursor": _cursor(rest[0]) if rest else ""},
        }

    def _channel(self, args: dict[str, Any]) -> Channel:
        ref = args.get("channel")
        if ref is None:
            raise SlackWebApiError("invalid_arguments", "[ERROR] missing required field: channel")
        if not isinstance(ref, str):
            raise SlackWebApiError(
                "invalid_arguments", "[ERROR] must be a string [json-pointer:/channel]"
            )
        channel = self.backend.channel_for(ref)
        if channel is None:
            raise SlackWebApiError("channel_not_found")
        return channel

    def _content(self, args: dict[str, Any]) -> Content:
        markdown = args.get("markdown_text")
        if markdown:
            if args.get("text") or args.get("blocks"):
                raise SlackWebApiError("markdown_text_conflict")
            args = {**args, "text": markdown}
        return read_content(args, max_text_chars=self.backend.max_text_chars)


def api_message(message: SlackMessage, caller: ApiToken) -> dict[str, Any]:
    """A message as the Web API shows it (``message`` of ``chat.postMessage``)."""
    shown: dict[str, Any] = {"type": "message", "text": message.text or ""}
    if message.user is not None:
        shown["user"] = message.user
    if message.bot is not None:
        shown["bot_id"] = message.bot
        if caller.app_id is not None:
            shown["app_id"] = caller.app_id
    shown["team"] = message.team
    shown["ts"] = message.ts
    if message.thread_ts is not None:
        shown["thread_ts"] = message.thread_ts
    if message.blocks:
        shown["blocks"] = message.blocks
    if message.attachments:
        shown["attachments"] = message.attachments
    if message.edited_at is not None:
        shown["edited"] = {"user": caller.user_id, "ts": f"{message.edited_at.timestamp():.6f}"}
    return shown


def api_channel(channel: Channel, members: int) -> dict[str, Any]:
    """A channel as ``conversations.list`` shows it (the fields of Slack's example)."""
    return {
        "id": channel.id,
        "name": channel.name,
        "is_channel": True,
        "is_group": False,
        "is_im": False,
        "is_mpim": False,
        "is_private": channel.is_private,
        "created": channel.created,
        "creator": "",
        "is_archived": channel.is_archived,
        "is_general": channel.name == "general",
        "unlinked": 0,
        "name_normalized": channel.name,
        "is_shared": False,
        "is_ext_shared": False,
        "is_org_shared": False,
        "pending_shared": [],
        "is_pending_ext_shared": False,
        "is_member": channel.is_member,
        "topic": {"value": channel.topic, "creator": "", "last_set": 0},
        "purpose": {"value": channel.purpose, "creator": "", "last_set": 0},
        "previous_names": [],
        "num_members": members if channel.is_member else 0,
    }


def _timestamp(args: dict[str, Any], name: str) -> str | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise SlackWebApiError(
            "invalid_arguments", f"[ERROR] must be a string [json-pointer:/{name}]"
        )
    return value if isinstance(value, str) else f"{value:.6f}"


def _types(value: Any) -> set[str]:
    if value is None or value == "":
        return {"public_channel"}
    wanted = {part.strip() for part in str(value).split(",") if part.strip()}
    if not wanted or not wanted <= _CONVERSATION_TYPES:
        raise SlackWebApiError("invalid_types")
    return wanted


def _limit(value: Any) -> int:
    if value is None or value == "":
        return _DEFAULT_LIMIT
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise SlackWebApiError("invalid_limit") from None
    if not 1 <= limit <= _MAX_LIMIT:
        raise SlackWebApiError("invalid_limit")
    return limit


def _cursor(channel: Channel) -> str:
    # Opaque to clients; shaped like Slack's (base64 of "team:<next id>").
    return base64.b64encode(f"team:{channel.id}".encode()).decode()


def _cursor_start(value: Any, channels: list[Channel]) -> int:
    if value is None or value == "":
        return 0
    try:
        decoded = base64.b64decode(str(value), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise SlackWebApiError("invalid_cursor") from None
    channel_id = decoded.removeprefix("team:")
    for index, channel in enumerate(channels):
        if channel.id == channel_id:
            return index
    raise SlackWebApiError("invalid_cursor")
