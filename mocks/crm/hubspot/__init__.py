"""A mock of HubSpot's CRM v3 contacts API (``https://api.hubapi.com/crm/v3/objects/contacts``).

``create_service()`` builds it on the mock core; ``HubSpotAdmin`` reads the
contacts it holds through the admin API, in-process or over a server::

    with MockHandle.in_process(create_service()) as hubspot:
        hubspot.client.post("/crm/v3/objects/contacts", json={"properties": {"email": "a@b.co"}},
                            headers={"Authorization": f"Bearer {HUBSPOT_TOKEN}"})
        contact = HubSpotAdmin(hubspot.admin).contact_by("email", "a@b.co")
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from mocks._core import FaultRule, MockService, RateLimitFault
from mocks.crm._common import CrmAdmin
from mocks.crm._rules import HUBSPOT_RULES, ValidationRules
from mocks.crm.hubspot._attachments import NOTE_TO_CONTACT
from mocks.crm.hubspot._backend import (
    DEFAULT_PORTAL_ID,
    DEFAULT_PROPERTIES,
    Contact,
    HubSpotBackend,
)
from mocks.crm.hubspot._oauth import (
    HUBSPOT_CLIENT_ID,
    HUBSPOT_CLIENT_SECRET,
    HUBSPOT_OAUTH_TOKEN,
    HUBSPOT_REFRESH_TOKEN,
    HUBSPOT_TOKEN,
    OAUTH_TOKEN_SECONDS,
)
from mocks.crm.hubspot._routes import (
    CONTACTS,
    FILES,
    NOTES,
    OAUTH_TOKEN,
    hubspot_admin_routes,
    hubspot_not_found,
    hubspot_rate_limit,
    hubspot_rate_limit_body,
    hubspot_routes,
)
from mocks.crm.hubspot._search import OPERATORS

__all__ = [
    "CONTACTS",
    "DEFAULT_PORTAL_ID",
    "DEFAULT_PROPERTIES",
    "FILES",
    "HUBSPOT_CLIENT_ID",
    "HUBSPOT_CLIENT_SECRET",
    "HUBSPOT_OAUTH_TOKEN",
    "HUBSPOT_REFRESH_TOKEN",
    "HUBSPOT_TOKEN",
    "NOTES",
    "NOTE_TO_CONTACT",
    "OAUTH_TOKEN",
    "OAUTH_TOKEN_SECONDS",
    "OPERATORS",
    "Contact",
    "HubSpotAdmin",
    "HubSpotBackend",
    "HubSpotContact",
    "HubSpotFileInfo",
    "HubSpotNote",
    "create_service",
]


def create_service(
    *,
    tokens: Iterable[str] | None = None,
    oauth_clients: Mapping[str, str] | None = None,
    oauth_token_seconds: float = OAUTH_TOKEN_SECONDS,
    portal_id: int = DEFAULT_PORTAL_ID,
    app_url: str = "https://app.hubspot.com",
    rules: ValidationRules = HUBSPOT_RULES,
    seed: int | None = None,
) -> MockService[HubSpotBackend]:
    """The HubSpot mock. ``tokens=None`` accepts any private-app token (``pat-...``),
    ``HUBSPOT_OAUTH_TOKEN`` and OAuth access tokens; given ``tokens``, only those
    (and OAuth tokens the mock issued). ``oauth_clients`` (client id -> secret;
    default ``HUBSPOT_CLIENT_ID``) get tokens from ``POST /oauth/v1/token``, valid
    ``oauth_token_seconds``. ``rules`` are restored on every reset (add a unique
    property with ``HUBSPOT_RULES.updated({"unique": ["email", "whatsapp_phone"]})``)."""
    backend = HubSpotBackend(
        tokens=tokens,
        oauth_clients=oauth_clients,
        oauth_token_seconds=oauth_token_seconds,
        portal_id=portal_id,
        app_url=app_url,
        rules=rules,
        seed=seed,
    )
    return MockService(
        "hubspot",
        backend,
        hubspot_routes,
        admin_routes=hubspot_admin_routes,
        rate_limit_response=hubspot_rate_limit(backend),
        unmatched=hubspot_not_found,
    )


class HubSpotContact(BaseModel):
    """A contact as the admin API shows it, with its record ``url`` in the HubSpot app."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    properties: dict[str, str | None]
    created_at: datetime = Field(alias="createdAt")
    updated_at: datetime = Field(alias="updatedAt")
    archived: bool
    url: str


class HubSpotFileInfo(BaseModel):
    """A file stored through the Files API (its bytes stay in the mock)."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    id: str
    name: str
    extension: str
    path: str
    size: int
    type: str
    access: str
    url: str
    parent_folder_id: str = Field(alias="parentFolderId")


class HubSpotNote(BaseModel):
    """A note as the admin API shows it: its properties, contacts and attached file ids."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    properties: dict[str, str]
    contact_ids: list[str] = Field(alias="contactIds")
    attachment_ids: list[str] = Field(alias="attachmentIds")
    created_at: datetime = Field(alias="createdAt")

    @property
    def body(self) -> str:
        return self.properties.get("hs_note_body", "")


class HubSpotAdmin(CrmAdmin):
    """Typed access to the HubSpot mock's admin routes, over any :class:`AdminClient`."""

    def contacts(self) -> list[HubSpotContact]:
        """Every contact, archived ones included, oldest first."""
        return self._list(HubSpotContact, "contacts", "contacts")

    def contact(self, contact_id: str) -> HubSpotContact:
        return self._get(HubSpotContact, f"contacts/{contact_id}")

    def contact_by(self, prop: str, value: str) -> HubSpotContact | None:
        """The live contact whose ``prop`` is ``value`` (emails case-insensitively)."""
        return self._first(HubSpotContact, "contacts", "contacts", property=prop, value=value)

    def record_url(self, contact_id: str) -> str:
        """``https://app.hubspot.com/contacts/{portalId}/record/0-1/{id}``."""
        return self.contact(contact_id).url

    def files(self) -> list[HubSpotFileInfo]:
        """Every file uploaded through ``POST /files/v3/files``, oldest first."""
        return self._list(HubSpotFileInfo, "files", "files")

    def notes(self, contact_id: str | None = None) -> list[HubSpotNote]:
        """Every note, or those associated with ``contact_id``, oldest first."""
        return self._list(HubSpotNote, "notes", "notes", contact_id=contact_id)

    def expire_oauth_tokens(self) -> int:
        """Expire every OAuth access token the mock issued: the next call with one answers
        401 ``EXPIRED_AUTHENTICATION``; returns how many were live."""
        return int(self.admin.post("oauth/expire")["expired"])

    def rate_limit(
        self, *, times: int | None = 1, retry_after: int = 1, policy: str = "SECONDLY"
    ) -> FaultRule:
        """Answer the next ``times`` API calls 429 with HubSpot's body and quota headers."""
        fault = RateLimitFault(
            retry_after=retry_after, status=429, body=hubspot_rate_limit_body(policy)
        )
        return self.admin.add_fault(fault, path="/crm/*", times=times)
