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

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel

from mocks._core import MockService
from mocks.crm._common import CrmAdmin, answer_unmatched
from mocks.crm._rules import SALESFORCE_RULES, ValidationRules
from mocks.crm.salesforce._auth import (
    ORG_ID,
    SF_CLIENT_ID,
    SF_CLIENT_SECRET,
    SF_PASSWORD,
    SF_USERNAME,
    USER_ID,
    Sessions,
)
from mocks.crm.salesforce._backend import Lead, SalesforceBackend
from mocks.crm.salesforce._routes import (
    LEADS,
    salesforce_admin_routes,
    salesforce_not_found,
    salesforce_rate_limit_headers,
    salesforce_routes,
)

__all__ = [
    "LEADS",
    "ORG_ID",
    "SF_CLIENT_ID",
    "SF_CLIENT_SECRET",
    "SF_PASSWORD",
    "SF_USERNAME",
    "USER_ID",
    "Lead",
    "SalesforceAdmin",
    "SalesforceBackend",
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
    rules: ValidationRules = SALESFORCE_RULES,
    seed: int | None = None,
) -> MockService[SalesforceBackend]:
    """The Salesforce mock.

    ``clients`` maps connected-app client ids to secrets (default
    ``SF_CLIENT_ID``/``SF_CLIENT_SECRET``), ``users`` usernames to passwords for
    the password grant (default ``SF_USERNAME``/``SF_PASSWORD``). Sessions last
    ``session_seconds`` (``None``: forever). ``instance_url`` defaults to the
    URL the token request came in on. ``external_id_fields`` may key upserts.
    """
    backend = SalesforceBackend(
        clients=clients,
        users=users,
        session_seconds=session_seconds,
        instance_url=instance_url,
        external_id_fields=external_id_fields,
        rules=rules,
        seed=seed,
    )
    service = MockService(
        "salesforce",
        backend,
        salesforce_routes,
        admin_routes=salesforce_admin_routes,
        rate_limit_headers=salesforce_rate_limit_headers(backend),
    )
    return answer_unmatched(service, salesforce_not_found)


class SalesforceLead(BaseModel):
    """A lead as the admin API shows it: its fields (system ones included) and record URL."""

    id: str
    url: str
    fields: dict[str, Any]

    @property
    def deleted(self) -> bool:
        return bool(self.fields.get("IsDeleted"))


class SalesforceAdmin(CrmAdmin):
    """Typed access to the Salesforce mock's admin routes, over any :class:`AdminClient`."""

    def leads(self) -> list[SalesforceLead]:
        """Every lead, deleted ones included, oldest first."""
        return [SalesforceLead.model_validate(x) for x in self.admin.get("leads")["leads"]]

    def lead(self, lead_id: str) -> SalesforceLead:
        return SalesforceLead.model_validate(self.admin.get(f"leads/{lead_id}"))

    def lead_by(self, field: str, value: str) -> SalesforceLead | None:
        """The live lead whose ``field`` (any case) holds ``value``."""
        found = self.admin.get("leads", field=field, value=value)["leads"]
        return SalesforceLead.model_validate(found[0]) if found else None

    def record_url(self, lead_id: str) -> str:
        """``{instance}/lightning/r/Lead/{id}/view``."""
        return self.lead(lead_id).url

    def expire_sessions(self) -> int:
        """End every session now: the next API call answers 401 ``INVALID_SESSION_ID``."""
        return int(self.admin.post("sessions/expire")["expired"])

    def live_sessions(self) -> int:
        return int(self.admin.get("sessions")["live"])
