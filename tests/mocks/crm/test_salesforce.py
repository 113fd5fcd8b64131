"""The Salesforce mock answers like Salesforce's OAuth endpoint and Lead REST API, in both modes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

import pytest

from mocks._core import MockHandle
from mocks.crm.salesforce import (
    SF_CLIENT_ID,
    SF_CLIENT_SECRET,
    SF_PASSWORD,
    SF_USERNAME,
    SalesforceAdmin,
    create_service,
)

LEADS = "/services/data/v60.0/sobjects/Lead"
TOKEN = "/services/oauth2/token"
LEAD = {
    "FirstName": "Ada",
    "LastName": "Lovelace",
    "Company": "Analytical",
    "Email": "ada@example.com",
}


def _errors(response: Any, status: int, code: str) -> list[dict[str, Any]]:
    assert response.status_code == status, response.text
    errors = response.json()
    assert isinstance(errors, list)
    assert errors[0]["errorCode"] == code
    assert errors[0]["message"]
    return list(errors)


def _create(sf: MockHandle[Any], **fields: Any) -> str:
    response = sf.client.post(LEADS, json={**LEAD, **fields})
    assert response.status_code == 201, response.text
    assert response.json()["success"] is True
    return str(response.json()["id"])


@pytest.mark.parametrize(
    "grant",
    [
        {"grant_type": "client_credentials"},
        {"grant_type": "password", "username": SF_USERNAME, "password": SF_PASSWORD},
    ],
)
def test_token_grants(salesforce: MockHandle[Any], grant: dict[str, str]) -> None:
    form = {**grant, "client_id": SF_CLIENT_ID, "client_secret": SF_CLIENT_SECRET}
    response = salesforce.client.post(TOKEN, data=form)
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["instance_url"] == salesforce.url
    assert token["token_type"] == "Bearer"
    assert token["access_token"].startswith("00D")
    expected = hmac.new(
        SF_CLIENT_SECRET.encode(), (token["id"] + token["issued_at"]).encode(), hashlib.sha256
    ).digest()
    assert base64.b64decode(token["signature"]) == expected
    assert SalesforceAdmin(salesforce.admin).live_sessions() == 1


@pytest.mark.parametrize(
    ("form", "error"),
    [
        (
            {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
            "invalid_client_id",
        ),
        (
            {
                "grant_type": "client_credentials",
                "client_id": SF_CLIENT_ID,
                "client_secret": "wrong",
            },
            "invalid_client",
        ),
        (
            {
                "grant_type": "password",
                "client_id": SF_CLIENT_ID,
                "client_secret": SF_CLIENT_SECRET,
                "username": SF_USERNAME,
                "password": "nope",
            },
            "invalid_grant",
        ),
        ({"grant_type": "authorization_code", "client_id": SF_CLIENT_ID}, "unsupported_grant_type"),
        ({}, "unsupported_grant_type"),
    ],
)
def test_token_refusals(salesforce: MockHandle[Any], form: dict[str, str], error: str) -> None:
    response = salesforce.client.post(TOKEN, data=form)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert response.json()["error_description"]


def test_create_read_update_delete(sf: MockHandle[Any]) -> None:
    lead_id = _create(sf)
    assert lead_id.startswith("00Q")
    assert len(lead_id) == 18
    record = sf.client.get(f"{LEADS}/{lead_id}").json()
    assert record["attributes"] == {"type": "Lead", "url": f"{LEADS}/{lead_id}"}
    assert (record["Id"], record["LastName"], record["Status"]) == (
        lead_id,
        "Lovelace",
        "Open - Not Contacted",
    )
    assert record["CreatedDate"].endswith("+0000")
    picked = sf.client.get(f"{LEADS}/{lead_id}", params={"fields": "email,Company"}).json()
    assert set(picked) == {"attributes", "Id", "email", "Company"}
    update = sf.client.patch(f"{LEADS}/{lead_id}", json={"title": "Countess"})
    assert (update.status_code, update.content) == (204, b"")
    lead = SalesforceAdmin(sf.admin).lead(lead_id)
    assert lead.fields["title"] == "Countess"
    assert sf.client.get(f"{LEADS}/{lead_id[:15]}").json()["Id"] == lead_id
    assert sf.client.delete(f"{LEADS}/{lead_id}").status_code == 204
    _errors(sf.client.get(f"{LEADS}/{lead_id}"), 404, "NOT_FOUND")
    assert SalesforceAdmin(sf.admin).lead(lead_id).deleted


def test_upsert_by_external_id(sf: MockHandle[Any]) -> None:
    path = f"{LEADS}/WhatsApp_Phone__c/%2B15550001"
    created = sf.client.patch(path, json=LEAD)
    assert created.status_code == 201
    body = created.json()
    assert (body["success"], body["errors"], body["created"]) == (True, [], True)
    updated = sf.client.patch(path, json={"FirstName": "Augusta"})
    assert updated.status_code == 200
    assert updated.json() == {"id": body["id"], "success": True, "errors": [], "created": False}
    old_api = sf.client.patch(path.replace("v60.0", "v45.0"), json={"Title": "Countess"})
    assert (old_api.status_code, old_api.content) == (204, b"")
    lead = SalesforceAdmin(sf.admin).lead_by("whatsapp_phone__c", "+15550001")
    assert lead is not None
    assert (lead.id, lead.fields["FirstName"], lead.fields["Title"]) == (
        body["id"],
        "Augusta",
        "Countess",
    )
    assert sf.client.get(path).json()["Id"] == body["id"]
    _errors(sf.client.patch(f"{LEADS}/Nope__c/1", json=LEAD), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("fields", "code", "bad"),
    [
        ({"LastName": None, "Company": ""}, "REQUIRED_FIELD_MISSING", ["LastName", "Company"]),
        ({"Email": "ada-at-example"}, "INVALID_EMAIL_ADDRESS", ["Email"]),
        ({"LastName": "x" * 81}, "STRING_TOO_LONG", ["LastName"]),
        (
            {"CreatedDate": "2020-01-01T00:00:00.000+0000"},
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            ["CreatedDate"],
        ),
    ],
)
def test_field_errors(
    sf: MockHandle[Any], fields: dict[str, Any], code: str, bad: list[str]
) -> None:
    (error,) = _errors(sf.client.post(LEADS, json={**LEAD, **fields}), 400, code)
    assert error["fields"] == bad
    assert SalesforceAdmin(sf.admin).leads() == []


def test_duplicate_rule_and_allow_save(sf: MockHandle[Any]) -> None:
    first = _create(sf)
    (error,) = _errors(
        sf.client.post(LEADS, json={**LEAD, "Email": "ADA@example.com"}), 400, "DUPLICATES_DETECTED"
    )
    match = error["duplicateResult"]["matchResults"][0]["matchRecords"][0]["record"]
    assert match["Id"] == first
    allowed = sf.client.post(
        LEADS, json=LEAD, headers={"Sforce-Duplicate-Rule-Header": "allowSave=true"}
    )
    assert allowed.status_code == 201


def test_duplicate_rule_on_phone_via_admin_rules(sf: MockHandle[Any]) -> None:
    admin = SalesforceAdmin(sf.admin)
    admin.set_rules(unique=["MobilePhone"], required=["LastName"])
    _create(sf, MobilePhone="+15550001", Company=None)
    _errors(
        sf.client.post(LEADS, json={**LEAD, "Email": "b@example.com", "MobilePhone": "+15550001"}),
        400,
        "DUPLICATES_DETECTED",
    )
    sf.reset()
    assert admin.rules().unique == ("Email",)


def test_session_expiry(sf: MockHandle[Any], sf_login: Any) -> None:
    _create(sf)
    assert SalesforceAdmin(sf.admin).expire_sessions() == 1
    response = sf.client.post(LEADS, json=LEAD)
    assert response.status_code == 401
    assert response.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]
    sf_login(sf)
    _create(sf, Email="other@example.com")


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-session", "Basic abc"])
def test_bad_sessions(salesforce: MockHandle[Any], authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    _errors(salesforce.client.post(LEADS, json=LEAD, headers=headers), 401, "INVALID_SESSION_ID")


def test_session_lifetime() -> None:
    # The backend reads the real clock: a lifetime long enough for the first call to
    # land well inside it on a loaded machine, then a sleep past its end.
    lifetime = 1.0
    with MockHandle.in_process(create_service(session_seconds=lifetime)) as sf:
        form = {
            "grant_type": "client_credentials",
            "client_id": SF_CLIENT_ID,
            "client_secret": SF_CLIENT_SECRET,
        }
        token = sf.client.post(TOKEN, data=form).json()["access_token"]
        issued_by = time.monotonic()  # the session was issued before this instant
        headers = {"Authorization": f"Bearer {token}"}
        assert sf.client.post(LEADS, json=LEAD, headers=headers).status_code == 201
        time.sleep(max(0.0, issued_by + lifetime + 0.1 - time.monotonic()))
        _errors(sf.client.post(LEADS, json=LEAD, headers=headers), 401, "INVALID_SESSION_ID")


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b'{"LastName": ', "application/json", 400, "JSON_PARSER_ERROR"),
        (b"", "application/json", 400, "JSON_PARSER_ERROR"),
        (b'[{"LastName": "x"}]', "application/json", 400, "JSON_PARSER_ERROR"),
        (b'{"LastName": {"x": 1}}', "application/json", 400, "JSON_PARSER_ERROR"),
        (b"LastName=x", "application/x-www-form-urlencoded", 415, "UNSUPPORTED_MEDIA_TYPE"),
    ],
)
def test_bad_input(
    sf: MockHandle[Any], content: bytes, content_type: str, status: int, code: str
) -> None:
    sf.admin.clear_requests()
    response = sf.client.post(LEADS, content=content, headers={"content-type": content_type})
    _errors(response, status, code)
    (entry,) = sf.admin.requests()
    assert (entry.matched, entry.status, entry.body) == (True, status, content)


def test_not_found_shapes(sf: MockHandle[Any]) -> None:
    _errors(sf.client.get(f"{LEADS}/00Q000000000000AAA"), 404, "NOT_FOUND")
    (error,) = _errors(sf.client.get(f"{LEADS}/not-an-id"), 404, "NOT_FOUND")
    assert "external ID field" in error["message"]
    _errors(
        sf.client.get(LEADS.replace("v60.0", "v99.0") + "/00Q000000000000AAA"), 404, "NOT_FOUND"
    )
    _errors(sf.client.get("/services/data/v60.0/sobjects/Widget/1"), 404, "NOT_FOUND")
    assert [e.path for e in sf.admin.unmatched()] == ["/services/data/v60.0/sobjects/Widget/1"]


def test_record_urls_and_limit_header(sf: MockHandle[Any]) -> None:
    response = sf.client.post(LEADS, json=LEAD)
    lead_id = response.json()["id"]
    assert response.headers["Sforce-Limit-Info"].startswith("api-usage=")
    url = SalesforceAdmin(sf.admin).record_url(lead_id)
    assert url == f"{sf.url}/lightning/r/Lead/{lead_id}/view"
    assert [lead["url"] for lead in sf.admin.state()["leads"]] == [url]


def test_instance_url_is_configurable() -> None:
    with MockHandle.in_process(create_service(instance_url="https://acme.my.salesforce.com")) as sf:
        form = {
            "grant_type": "client_credentials",
            "client_id": SF_CLIENT_ID,
            "client_secret": SF_CLIENT_SECRET,
        }
        assert (
            sf.client.post(TOKEN, data=form).json()["instance_url"]
            == "https://acme.my.salesforce.com"
        )
