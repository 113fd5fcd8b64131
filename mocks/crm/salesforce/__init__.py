"""A mock of Salesforce's OAuth token endpoint and REST API for the Lead sObject.

``create_service()`` builds it on the mock core; ``SalesforceAdmin`` reads its
leads and expires its sessions through the admin API, in either mode::

    with MockHandle.in_process(create_service()) as sf:
        token = sf.client.post("/services/oauth2/token", data={
            "grant_type": "client_credentials",
            "client_id": SF_CLIENT_ID, "client_secret": SF_CLIENT_SECRET}).json()
        sf.client.post("/services/data/v60.0/sobjects/Lead", json={"LastName": "Lovelace",
            "Company": "Analytical"}, headers={"Authorization": f"Bearer {token['access_token']}"})
        assert SalesforceAdmin(sf.admin).leads()[0].fields["LastName"] == "Lovelace"
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mocks._core import MockService
from mocks.crm._common import CrmAdmin
from mocks.crm._rules import SALESFORCE_RULES, ValidationRules
from mocks.crm.salesforce._auth import (
    ORG_ID,
    SF_ACCESS_TOKEN,
    SF_CLIENT_ID,
    SF_CLIENT_SECRET,
    SF_PASSWORD,
    SF_USERNAME,
    USER_ID,
    Sessions,
)
from mocks.crm.salesforce._backend import QUERY_BATCH_SIZE, Lead, SalesforceBackend
from mocks.crm.salesforce._routes import (
    CONTENT_VERSIONS,
    LEADS,
    salesforce_admin_routes,
    salesforce_not_found,
    salesforce_rate_limit,
    salesforce_routes,
)

__all__ = [
    "CONTENT_VERSIONS",
    "LEADS",
    "ORG_ID",
    "QUERY_BATCH_SIZE",
    "SF_ACCESS_TOKEN",
    "SF_CLIENT_ID",
    "SF_CLIENT_SECRET",
    "SF_PASSWORD",
    "SF_USERNAME",
    "USER_ID",
    "Lead",
    "SalesforceAdmin",
    "SalesforceBackend",
    "SalesforceContentVersion",
    "SalesforceLead",
    "Sessions",
    "create_service",
]


def create_service(
    *,
    clients: Mapping[str, str] | None = None,
    users: Mapping[str, str] | None = None,
    session_seconds: float | None = 7200.0,
    instance_url: str | None = None,
    external_id_fields: Iterable[str] = ("WhatsApp_Phone__c",),
    access_tokens: Iterable[str] = (SF_ACCESS_TOKEN,),
    query_batch_size: int = QUERY_BATCH_SIZE,
    rules: ValidationRules = SALESFORCE_RULES,
    seed: int | None = None,
) -> MockService[SalesforceBackend]:
    """The Salesforce mock.

    ``clients`` maps connected-app client ids to secrets (default
    ``SF_CLIENT_ID``/``SF_CLIENT_SECRET``), ``users`` usernames to passwords for
    the password grant (default ``SF_USERNAME``/``SF_PASSWORD``). Sessions last
    ``session_seconds`` (``None``: forever). ``instance_url`` defaults to the
    URL the token request came in on. ``external_id_fields`` may key upserts.
    ``access_tokens`` are sessions live from the start and after every reset
    (``SF_ACCESS_TOKEN``: simple-salesforce's ``session_id``). SOQL answers hold
    ``query_batch_size`` records, then a ``nextRecordsUrl``.
    """
    backend = SalesforceBackend(
        clients=clients,
        users=users,
        session_seconds=session_seconds,
        instance_url=instance_url,
        external_id_fields=external_id_fields,
        access_tokens=access_tokens,
        query_batch_size=query_batch_size,
        rules=rules,
        seed=seed,
    )
    return MockService(
        "salesforce",
        backend,
        salesforce_routes,
        admin_routes=salesforce_admin_routes,
        rate_limit_response=salesforce_rate_limit,
        unmatched=salesforce_not_found,
    )


class SalesforceLead(BaseModel):
    """A lead as the admin API shows it: its fields (system ones included) and record URL."""

    id: str
    url: str
    fields: dict[str, Any]

    @property
    def deleted(self) -> bool:
        return bool(self.fields.get("IsDeleted"))


class SalesforceContentVersion(BaseModel):
    """A file stored as a ``ContentVersion``; ``content`` is its bytes."""

    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(alias="Id")
    content_document_id: str = Field(alias="ContentDocumentId")
    title: str = Field(alias="Title")
    path_on_client: str = Field(alias="PathOnClient")
    description: str | None = Field(alias="Description")
    first_publish_location_id: str | None = Field(alias="FirstPublishLocationId")
    size: int = Field(alias="ContentSize")
    version_data: str = Field(alias="VersionData")

    @property
    def content(self) -> bytes:
        return base64.b64decode(self.version_data)


class SalesforceAdmin(CrmAdmin):
    """Typed access to the Salesforce mock's admin routes, over any :class:`AdminClient`."""

    def leads(self) -> list[SalesforceLead]:
        """Every lead, deleted ones included, oldest first."""
        return self._list(SalesforceLead, "leads", "leads")

    def lead(self, lead_id: str) -> SalesforceLead:
        return self._get(SalesforceLead, f"leads/{lead_id}")

    def lead_by(self, field: str, value: str) -> SalesforceLead | None:
        """The live lead whose ``field`` (any case) holds ``value``."""
        return self._first(SalesforceLead, "leads", "leads", field=field, value=value)

    def record_url(self, lead_id: str) -> str:
        """``{instance}/lightning/r/Lead/{id}/view``."""
        return self.lead(lead_id).url

    def expire_sessions(self) -> int:
        """End every session now: the next API call answers 401 ``INVALID_SESSION_ID``."""
        return int(self.admin.post("sessions/expire")["expired"])

    def content_versions(self, lead_id: str | None = None) -> list[SalesforceContentVersion]:
        """Every file stored as a ContentVersion, or those first published on ``lead_id``."""
        return self._list(
            SalesforceContentVersion, "content_versions", "content_versions", lead_id=lead_id
        )

    def live_sessions(self) -> int:
        return int(self.admin.get("sessions")["live"])
