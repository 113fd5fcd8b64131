"""Faults, journal, reset and seeds on the CRM mocks' routes, in both modes."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from mocks._core import (
    ConnectionResetFault,
    EmptyResponseFault,
    LatencyFault,
    MalformedBodyFault,
    MockHandle,
    StatusFault,
)
from mocks.crm.hubspot import HUBSPOT_TOKEN, HubSpotAdmin
from mocks.crm.hubspot import create_service as create_hubspot
from mocks.crm.salesforce import SalesforceAdmin

CONTACTS = "/crm/v3/objects/contacts"
LEADS = "/services/data/v60.0/sobjects/Lead"
LEAD = {"LastName": "Lovelace", "Company": "Analytical"}


def _post_contact(hubspot: MockHandle[Any], email: str) -> httpx.Response:
    return hubspot.client.post(CONTACTS, json={"properties": {"email": email}})


def test_next_two_calls_fail_with_503(hubspot: MockHandle[Any]) -> None:
    hubspot.admin.add_fault(StatusFault(status=503), method="POST", path=CONTACTS, times=2)
    statuses = [_post_contact(hubspot, f"u{i}@example.com").status_code for i in range(4)]
    assert statuses == [503, 503, 201, 201]
    assert len(HubSpotAdmin(hubspot.admin).contacts()) == 2
    assert [e.faults for e in hubspot.admin.requests()] == [["status"], ["status"], [], []]


def test_hubspot_rate_limit_has_its_headers_and_body(hubspot: MockHandle[Any]) -> None:
    HubSpotAdmin(hubspot.admin).rate_limit(times=1, retry_after=7)
    limited = _post_contact(hubspot, "a@example.com")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    assert limited.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert limited.headers["X-HubSpot-RateLimit-Max"] == "190"
    assert "X-HubSpot-RateLimit-Daily-Remaining" in limited.headers
    assert limited.json()["errorType"] == "RATE_LIMIT"
    assert _post_contact(hubspot, "a@example.com").status_code == 201


def test_salesforce_rate_limit_header(sf: MockHandle[Any]) -> None:
    from mocks._core import RateLimitFault

    sf.admin.add_fault(RateLimitFault(retry_after=2), path="/services/data/*", times=1)
    limited = sf.client.post(LEADS, json=LEAD)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "2"
    assert limited.headers["Sforce-Limit-Info"] == "api-usage=15000/15000"


def test_terminal_faults_on_a_crm_route(sf: MockHandle[Any]) -> None:
    sf.admin.add_fault(EmptyResponseFault(status=200), method="POST", path=LEADS, times=1)
    sf.admin.add_fault(MalformedBodyFault(status=201), method="POST", path=LEADS, times=1)
    empty = sf.client.post(LEADS, json=LEAD)
    assert (empty.status_code, empty.content) == (200, b"")
    malformed = sf.client.post(LEADS, json=LEAD)
    assert malformed.status_code == 201
    with pytest.raises(json.JSONDecodeError):
        malformed.json()
    assert sf.client.post(LEADS, json=LEAD).status_code == 201
    assert len(SalesforceAdmin(sf.admin).leads()) == 1


def test_connection_reset_on_a_crm_route(hubspot: MockHandle[Any]) -> None:
    hubspot.admin.add_fault(ConnectionResetFault(), path=CONTACTS, times=1)
    with pytest.raises(httpx.TransportError):
        _post_contact(hubspot, "a@example.com")
    (entry,) = hubspot.admin.requests()
    assert (entry.status, entry.faults) == (None, ["connection_reset"])
    assert HubSpotAdmin(hubspot.admin).contacts() == []


def test_latency_on_a_crm_route(hubspot: MockHandle[Any]) -> None:
    hubspot.admin.add_fault(LatencyFault(seconds=0.2), path=CONTACTS, times=1)
    response = _post_contact(hubspot, "a@example.com")
    assert response.status_code == 201
    (entry,) = hubspot.admin.requests()
    assert entry.faults == ["latency"]
    assert entry.duration is not None
    assert entry.duration >= 0.15


def test_journal_shows_every_request(sf: MockHandle[Any]) -> None:
    lead_id = sf.client.post(LEADS, json=LEAD).json()["id"]
    sf.client.patch(f"{LEADS}/{lead_id}", json={"Title": "Countess"})
    sf.client.get(f"{LEADS}/{lead_id}")
    sf.client.get("/services/data/v60.0/nothing")
    seen = [(e.method, e.route, e.status, e.matched) for e in sf.admin.requests()]
    assert seen == [
        ("POST", "/services/oauth2/token", 200, True),
        ("POST", "/services/data/{version}/sobjects/Lead", 201, True),
        ("PATCH", "/services/data/{version}/sobjects/Lead/{lead_id}", 204, True),
        ("GET", "/services/data/{version}/sobjects/Lead/{lead_id}", 200, True),
        ("GET", None, 404, False),
    ]
    assert sf.admin.count(method="PATCH", body_json={"Title": "Countess"}) == 1
    (token_call,) = sf.admin.requests(path="/services/oauth2/token")
    assert token_call.form is not None
    assert token_call.form["grant_type"] == ["client_credentials"]


def test_reset_isolates(hubspot: MockHandle[Any]) -> None:
    _post_contact(hubspot, "a@example.com")
    hubspot.admin.add_fault(StatusFault(status=500))
    hubspot.reset()
    assert hubspot.admin.state()["contacts"] == []
    assert hubspot.admin.count() == 0
    assert hubspot.admin.faults() == []
    assert _post_contact(hubspot, "a@example.com").status_code == 201


def test_sessions_do_not_survive_reset(sf: MockHandle[Any]) -> None:
    sf.reset()
    assert sf.client.post(LEADS, json=LEAD).status_code == 401


def _hubspot_ids(seed: int) -> list[str]:
    with MockHandle.in_process(create_hubspot(seed=seed)) as hubspot:
        hubspot.client.headers["Authorization"] = f"Bearer {HUBSPOT_TOKEN}"
        first = [_post_contact(hubspot, f"u{i}@example.com").json()["id"] for i in range(3)]
        hubspot.reset()
        again = [_post_contact(hubspot, f"u{i}@example.com").json()["id"] for i in range(3)]
    assert first == again  # a reset replays the seed
    return first


def test_seeded_ids_are_reproducible() -> None:
    assert _hubspot_ids(5) == _hubspot_ids(5)
    assert _hubspot_ids(5) != _hubspot_ids(6)


def test_seeded_lead_ids_follow_the_admin_seed(sf: MockHandle[Any], sf_login: Any) -> None:
    def ids() -> list[str]:
        sf.reset()
        sf_login(sf)
        return [
            sf.client.post(LEADS, json=LEAD | {"Email": f"u{i}@example.com"}).json()["id"]
            for i in range(2)
        ]

    try:
        sf.admin.seed(99)
        first = ids()
        assert ids() == first
        sf.admin.seed(100)
        assert ids() != first
    finally:
        sf.admin.seed(42)  # the session-wide handle's own seed (conftest SEED)
