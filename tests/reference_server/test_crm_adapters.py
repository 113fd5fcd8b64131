"""HubSpot and Salesforce adapters against their real API shapes (respx stands in for them)."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from reference_server import HubSpotAdapter, SalesforceAdapter, load_mapping
from reference_server.exceptions import (
    CrmPermanentError,
    CrmTransientError,
    CrmValidationError,
)

pytestmark = pytest.mark.anyio

HS = "https://hubspot.test"
SF_LOGIN = "https://login.sf.test"
SF = "https://acme.my.sf.test"
LEAD = {
    "lead_id": "abc123",
    "phone": "+33612345678",
    "first_name": "Jean",
    "last_name": "Dupont",
    "email": "jean@example.com",
    "company": "",
    "interest": "demo",
    "contact_phone": "",
    "consent": True,
    "source": "ads",
    "campaign": "spring",
    "flow_id": "f1",
}


@pytest.fixture
async def http():
    async with httpx.AsyncClient() as client:
        yield client


def hubspot(http, **kwargs) -> HubSpotAdapter:
    return HubSpotAdapter(
        http, base_url=HS, token="pat-1", mapping=load_mapping("hubspot"), **kwargs
    )


def salesforce(http, **kwargs) -> SalesforceAdapter:
    return SalesforceAdapter(
        http, login_url=SF_LOGIN, client_id="cid", client_secret="csecret",
        mapping=load_mapping("salesforce"), **kwargs,
    )  # fmt: skip


def test_mappings_map_every_lead_field():
    for crm in ("hubspot", "salesforce"):
        mapping = load_mapping(crm)
        assert set(LEAD) <= set(mapping.fields) | {"received_at"}
        record = mapping.apply(LEAD)
        assert "" not in record.values()


@respx.mock
async def test_hubspot_creates_when_the_phone_is_unknown(http):
    search = respx.post(f"{HS}/crm/v3/objects/contacts/search").respond(
        json={"total": 0, "results": []}
    )
    create = respx.post(f"{HS}/crm/v3/objects/contacts").respond(201, json={"id": "901"})
    result = await hubspot(http).upsert(LEAD)
    assert (result.record_id, result.created) == ("901", True)
    query = json.loads(search.calls.last.request.content)
    assert query["filterGroups"][0]["filters"][0] == {
        "propertyName": "phone", "operator": "EQ", "value": "+33612345678",
    }  # fmt: skip
    sent = create.calls.last.request
    assert sent.headers["authorization"] == "Bearer pat-1"
    properties = json.loads(sent.content)["properties"]
    assert properties["firstname"] == "Jean"
    assert properties["flow_marketing_consent"] == "true"
    assert properties["flow_campaign"] == "spring"
    assert properties["lifecyclestage"] == "lead"
    assert "company" not in properties  # empty values are not sent


@respx.mock
async def test_hubspot_updates_the_contact_found_by_phone(http):
    respx.post(f"{HS}/crm/v3/objects/contacts/search").respond(
        json={"total": 1, "results": [{"id": "77"}]}
    )
    patch = respx.patch(f"{HS}/crm/v3/objects/contacts/77").respond(json={"id": "77"})
    result = await hubspot(http).upsert(LEAD)
    assert (result.record_id, result.created) == ("77", False)
    assert patch.called


# a 409 on the e-mail: tests/reference_server/test_crm_conflicts.py (never a silent merge)


@respx.mock
async def test_hubspot_batch_upsert_with_id_property(http):
    route = respx.post(f"{HS}/crm/v3/objects/contacts/batch/upsert").respond(
        json={"status": "COMPLETE", "results": [{"id": "12", "new": True, "properties": {}}]}
    )
    result = await hubspot(http, id_property="whatsapp_phone").upsert(LEAD)
    assert (result.record_id, result.created) == ("12", True)
    (item,) = json.loads(route.calls.last.request.content)["inputs"]
    assert item["idProperty"] == "whatsapp_phone"
    assert item["id"] == "+33612345678"


@respx.mock
async def test_hubspot_validation_error_lists_the_fields(http):
    respx.post(f"{HS}/crm/v3/objects/contacts/search").respond(json={"results": []})
    respx.post(f"{HS}/crm/v3/objects/contacts").respond(
        400,
        json={
            "status": "error",
            "message": "Property values were not valid",
            "category": "VALIDATION_ERROR",
            "errors": [
                {
                    "message": "bad email",
                    "code": "INVALID_EMAIL",
                    "context": {"propertyName": ["email"]},
                }
            ],
        },
    )
    with pytest.raises(CrmValidationError) as info:
        await hubspot(http).upsert(LEAD)
    assert info.value.errors == [
        {"code": "INVALID_EMAIL", "message": "bad email", "fields": ["email"]}
    ]


@respx.mock
@pytest.mark.parametrize(
    ("response", "retry_after"),
    [
        (httpx.Response(429, headers={"Retry-After": "7"}), 7.0),
        (httpx.Response(503), None),
        (httpx.TimeoutException("slow"), None),
        (httpx.ConnectError("refused"), None),
    ],
)
async def test_transient_failures_are_typed(http, response, retry_after):
    route = respx.post(f"{HS}/crm/v3/objects/contacts/search")
    if isinstance(response, Exception):
        route.side_effect = response
    else:
        route.return_value = response
    with pytest.raises(CrmTransientError) as info:
        await hubspot(http).upsert(LEAD)
    assert info.value.retry_after == retry_after


@respx.mock
async def test_hubspot_auth_failure_is_permanent(http):
    respx.post(f"{HS}/crm/v3/objects/contacts/search").respond(
        401, json={"category": "INVALID_AUTHENTICATION"}
    )
    with pytest.raises(CrmPermanentError):
        await hubspot(http).upsert(LEAD)


def sf_login(token: str = "tok-1"):
    return respx.post(f"{SF_LOGIN}/services/oauth2/token").respond(
        json={"access_token": token, "instance_url": SF, "token_type": "Bearer"}
    )


SF_LEAD_URL = f"{SF}/services/data/v60.0/sobjects/Lead/WhatsApp_Phone__c/%2B33612345678"


@respx.mock
async def test_salesforce_upserts_on_the_external_id(http):
    login = sf_login()
    upsert = respx.patch(SF_LEAD_URL).respond(
        201, json={"id": "00Q1", "success": True, "errors": [], "created": True}
    )
    result = await salesforce(http).upsert(LEAD)
    assert (result.record_id, result.created) == ("00Q1", True)
    assert result.record_url == f"{SF}/lightning/r/Lead/00Q1/view"
    form = dict(httpx.QueryParams(login.calls.last.request.content.decode()))
    assert form["grant_type"] == "client_credentials"
    body = json.loads(upsert.calls.last.request.content)
    assert body["LastName"] == "Dupont"
    assert body["Company"] == "[not provided]"  # Lead requires a company
    assert body["Marketing_Consent__c"] is True
    assert upsert.calls.last.request.headers["authorization"] == "Bearer tok-1"


@respx.mock
async def test_salesforce_password_flow(http):
    login = sf_login()
    respx.patch(SF_LEAD_URL).respond(200, json={"id": "00Q1", "success": True, "created": False})
    result = await salesforce(http, username="u@x.com", password="pw+token").upsert(LEAD)
    assert result.created is False
    form = dict(httpx.QueryParams(login.calls.last.request.content.decode()))
    assert (form["grant_type"], form["username"]) == ("password", "u@x.com")


@respx.mock
async def test_salesforce_refreshes_an_expired_session_once(http):
    login = respx.post(f"{SF_LOGIN}/services/oauth2/token")
    login.side_effect = [
        httpx.Response(200, json={"access_token": "old", "instance_url": SF}),
        httpx.Response(200, json={"access_token": "new", "instance_url": SF}),
    ]
    upsert = respx.patch(SF_LEAD_URL)
    upsert.side_effect = [
        httpx.Response(401, json=[{"errorCode": "INVALID_SESSION_ID", "message": "expired"}]),
        httpx.Response(201, json={"id": "00Q2", "success": True, "created": True}),
    ]
    assert (await salesforce(http).upsert(LEAD)).record_id == "00Q2"
    assert [c.request.headers["authorization"] for c in upsert.calls] == [
        "Bearer old",
        "Bearer new",
    ]


@respx.mock
async def test_salesforce_gives_up_after_a_second_401(http):
    sf_login()
    respx.patch(SF_LEAD_URL).respond(
        401, json=[{"errorCode": "INVALID_SESSION_ID", "message": "no"}]
    )
    with pytest.raises(CrmPermanentError):
        await salesforce(http).upsert(LEAD)


@respx.mock
async def test_salesforce_validation_error_array(http):
    sf_login()
    respx.patch(SF_LEAD_URL).respond(
        400,
        json=[
            {"errorCode": "INVALID_EMAIL_ADDRESS", "message": "Email: invalid", "fields": ["Email"]}
        ],
    )
    with pytest.raises(CrmValidationError) as info:
        await salesforce(http).upsert(LEAD)
    assert info.value.errors == [
        {"code": "INVALID_EMAIL_ADDRESS", "message": "Email: invalid", "fields": ["Email"]}
    ]


@respx.mock
async def test_salesforce_bad_credentials_are_permanent(http):
    respx.post(f"{SF_LOGIN}/services/oauth2/token").respond(400, json={"error": "invalid_client"})
    with pytest.raises(CrmPermanentError, match="login failed"):
        await salesforce(http).upsert(LEAD)
