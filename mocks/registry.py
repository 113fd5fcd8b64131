"""Every mock the project ships: name -> factory, default port, credentials to show.

Factories and credentials are import strings (``"module:attribute"``), resolved
only when used, so a mock whose package is missing is simply not available
and importing this module loads none of them::

    spec = get_spec("cloud_api")
    service = spec.create_service(seed=7)
    spec.credentials_values()  # {"access_token": "mock-cloud-api-token", ...}
    with spec.start(tls=LoopbackTLS.create()) as handle:  # served on a free loopback port
        ...

To add a mock: one ``MockSpec`` line in ``MOCKS``; ``flowharness mocks up``, the
pytest fixture ``mock_services`` (and ``mock_<name>`` if the plugin declares it)
pick it up.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from mocks._core.exceptions import MockError

if TYPE_CHECKING:
    from mocks._core import LoopbackTLS, MockMode

__all__ = ["MOCKS", "MockSpec", "UnknownMockError", "available_mocks", "get_spec"]


class UnknownMockError(MockError, LookupError):
    """No mock has that name, or its package is not installed."""


@dataclass(frozen=True)
class MockSpec:
    """How to build and serve one mock.

    ``credentials`` maps a label to the ``"module:ATTRIBUTE"`` holding the
    value a user needs (a token, a client id); ``smtp_port`` is set for mocks
    that also serve SMTP; ``routes`` says where to point an app; ``default_tls``
    marks services whose clients insist on HTTPS (simple-salesforce): the
    fixtures serve them with TLS unless told otherwise.
    """

    name: str
    factory: str
    default_port: int
    routes: str
    credentials: Mapping[str, str] = field(default_factory=dict)
    smtp_port: int | None = None
    default_tls: bool = False

    @property
    def module(self) -> str:
        return self.factory.partition(":")[0]

    def available(self) -> bool:
        try:
            return importlib.util.find_spec(self.module) is not None
        except ModuleNotFoundError:  # a parent package is missing
            return False

    def create_service(self, **options: Any) -> Any:
        """Build the mock's ``MockService`` (options go to its ``create_service``)."""
        if not self.available():
            raise UnknownMockError(f"the {self.name} mock is not installed ({self.module})")
        module_name, _, attribute = self.factory.partition(":")
        return getattr(importlib.import_module(module_name), attribute)(**options)

    def start(
        self,
        *,
        mode: MockMode = "server",
        tls: LoopbackTLS | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        smtp_port: int = 0,
        **options: Any,
    ) -> Any:
        """Build the mock and start it: a :class:`~mocks._core.MockHandle` (``mode``
        ``"server"`` on ``host:port``, HTTPS with ``tls``; or ``"asgi"``), or for the
        email mock a started :class:`~mocks.email.MailServer` (SMTP on ``smtp_port``).
        Close it (or use ``with``) to stop it."""
        service = self.create_service(**options)
        if self.smtp_port is not None:
            from mocks.email import MailServer

            return MailServer(service, host=host, smtp_port=smtp_port, admin_port=port).start()
        from mocks._core import MockHandle

        if mode == "asgi":
            return MockHandle(service, mode="asgi")
        return MockHandle(service, mode="server", tls=tls, host=host, port=port)

    def credentials_values(self) -> dict[str, str]:
        """The credentials that resolve; a missing attribute is left out."""
        values: dict[str, str] = {}
        for label, target in self.credentials.items():
            module_name, _, attribute = target.partition(":")
            try:
                value = getattr(importlib.import_module(module_name), attribute)
            except (ImportError, AttributeError):
                continue
            values[label] = str(value)
        return values


