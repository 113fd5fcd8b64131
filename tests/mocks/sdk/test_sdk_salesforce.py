"""simple-salesforce, unmodified but for ``instance_url`` and a session trusting the mock's CA."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceResourceNotFound,
)

from mocks.crm import SalesforceAdmin

PHONE_FIELD = "WhatsApp_Phone__c"


def session_for(mock: Any) -> requests.Session:
    session = requests.Session()
    session.verify = mock.ca_bundle
    # requests lets REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE override a session's verify; CI sets them
    session.trust_env = False
    return session


def connect(mock: Any, session_id: str | None = None) -> Salesforce:
    return Salesforce(
        instance_url=mock.url,
        session_id=session_id or mock.credentials["access_token"],
        session=session_for(mock),
    )


def login(mock: Any) -> Salesforce:
    """The OAuth client-credentials flow a team runs, then simple-salesforce on its answer."""
    session = session_for(mock)
    token = session.post(
        mock.url + "/services/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": mock.credentials["client_id"],
            "client_secret": mock.credentials["client_secret"],
        },
        timeout=10,
    ).json()
    return Salesforce(
        instance_url=token["instance_url"], session_id=token["access_token"], session=session
    )


LEAD = {"FirstName": "Ada", "LastName": "Lovelace", "Company": "Analytical", "Email": "ada@ex.com"}


def test_create_read_update_delete(sdk_mocks: Any) -> None:
    mock = sdk_mocks.get("salesforce")
    assert mock.url.startswith("https://")
    sf = login(mock)
    created = sf.Lead.create(LEAD)
    assert created["success"] is True
    lead = sf.Lead.get(created["id"])
    assert (lead["Name"], lead["Email"]) == ("Ada Lovelace", "ada@ex.com")
    assert sf.Lead.update(created["id"], {"Title": "Countess"}) == 204
    assert SalesforceAdmin(mock.admin).lead(created["id"]).fields["Title"] == "Countess"
    assert sf.Lead.delete(created["id"]) == 204
    with pytest.raises(SalesforceResourceNotFound):
        sf.Lead.get(created["id"])


def test_query_and_query_all(sdk_mocks: Any) -> None:
    sf = connect(sdk_mocks.get("salesforce"))
    ada = sf.Lead.create(LEAD)["id"]
    sf.Lead.create({"LastName": "Hopper", "Company": "Navy", "Email": "grace@ex.com"})
    found = sf.query("SELECT Id, Email FROM Lead WHERE Email = 'ADA@ex.com'")
    assert [r["Id"] for r in found["records"]] == [ada]
    assert found["records"][0]["attributes"]["type"] == "Lead"
    ordered = sf.query_all(
        "SELECT LastName FROM Lead WHERE (Company LIKE 'Ana%' OR Company IN ('Navy')) "
        "AND Email != null ORDER BY LastName DESC LIMIT 5"
    )
    assert [r["LastName"] for r in ordered["records"]] == ["Lovelace", "Hopper"]
    sf.Lead.delete(ada)
    assert sf.query("SELECT Id FROM Lead")["totalSize"] == 1
    assert sf.query_all("SELECT Id FROM Lead", include_deleted=True)["totalSize"] == 2
    with pytest.raises(SalesforceMalformedRequest) as malformed:
        sf.query("SELECT Id FROM Lead GROUP BY Company")
    assert malformed.value.content[0]["errorCode"] == "MALFORMED_QUERY"
    with pytest.raises(SalesforceMalformedRequest) as unknown:
        sf.query("SELECT Nope FROM Lead")
    assert unknown.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_describe_upsert_and_custom_id(sdk_mocks: Any) -> None:
    sf = connect(sdk_mocks.get("salesforce"))
    described = sf.Lead.describe()
    fields = {f["name"]: f for f in described["fields"]}
    assert described["name"] == "Lead"
    assert fields["LastName"]["nillable"] is False
    assert fields[PHONE_FIELD]["externalId"] is True
    assert sf.Lead.upsert(f"{PHONE_FIELD}/+33612345678", {"LastName": "L", "Company": "C"}) == 201
    assert sf.Lead.upsert(f"{PHONE_FIELD}/+33612345678", {"Title": "CEO"}) == 200
    lead = sf.Lead.get_by_custom_id(PHONE_FIELD, "+33612345678")
    assert (lead["Title"], lead[PHONE_FIELD]) == ("CEO", "+33612345678")


def test_content_version_on_a_lead(sdk_mocks: Any) -> None:
    mock = sdk_mocks.get("salesforce")
    sf = connect(mock)
    lead = sf.Lead.create(LEAD)["id"]
    photo = base64.b64encode(b"\xff\xd8photo").decode()
    version = sf.ContentVersion.create(
        {"Title": "photo", "PathOnClient": "photo.jpg", "VersionData": photo,
         "FirstPublishLocationId": lead}
    )  # fmt: skip
    found = sf.query(
        f"SELECT Id, Title FROM ContentVersion WHERE FirstPublishLocationId = '{lead}'"
    )
    assert [r["Id"] for r in found["records"]] == [version["id"]]
    (stored,) = SalesforceAdmin(mock.admin).content_versions(lead_id=lead)
    assert stored.content == b"\xff\xd8photo"


def test_errors_raise_the_sdks_exceptions(sdk_mocks: Any) -> None:
    mock = sdk_mocks.get("salesforce")
    sf = connect(mock)
    sf.Lead.create(LEAD)
    with pytest.raises(SalesforceMalformedRequest) as duplicate:
        sf.Lead.create(LEAD)
    assert duplicate.value.content[0]["errorCode"] == "DUPLICATES_DETECTED"
    with pytest.raises(SalesforceMalformedRequest) as invalid:
        sf.Lead.create({**LEAD, "Email": "not-an-email"})
    assert invalid.value.content[0]["errorCode"] == "INVALID_EMAIL_ADDRESS"
    with pytest.raises(SalesforceMalformedRequest) as missing:
        sf.Lead.create({"Company": "Analytical"})
    assert missing.value.content[0]["fields"] == ["LastName"]
    with pytest.raises(SalesforceExpiredSession):
        connect(mock, session_id="00D000000000001!bad").Lead.create(LEAD)
    SalesforceAdmin(mock.admin).expire_sessions()
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Lead")
