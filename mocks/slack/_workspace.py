"""The Slack workspace the Web API side of the mock serves: its API tokens and channels.

Pure data: the backend keeps these and the Web API methods read them. The
defaults are one workspace (``T00000000``, the team of ``WEBHOOK_PATH``), one
bot token, one user token and three public channels the bot is in.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

__all__ = [
    "CHANNEL_ID",
    "DEFAULT_BOT_TOKEN",
    "DEFAULT_CHANNELS",
    "DEFAULT_TEAM_ID",
    "DEFAULT_TOKENS",
    "DEFAULT_USER_TOKEN",
    "MAX_TEXT_CHARS",
    "TEAM_NAME",
    "TEAM_URL",
    "ApiToken",
    "Channel",
    "ChannelName",
    "TokenKind",
]

TokenKind = Literal["bot", "user"]

DEFAULT_TEAM_ID = "T00000000"
TEAM_NAME = "Mock Workspace"
TEAM_URL = "https://mock-workspace.slack.com/"
"""What ``auth.test`` answers as the workspace's name and web address."""

DEFAULT_BOT_TOKEN = "xoxb-100000000000-100000000001-MockSlackBotToken0000000"
DEFAULT_USER_TOKEN = "xoxp-100000000000-100000000002-100000000003-mockslackusertoken00000000000000"

MAX_TEXT_CHARS = 40_000
"""Default cap on a message's ``text`` before ``msg_too_long`` (see the package docs)."""

_CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
_SLACK_ID = r"^[A-Z0-9]+$"


class ApiToken(BaseModel):
    """A Web API token the mock accepts and whom it stands for (``auth.test``)."""

    token: str = Field(..., pattern=r"^xox[bp]-[A-Za-z0-9-]+$")
    kind: TokenKind
    team_id: str = Field(default=DEFAULT_TEAM_ID, pattern=_SLACK_ID)
    user_id: str = Field(..., pattern=_SLACK_ID)
    user: str = Field(..., min_length=1, description="the user's (or bot user's) name")
    bot_id: str | None = Field(default=None, pattern=_SLACK_ID, description="bot tokens only")
    app_id: str | None = Field(default=None, pattern=_SLACK_ID, description="bot tokens only")

    @model_validator(mode="after")
    def _prefix_matches_kind(self) -> ApiToken:
        expected = "xoxb-" if self.kind == "bot" else "xoxp-"
        if not self.token.startswith(expected):
            raise ValueError(f"a {self.kind} token starts with {expected!r}")
        return self


def _channel_name(name: str) -> str:
    if not _CHANNEL_NAME.match(name):
        raise ValueError("a channel name is 1-80 lower-case letters, digits, '-' or '_' (no '#')")
    return name


ChannelName = Annotated[str, AfterValidator(_channel_name)]
"""Slack's channel-name rules: lower case, no spaces or periods, at most 80 characters."""

CHANNEL_ID = r"^[CG][A-Z0-9]{2,}$"


class Channel(BaseModel):
    """A conversation ``chat.postMessage`` can post to and ``conversations.list`` lists."""

    id: str = Field(..., pattern=CHANNEL_ID)
    name: ChannelName
    is_private: bool = False
    is_archived: bool = False
    is_member: bool = Field(
        default=True, description="the mock's tokens are in it (else not_in_channel)"
    )
    topic: str = ""
    purpose: str = ""
    created: int = Field(default=1449252889, description="Unix seconds")


DEFAULT_TOKENS = (
    ApiToken(
        token=DEFAULT_BOT_TOKEN,
        kind="bot",
        user_id="U00000001",
        user="flowharness",
        bot_id="B00000001",
        app_id="A00000001",
    ),
    ApiToken(token=DEFAULT_USER_TOKEN, kind="user", user_id="U00000002", user="ada"),
)

DEFAULT_CHANNELS = (
    Channel(id="C00000001", name="general", purpose="Company-wide announcements"),
    Channel(id="C00000002", name="random", purpose="Non-work banter"),
    Channel(id="C00000003", name="leads", purpose="New leads from the WhatsApp Flow"),
)
