"""The CRM mocks in both modes (in-process ASGI and a real server on loopback).

Each handle is built once per session and reset before every test (``both_modes``).
"""

from __future__ import annotations

from typing import Any

import pytest

from mocks._core import MockHandle
from mocks.crm import HUBSPOT_RULES
from mocks.crm.hubspot import HUBSPOT_TOKEN
from mocks.crm.hubspot import create_service as create_hubspot
from mocks.crm.salesforce import SF_CLIENT_ID, SF_CLIENT_SECRET
from mocks.crm.salesforce import create_service as create_salesforce

from .._modes import both_modes

SEED = 42
HUBSPOT_UNIQUE = HUBSPOT_RULES.updated({"unique": ["email", "whatsapp_phone"]})


def _with_token(handle: MockHandle[Any]) -> None:
    handle.client.headers["Authorization"] = f"Bearer {HUBSPOT_TOKEN}"


def _without_session(handle: MockHandle[Any]) -> None:
    handle.client.headers.pop("Authorization", None)


hubspot = both_modes(
    "hubspot", lambda: create_hubspot(rules=HUBSPOT_UNIQUE, seed=SEED), prepare=_with_token
)
"""The HubSpot mock (``email`` and ``whatsapp_phone`` unique), fresh, in each mode."""

salesforce = both_modes(
    "salesforce", lambda: create_salesforce(seed=SEED), prepare=_without_session
)
"""The Salesforce mock, fresh, in each mode; its client carries no session yet."""


def login(salesforce: MockHandle[Any]) -> dict[str, Any]:
    """A client-credentials token; the handle's client carries it from now on."""
    response = salesforce.client.post(
        "/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": SF_CLIENT_ID,
            "client_secret": SF_CLIENT_SECRET,
        },
    )
    assert response.status_code == 200, response.text
    token: dict[str, Any] = response.json()
    salesforce.client.headers["Authorization"] = f"Bearer {token['access_token']}"
    return token


@pytest.fixture
def sf_login() -> Any:
    """``sf_login(handle)``: log the handle's client in (client credentials)."""
    return login


@pytest.fixture
def sf(salesforce: MockHandle[Any]) -> MockHandle[Any]:
    """The Salesforce mock with a logged-in client."""
    login(salesforce)
    return salesforce
