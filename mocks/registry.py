"""Every mock the project ships: name -> factory, default port, credentials to show.

Factories and credentials are import strings (``"module:attribute"``), resolved
only when used, so a mock whose package is missing is simply not available
and importing this module loads none of them::

    spec = get_spec("cloud_api")
    service = spec.create_service(seed=7)
    spec.credentials()  # {"access_token": "mock-cloud-api-token"}
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from mocks._core.exceptions import MockError

__all__ = ["MOCKS", "MockSpec", "UnknownMockError", "available_mocks", "get_spec"]


class UnknownMockError(MockError, LookupError):
    """No mock has that name, or its package is not installed."""


@dataclass(frozen=True)
class MockSpec:
    """How to build and serve one mock.

    ``credentials`` maps a label to the ``"module:ATTRIBUTE"`` holding the
    value a user needs (a token, a client id); ``smtp_port`` is set for mocks
    that also serve SMTP; ``routes`` says where to point an app.
    """

    name: str
    factory: str
    default_port: int
    routes: str
    credentials: Mapping[str, str] = field(default_factory=dict)
    smtp_port: int | None = None

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
                routes="POST /services/{team}/{bot}/{secret} (any URL until webhooks are added)",
            ),
            MockSpec(
                "teams",
                "mocks.teams:create_service",
                8102,
                routes="POST /webhookb2/{group}@{tenant}/IncomingWebhook/{id}/{owner}; "
                "POST /workflows/{id}/triggers/manual/paths/invoke?sig=...",
            ),
            MockSpec(
                "cloud_api",
                "mocks.cloud_api:create_service",
                8103,
                routes="POST /{version}/{phone_number_id}/messages (any phone number id)",
                credentials={"access_token": "mocks.cloud_api:DEFAULT_TOKEN"},
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
                    "client_id": "mocks.crm.salesforce:SF_CLIENT_ID",
                    "client_secret": "mocks.crm.salesforce:SF_CLIENT_SECRET",
                    "username": "mocks.crm.salesforce:SF_USERNAME",
                    "password": "mocks.crm.salesforce:SF_PASSWORD",
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
