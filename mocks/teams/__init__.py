"""A mock of Microsoft Teams incoming webhooks and Workflows (Power Automate) triggers.

``create_service()`` builds it on the mock core; ``TeamsAdmin`` reads what was
posted to the channel through the admin API, in-process or over a server::

    with MockHandle.in_process(create_service()) as teams:
        teams.client.post("/webhookb2/g@t/IncomingWebhook/c/o", json={"text": "New lead"})
        assert TeamsAdmin(teams.admin).messages()[0].text == "New lead"
"""

from __future__ import annotations

from mocks._core import MockService, ServiceAdmin
from mocks.teams._backend import Connector, TeamsBackend, TeamsMessage
from mocks.teams._cards import ADAPTIVE_CARD, BAD_PAYLOAD, CardKind, parse_card
from mocks.teams._routes import MAX_MESSAGE_BYTES, teams_admin_routes, teams_routes
from mocks.teams.exceptions import TeamsWebhookError

__all__ = [
    "ADAPTIVE_CARD",
    "BAD_PAYLOAD",
    "MAX_MESSAGE_BYTES",
    "WEBHOOK_PATH",
    "CardKind",
    "Connector",
    "TeamsAdmin",
    "TeamsBackend",
    "TeamsMessage",
    "TeamsWebhookError",
    "create_service",
    "parse_card",
]

WEBHOOK_PATH = (
    "/webhookb2/00000000-0000-4000-8000-000000000000@00000000-0000-4000-8000-000000000001"
    "/IncomingWebhook/0123456789abcdef0123456789abcdef/00000000-0000-4000-8000-000000000002"
)
"""An incoming-webhook path: ``url + WEBHOOK_PATH`` is a webhook URL the mock accepts."""


def create_service(*, seed: int | None = None) -> MockService[TeamsBackend]:
    """The Teams mock: every webhook and workflow URL is accepted (see ``mocks/README.md``)."""
    return MockService(
        "teams",
        TeamsBackend(seed=seed),
        teams_routes,
        admin_routes=teams_admin_routes,
        base_url="http://webhook.office.mock",
    )


class TeamsAdmin(ServiceAdmin):
    """Typed access to the Teams mock's own admin routes, over any :class:`AdminClient`."""

    def messages(
        self, *, connector: Connector | None = None, webhook: str | None = None
    ) -> list[TeamsMessage]:
        return self._list(
            TeamsMessage, "messages", "messages", connector=connector, webhook=webhook
        )
