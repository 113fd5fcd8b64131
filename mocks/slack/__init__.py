"""A mock of Slack incoming webhooks (``POST https://hooks.slack.com/services/T/B/X``).

``create_service()`` builds it on the mock core; ``SlackAdmin`` reads what
Slack "posted" through the admin API, in-process or over a server::

    with MockHandle.in_process(create_service()) as slack:
        slack.client.post("/services/T1/B1/secret", json={"text": "New lead"})
        assert SlackAdmin(slack.admin).messages()[0].text == "New lead"
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mocks._core import MockService, ServiceAdmin
from mocks.slack._backend import SlackBackend, SlackMessage, Webhook, WebhookStatus
from mocks.slack._routes import parse_payload, slack_admin_routes, slack_routes
from mocks.slack.exceptions import SlackWebhookError

__all__ = [
    "WEBHOOK_PATH",
    "SlackAdmin",
    "SlackBackend",
    "SlackMessage",
    "SlackWebhookError",
    "Webhook",
    "WebhookStatus",
    "create_service",
    "parse_payload",
]

WEBHOOK_PATH = "/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
"""An incoming-webhook path (Slack's documented placeholder): ``url + WEBHOOK_PATH`` is a
webhook URL the mock accepts while no webhooks are configured."""


def create_service(
    *, webhooks: Iterable[Webhook] = (), seed: int | None = None
) -> MockService[SlackBackend]:
    """The Slack mock; with ``webhooks`` only those URLs are accepted (see ``SlackBackend``)."""
    return MockService(
        "slack",
        SlackBackend(webhooks=webhooks, seed=seed),
        slack_routes,
        admin_routes=slack_admin_routes,
    )


class SlackAdmin(ServiceAdmin):
    """Typed access to the Slack mock's own admin routes, over any :class:`AdminClient`."""

    def messages(self, *, team: str | None = None, bot: str | None = None) -> list[SlackMessage]:
        return self._list(SlackMessage, "messages", "messages", team=team, bot=bot)

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


def _drop_path(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "path"}
