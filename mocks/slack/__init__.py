"""A mock of Slack: incoming webhooks and the Web API methods a notifier uses.

- Incoming webhooks: ``POST https://hooks.slack.com/services/T/B/X``.
- The Web API (``https://slack.com/api/{method}``, here ``{url}/api/{method}``):
  ``chat.postMessage``, ``chat.update``, ``auth.test``, ``conversations.list``,
  with Slack's error model (HTTP 200, ``{"ok": false, "error": ...}``) and bot
  (``xoxb-``) and user (``xoxp-``) tokens issued by the mock.

Sources, read for this mock: Slack's method reference pages (arguments, the
example answers and the error tables of chat.postMessage, chat.update,
auth.test, conversations.list), the Web API basics (GET query, form and JSON
bodies; the token in ``Authorization: Bearer`` or a form's ``token``; JSON
bodies need the header), the rate-limits page (429 + ``Retry-After``, error
``ratelimited``), the changelogs "Keeping up with the JSONs" (2017-10), "no
more tokens in query strings" (2020-11) and "truncating really long messages"
(2018-04), the Block Kit reference (50 blocks, section text 3,000 and header
text 150 characters), and slack_sdk's source (how ``WebClient`` and
``AsyncWebClient`` send each method). **Guessed**, because no source states
it: the ``invalid_arguments`` cases and their ``response_metadata`` messages,
``invalid_json``/``json_not_object`` (seen in reports, not documented), the
``errors`` texts of ``invalid_blocks`` beyond the 3,000-character one, the 404
status of ``unknown_method``, ``not_authed`` for a token only in the query
string, ``text/plain`` bodies read as a form, accepting a channel name in
``chat.update``, and the ``msg_too_long`` cap: Slack's docs say text over
40,000 characters is truncated with a warning, while reports since 2024 (a
Slack SDK maintainer's among them) show ``msg_too_long`` for much shorter
text; the mock refuses text over ``max_text_chars`` (40,000 by default).

::

    with MockHandle.in_process(create_service()) as slack:
        slack.client.post("/services/T1/B1/secret", json={"text": "New lead"})
        slack.client.post(
            "/api/chat.postMessage",
            headers={"Authorization": f"Bearer {DEFAULT_BOT_TOKEN}"},
            json={"channel": "#leads", "text": "New lead: Ada"},
        )
        assert [m.via for m in SlackAdmin(slack.admin).messages()] == ["webhook", "web_api"]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mocks._core import FaultRule, MockService, RateLimitFault, ServiceAdmin
from mocks.slack._backend import SlackBackend, SlackMessage, Via, Webhook, WebhookStatus
from mocks.slack._routes import parse_payload, slack_admin_routes, slack_routes
from mocks.slack._web_api import METHODS, WebApi
from mocks.slack._web_routes import API_PATH, read_call, slack_unmatched
from mocks.slack._workspace import (
    DEFAULT_BOT_TOKEN,
    DEFAULT_CHANNELS,
    DEFAULT_TEAM_ID,
    DEFAULT_TOKENS,
    DEFAULT_USER_TOKEN,
    MAX_TEXT_CHARS,
    ApiToken,
    Channel,
    TokenKind,
)
from mocks.slack.exceptions import SlackWebApiError, SlackWebhookError

__all__ = [
    "API_PATH",
    "DEFAULT_BOT_TOKEN",
    "DEFAULT_CHANNELS",
    "DEFAULT_TEAM_ID",
    "DEFAULT_TOKENS",
    "DEFAULT_USER_TOKEN",
    "MAX_TEXT_CHARS",
    "METHODS",
    "RATE_LIMITED",
    "WEBHOOK_PATH",
    "ApiToken",
    "Channel",
    "SlackAdmin",
    "SlackBackend",
    "SlackMessage",
    "SlackWebApiError",
    "SlackWebhookError",
    "TokenKind",
    "Via",
    "WebApi",
    "Webhook",
    "WebhookStatus",
    "create_service",
    "parse_payload",
    "read_call",
]

WEBHOOK_PATH = "/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
"""An incoming-webhook path (Slack's documented placeholder): ``url + WEBHOOK_PATH`` is a
webhook URL the mock accepts while no webhooks are configured."""

RATE_LIMITED = {"ok": False, "error": "ratelimited"}
"""The body of a rate-limited Web API call (with HTTP 429 and ``Retry-After``)."""


def create_service(
    *,
    webhooks: Iterable[Webhook] = (),
    channels: Iterable[Channel] = DEFAULT_CHANNELS,
    tokens: Iterable[ApiToken] = DEFAULT_TOKENS,
    max_text_chars: int = MAX_TEXT_CHARS,
    seed: int | None = None,
) -> MockService[SlackBackend]:
    """The Slack mock; with ``webhooks`` only those URLs are accepted (see ``SlackBackend``);
    ``channels`` and ``tokens`` are the Web API's workspace (defaults: ``#general``,
    ``#random``, ``#leads``; ``DEFAULT_BOT_TOKEN``, ``DEFAULT_USER_TOKEN``)."""
    backend = SlackBackend(
        webhooks=webhooks,
        channels=channels,
        tokens=tokens,
        max_text_chars=max_text_chars,
        seed=seed,
    )
    return MockService(
        "slack", backend, slack_routes, admin_routes=slack_admin_routes, unmatched=slack_unmatched
    )


class SlackAdmin(ServiceAdmin):
    """Typed access to the Slack mock's own admin routes, over any :class:`AdminClient`."""

    def messages(
        self,
        *,
        team: str | None = None,
        bot: str | None = None,
        channel: str | None = None,
        via: Via | None = None,
    ) -> list[SlackMessage]:
        """What reached Slack, oldest first, by webhook or Web API (``via``); ``channel`` is
        an id, ``#name`` or ``name``."""
        return self._list(
            SlackMessage, "messages", "messages", team=team, bot=bot, channel=channel, via=via
        )

    def webhooks(self) -> list[Webhook]:
        payload = self.admin.get("webhooks")
        return [Webhook.model_validate(_drop_path(item)) for item in payload["webhooks"]]

    def add_webhook(
        self,
        *,
        team: str | None = None,
        bot: str | None = None,
        secret: str | None = None,
        channel: str = "#general",
        status: WebhookStatus = "active",
    ) -> Webhook:
        spec = {"team": team, "bot": bot, "secret": secret, "channel": channel, "status": status}
        payload = self.admin.post("webhooks", {k: v for k, v in spec.items() if v is not None})
        return Webhook.model_validate(_drop_path(payload))

    def channels(self) -> list[Channel]:
        return self._list(Channel, "channels", "channels")

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
        """Add a channel (or change the one of that name); the id comes from the seeded RNG
        unless given."""
        spec: dict[str, Any] = {
            "name": name,
            "is_private": is_private,
            "is_archived": is_archived,
            "is_member": is_member,
            "topic": topic,
            "purpose": purpose,
        }
        if id is not None:
            spec["id"] = id
        return Channel.model_validate(self.admin.post("channels", spec))

    def tokens(self) -> list[ApiToken]:
        return self._list(ApiToken, "tokens", "tokens")

    def add_token(self, kind: TokenKind = "bot", *, user: str | None = None) -> ApiToken:
        """Issue another ``xoxb-`` (bot) or ``xoxp-`` (user) token of the workspace."""
        spec: dict[str, Any] = {"kind": kind}
        if user is not None:
            spec["user"] = user
        return ApiToken.model_validate(self.admin.post("tokens", spec))

    def set_max_text_chars(self, limit: int) -> None:
        """Refuse ``text`` longer than ``limit`` with ``msg_too_long`` until the next reset."""
        self.admin.post("limits", {"max_text_chars": limit})

    def throttle(
        self, method: str | None = None, *, retry_after: int = 1, times: int | None = None
    ) -> FaultRule:
        """Answer Web API calls (to ``method``, or any) as Slack's rate limiter does: 429,
        ``Retry-After``, ``{"ok": false, "error": "ratelimited"}``; for the next ``times``."""
        return self.admin.add_fault(
            RateLimitFault(retry_after=retry_after, status=429, body=RATE_LIMITED),
            path=API_PATH + (method or "*"),
            times=times,
        )


def _drop_path(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "path"}