MOCKS: Mapping[str, MockSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            MockSpec(
                "slack",
                "mocks.slack:create_service",
                8101,
                routes="POST /services/{team}/{bot}/{secret} (any URL until webhooks are added); "
                "Web API: POST /api/chat.postMessage, chat.update, auth.test, conversations.list "
                "(Bearer bot or user token)",
                credentials={
                    "webhook_path": "mocks.slack:WEBHOOK_PATH",
                    # slack_sdk's WebClient(base_url=url + api_path, token=bot_token)
                    "api_path": "mocks.slack:API_PATH",
                    "bot_token": "mocks.slack:DEFAULT_BOT_TOKEN",
                    "user_token": "mocks.slack:DEFAULT_USER_TOKEN",
                },
            ),
            MockSpec(
                "teams",
                "mocks.teams:create_service",
                8102,
                routes="POST /webhookb2/{group}@{tenant}/IncomingWebhook/{id}/{owner}; "
                "POST /workflows/{id}/triggers/manual/paths/invoke?sig=...",
                credentials={"webhook_path": "mocks.teams:WEBHOOK_PATH"},
            ),
            MockSpec(
                "cloud_api",
                "mocks.cloud_api:create_service",
                8103,
                routes="POST /{version}/{phone_number_id}/messages (any phone number id)",
                credentials={
                    "access_token": "mocks.cloud_api:DEFAULT_TOKEN",
                    "phone_number_id": "mocks.cloud_api:DEFAULT_PHONE_NUMBER_ID",
                },
            ),
            MockSpec(
                "email",
                "mocks.email:create_service",
                8104,
                routes="SMTP on smtp_port (no AUTH, no TLS); admin API over HTTP",
                smtp_port=8025,
            ),
            MockSpec(
                "hubspot",
                "mocks.crm.hubspot:create_service",
                8105,
                routes="POST /crm/v3/objects/contacts, /files/v3/files, /crm/v3/objects/notes "
                "(Bearer token)",
                credentials={
                    "access_token": "mocks.crm.hubspot:HUBSPOT_TOKEN",
                    "oauth_access_token": "mocks.crm.hubspot:HUBSPOT_OAUTH_TOKEN",
                    "client_id": "mocks.crm.hubspot:HUBSPOT_CLIENT_ID",
                    "client_secret": "mocks.crm.hubspot:HUBSPOT_CLIENT_SECRET",
                    "refresh_token": "mocks.crm.hubspot:HUBSPOT_REFRESH_TOKEN",
                    # record links name the portal: point the app's portal id setting here
                    "portal_id": "mocks.crm.hubspot:DEFAULT_PORTAL_ID",
                },
            ),
            MockSpec(
                "salesforce",
                "mocks.crm.salesforce:create_service",
                8106,
                routes="POST /services/oauth2/token, then /services/data/{version}/sobjects/Lead "
                "and .../sobjects/ContentVersion",
                credentials={
                    # a session the mock always accepts (until expired): simple-salesforce's
                    # session_id, with instance_url the mock's URL
                    "access_token": "mocks.crm.salesforce:SF_ACCESS_TOKEN",
                    "client_id": "mocks.crm.salesforce:SF_CLIENT_ID",
                    "client_secret": "mocks.crm.salesforce:SF_CLIENT_SECRET",
                    "username": "mocks.crm.salesforce:SF_USERNAME",
                    "password": "mocks.crm.salesforce:SF_PASSWORD",
                },
                default_tls=True,
            ),
            MockSpec(
                "wasender",
                "mocks.wasender:create_service",
                8107,
                routes="POST /api/send-message (Bearer session API key); "
                "GET /api/messages/{msgId}/info; GET /api/status",
                credentials={
                    # the SDKs' base URL is the mock's URL + api_path
                    "api_key": "mocks.wasender:DEFAULT_API_KEY",
                    "api_path": "mocks.wasender:API_PATH",
                    "session_phone_number": "mocks.wasender:DEFAULT_PHONE_NUMBER",
                },
            ),
        )
    }
)
"""Every known mock, in the order ``flowharness mocks up`` starts them."""


def get_spec(name: str) -> MockSpec:
    try:
        return MOCKS[name]
    except KeyError:
        raise UnknownMockError(
            f"no mock called {name!r}; known mocks: {', '.join(MOCKS)}"
        ) from None


def available_mocks() -> list[MockSpec]:
    """The mocks whose packages are installed, in registry order."""
    return [spec for spec in MOCKS.values() if spec.available()]
